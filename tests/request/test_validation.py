from __future__ import annotations

import pytest

from cast_gateway.request.validation import ArgumentError, _validators, validate_arguments
from request_helpers import make_tool, param


def limited_tool():
    return make_tool(parameters=(
        param("limit", "query", {"type": "integer", "maximum": 100}, required=True),
        param("verbose", "query", {"type": "boolean"}),
        param("note", "query", {"type": "string", "maxLength": 5}),
    ))


def test_valid_arguments_pass():
    validate_arguments(limited_tool(), {"limit": 10, "verbose": True})


def test_maximum_names_argument_and_rule():
    with pytest.raises(ArgumentError) as caught:
        validate_arguments(limited_tool(), {"limit": 500})
    assert str(caught.value) == "argument 'limit': 500 is greater than the maximum of 100"


def test_missing_required_names_argument():
    with pytest.raises(ArgumentError, match="'limit' is a required property"):
        validate_arguments(limited_tool(), {})


def test_long_value_is_bounded_in_message():
    with pytest.raises(ArgumentError) as caught:
        validate_arguments(limited_tool(), {"limit": 1, "note": "x" * 10_000})
    message = str(caught.value)
    assert "is too long" in message
    assert len(message) < 300
    assert "x" * 100 not in message


def test_nested_error_has_json_path():
    tool = make_tool(input_schema={
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["name"]}}},
    })
    with pytest.raises(ArgumentError, match=r"argument 'items\[1\]': 'name' is a required property"):
        validate_arguments(tool, {"items": [{"name": "a"}, {}]})


def test_null_optional_counts_as_omitted():
    validate_arguments(limited_tool(), {"limit": 1, "verbose": None})


def test_null_required_is_missing():
    with pytest.raises(ArgumentError, match="'limit' is a required property"):
        validate_arguments(limited_tool(), {"limit": None})


def test_required_parameter_default_fills_before_validation():
    tool = make_tool(parameters=(param("limit", "query", {"type": "integer", "default": 50}, required=True),))
    validate_arguments(tool, {})


def test_arguments_must_be_object():
    with pytest.raises(ArgumentError, match="JSON object"):
        validate_arguments(limited_tool(), ["not", "an", "object"])  # type: ignore[arg-type]


def test_validator_compiled_once_per_tool():
    tool = limited_tool()
    validate_arguments(tool, {"limit": 1})
    first = _validators.get(tool.input_schema)
    validate_arguments(tool, {"limit": 2})
    assert _validators.get(tool.input_schema) is first


def test_argument_error_is_value_error():
    assert issubclass(ArgumentError, ValueError)
