from __future__ import annotations

import json

import pytest

from cast_gateway.openapi.model import BodySpec
from cast_gateway.request.builder import build_request
from cast_gateway.request.errors import ArgumentError, RequestBuildError
from request_helpers import BASE, make_tool, param


def test_base_path_kept_without_double_slash():
    tool = make_tool("/pet/{id}", parameters=(param("id", "path", {"type": "integer"}),))
    assert build_request(tool, {"id": 5}, "https://h.test/api/v3/").url == "https://h.test/api/v3/pet/5"
    assert build_request(tool, {"id": 5}, "https://h.test/api/v3").url == "https://h.test/api/v3/pet/5"


def test_relative_tool_server_resolves_against_base():
    tool = make_tool("/x", servers=("v2",))
    assert build_request(tool, {}, "https://h.test/api").url == "https://h.test/api/v2/x"


def test_absolute_tool_server_used_as_is():
    tool = make_tool("/x", servers=("https://other.test/base",))
    assert build_request(tool, {}, BASE).url == "https://other.test/base/x"


@pytest.mark.parametrize("base", ["ftp://h.test", "/relative", "https://h.test/?q=1", "https://u:p@h.test", "https://h.test/a b"])
def test_unusable_base_url_rejected(base):
    with pytest.raises(RequestBuildError):
        build_request(make_tool(), {}, base)


def test_omitted_optionals_omitted():
    tool = make_tool(parameters=(param("a", "query"), param("b", "header"), param("c", "cookie")))
    request = build_request(tool, {}, BASE)
    assert request.url == f"{BASE}/items"
    assert request.headers == ()
    assert request.body is None


def test_required_parameter_default_sent():
    tool = make_tool(parameters=(param("limit", "query", {"type": "integer", "default": 50}, required=True),
                                 param("page", "query", {"type": "integer", "default": 1})))
    assert build_request(tool, {}, BASE).url == f"{BASE}/items?limit=50"


def test_label_and_matrix_path_styles():
    tool = make_tool("/a/{x}/b/{y}", parameters=(param("x", "path", {"type": "array"}, style="label"),
                                                param("y", "path", {"type": "array"}, style="matrix", explode=True)))
    assert build_request(tool, {"x": ["1", "2"], "y": ["3", "4"]}, BASE).url == f"{BASE}/a/.1,2/b/;y=3;y=4"


def test_label_dot_value_rejected():
    tool = make_tool("/a/{x}/b", parameters=(param("x", "path", style="label"),))
    with pytest.raises(ArgumentError, match="'x'"):
        build_request(tool, {"x": "."}, BASE)


def test_undeclared_placeholder_is_build_error():
    with pytest.raises(RequestBuildError, match="'id'"):
        build_request(make_tool("/items/{id}"), {}, BASE)


@pytest.mark.parametrize("name", ["Host", "Cookie", "Content-Length", "Transfer-Encoding", "Proxy-Authorization",
                                  "Forwarded", "X-Forwarded-For", "Authorization", "Accept", "Content-Type"])
def test_reserved_header_parameters_never_sent(name):
    tool = make_tool(parameters=(param(name, "header"),))
    request = build_request(tool, {name: "evil.example"}, BASE)
    assert request.header(name) is None


@pytest.mark.parametrize("value", ["a\r\nX-Admin: 1", "a\nb", "a\x00b", "caf\u00e9", " leading"])
def test_header_value_injection_rejected(value):
    tool = make_tool(parameters=(param("X-Request-Id", "header"),))
    with pytest.raises(ArgumentError, match="X-Request-Id"):
        build_request(tool, {"X-Request-Id": value}, BASE)


def test_header_name_must_be_token():
    tool = make_tool(parameters=(param("Bad Name", "header"),))
    with pytest.raises(RequestBuildError):
        build_request(tool, {"Bad Name": "x"}, BASE)


def test_json_body_flattened_with_wire_names():
    body = BodySpec("application/json", "json", True, properties={"id": "id", "user_name": "user.name"},
                    schema={"type": "object"})
    tool = make_tool(method="POST", parameters=(param("id", "path", argument="id__path"),), path="/u/{id}", body=body)
    request = build_request(tool, {"id__path": "p1", "id": "b1", "user_name": "Ann"}, BASE)
    assert request.url == f"{BASE}/u/p1"
    assert json.loads(request.body) == {"id": "b1", "user.name": "Ann"}
    assert request.header("Content-Type") == "application/json"


