"""Parameter styles against the style examples table of the OpenAPI 3 specification."""

from __future__ import annotations

import pytest

from cast_gateway.request.styles import cookie_value, expand_path_value, header_value, query_pairs, scalar_text

PRIMITIVE = "blue"
ARRAY = ["blue", "black", "brown"]
OBJECT = {"R": 100, "G": 200, "B": 150}


@pytest.mark.parametrize(("style", "explode", "value", "expected"), [
    ("simple", False, PRIMITIVE, "blue"),
    ("simple", False, ARRAY, "blue,black,brown"),
    ("simple", False, OBJECT, "R,100,G,200,B,150"),
    ("simple", True, OBJECT, "R=100,G=200,B=150"),
    ("label", False, PRIMITIVE, ".blue"),
    ("label", False, ARRAY, ".blue,black,brown"),
    ("label", True, ARRAY, ".blue.black.brown"),
    ("label", False, OBJECT, ".R,100,G,200,B,150"),
    ("label", True, OBJECT, ".R=100.G=200.B=150"),
    ("matrix", False, PRIMITIVE, ";color=blue"),
    ("matrix", False, ARRAY, ";color=blue,black,brown"),
    ("matrix", True, ARRAY, ";color=blue;color=black;color=brown"),
    ("matrix", False, OBJECT, ";color=R,100,G,200,B,150"),
    ("matrix", True, OBJECT, ";R=100;G=200;B=150"),
])
def test_path_styles_match_spec_table(style, explode, value, expected):
    assert expand_path_value(style, explode, "color", value, None) == expected


def test_path_value_delimiters_encoded():
    assert expand_path_value("simple", False, "id", ["a,b", "c/d"], None) == "a%2Cb,c%2Fd"


@pytest.mark.parametrize(("style", "explode", "value", "expected"), [
    ("form", True, PRIMITIVE, ["color=blue"]),
    ("form", False, ARRAY, ["color=blue,black,brown"]),
    ("form", True, ARRAY, ["color=blue", "color=black", "color=brown"]),
    ("form", False, OBJECT, ["color=R,100,G,200,B,150"]),
    ("form", True, OBJECT, ["R=100", "G=200", "B=150"]),
    ("spaceDelimited", False, ARRAY, ["color=blue%20black%20brown"]),
    ("pipeDelimited", False, ARRAY, ["color=blue|black|brown"]),
    ("tabDelimited", False, ARRAY, ["color=blue%09black%09brown"]),
    ("deepObject", True, OBJECT, ["color%5BR%5D=100", "color%5BG%5D=200", "color%5BB%5D=150"]),
])
def test_query_styles_match_spec_table(style, explode, value, expected):
    assert query_pairs(style, explode, "color", value, None) == expected


def test_query_empty_array_gives_no_pair():
    assert query_pairs("form", True, "ids", [], None) == []


def test_query_plus_and_ampersand_encoded():
    assert query_pairs("form", True, "q", "a+b&c=d", None) == ["q=a%2Bb%26c%3Dd"]


def test_query_allow_reserved_keeps_reserved_raw():
    assert query_pairs("form", True, "path", "a/b:c", None, allow_reserved=True) == ["path=a/b:c"]


def test_query_allow_reserved_still_encodes_pair_breakers():
    assert query_pairs("form", True, "q", "a&b=c#d+e", None, allow_reserved=True) == ["q=a%26b%3Dc%23d%2Be"]


def test_deep_object_nests_brackets():
    pairs = query_pairs("deepObject", True, "filter", {"a": {"b": 1}, "tags": ["x", "y"]}, None)
    assert pairs == ["filter%5Ba%5D%5Bb%5D=1", "filter%5Btags%5D%5B0%5D=x", "filter%5Btags%5D%5B1%5D=y"]


@pytest.mark.parametrize(("value", "schema", "expected"), [
    (True, None, "true"),
    (False, None, "false"),
    (10, None, "10"),
    (10.0, {"type": "integer"}, "10"),
    (0.5, {"type": "number"}, "0.5"),
    ("x", None, "x"),
    ({"a": [1]}, None, '{"a":[1]}'),
])
def test_scalar_text_renders_json_spellings(value, schema, expected):
    assert scalar_text(value, schema) == expected


def test_header_array_and_object():
    assert header_value(False, ["f1", "f2"], None) == "f1,f2"
    assert header_value(False, {"a": 1, "b": 2}, None) == "a,1,b,2"
    assert header_value(True, {"a": 1, "b": 2}, None) == "a=1,b=2"


def test_cookie_form_joins_and_encodes():
    assert cookie_value(["p1", "p2"], None) == "p1,p2"
    assert cookie_value({"layout": "grid"}, None) == "layout,grid"
    assert cookie_value("a;b", None) == "a%3Bb"
    assert cookie_value("x\r\ny", None) == "x%0D%0Ay"