def test_name_map_renames_nested_keys():
    body = BodySpec("application/json", "json", True, properties={"meta": "meta"}, schema={"type": "object"},
                    names={"meta": {"keys": {"a_b": "a.b"}, "properties": {"list": {"items": {"keys": {"x_y": "x-y"}}}}}})
    tool = make_tool(method="POST", body=body)
    request = build_request(tool, {"meta": {"a_b": 1, "list": [{"x_y": 2}]}}, BASE)
    assert json.loads(request.body) == {"meta": {"a.b": 1, "list": [{"x-y": 2}]}}


def test_optional_json_body_omitted_when_empty():
    body = BodySpec("application/json", "json", False, properties={"a": "a"}, schema={"type": "object"})
    request = build_request(make_tool(method="POST", body=body), {}, BASE)
    assert request.body is None
    assert request.header("Content-Type") is None


def test_required_whole_body_missing_names_it():
    body = BodySpec("application/json", "json", True, argument="body", schema={"type": "array"})
    with pytest.raises(ArgumentError, match="'body'"):
        build_request(make_tool(method="POST", body=body), {}, BASE)


def test_text_body_utf8():
    body = BodySpec("text/plain", "text", True, argument="body", schema={"type": "string"})
    request = build_request(make_tool(method="POST", body=body), {"body": "Größe"}, BASE)
    assert request.body == "Größe".encode("utf-8")
    assert request.header("Content-Type") == "text/plain; charset=utf-8"


def test_form_body_json_encoded_property():
    body = BodySpec("application/x-www-form-urlencoded", "form", True, properties={"meta": "meta"},
                    schema={"type": "object"}, encoding={"meta": {"contentType": "application/json"}})
    request = build_request(make_tool(method="POST", body=body), {"meta": {"a": 1}}, BASE)
    assert request.body == b"meta=%7B%22a%22%3A1%7D"


def test_binary_body_urlsafe_base64():
    body = BodySpec("application/octet-stream", "binary", True, argument="body", schema={"type": "string"})
    request = build_request(make_tool(method="PUT", body=body), {"body": "AAEC_w"}, BASE)
    assert request.body == b"\x00\x01\x02\xff"


def test_wildcard_binary_type_sent_as_octet_stream():
    body = BodySpec("image/*", "binary", True, argument="body", schema={"type": "string"})
    request = build_request(make_tool(method="PUT", body=body), {"body": "AAEC"}, BASE)
    assert request.header("Content-Type") == "application/octet-stream"


def test_upload_size_limit_enforced(monkeypatch):
    from cast_gateway.request import bodies

    monkeypatch.setattr(bodies, "MAX_DECODED_UPLOAD_BYTES", 3)
    body = BodySpec("application/octet-stream", "binary", True, argument="body", schema={"type": "string"})
    with pytest.raises(ArgumentError, match="upload limit"):
        build_request(make_tool(method="PUT", body=body), {"body": "AAECAwQF"}, BASE)


def test_multipart_fixed_boundary_and_layout():
    body = BodySpec("multipart/form-data", "multipart", True, properties={"file": "file", "n": "n"},
                    schema={"type": "object"}, files=("file",))
    tool = make_tool(method="POST", body=body)
    request = build_request(tool, {"file": "AAEC", "n": 3}, BASE, boundary=lambda: "XyZ")
    assert request.header("Content-Type") == "multipart/form-data; boundary=XyZ"
    assert request.body == (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\x00\x01\x02\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="n"\r\n\r\n3\r\n'
        b"--XyZ--\r\n"
    )


def test_multipart_boundary_never_inside_content():
    body = BodySpec("multipart/form-data", "multipart", True, properties={"t": "t"}, schema={"type": "object"})
    request = build_request(make_tool(method="POST", body=body), {"t": "has XyZ inside"}, BASE, boundary=lambda: "XyZ")
    assert "boundary=XyZ" not in request.header("Content-Type")


def test_content_parameter_sent_as_json():
    from dataclasses import replace

    parameter = replace(param("filter", "query", {"type": "object"}), content_type="application/json")
    request = build_request(make_tool(parameters=(parameter,)), {"filter": {"a": 1}}, BASE)
    assert request.url == f"{BASE}/items?filter=%7B%22a%22%3A1%7D"


def test_method_upper_cased():
    assert build_request(make_tool(method="delete"), {}, BASE).method == "DELETE"
