"""The arguments a call really uses: JSON nulls dropped where the schema has no null, required
parameters filled from their declared default.

Validation and the builder both go through `effective_arguments`, so what is validated is
exactly what is sent.
"""

from __future__ import annotations

from typing import Any, Mapping

from cast_gateway.openapi.model import Tool

__all__ = ["effective_arguments", "accepts_null", "bounded_repr", "MAX_REPR_CHARS"]

# Values in messages come from the model and may be huge; this caps the repr of one value.
MAX_REPR_CHARS = 80


def bounded_repr(value: Any, limit: int = MAX_REPR_CHARS) -> str:
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} chars)"


def accepts_null(schema: Mapping[str, Any] | None) -> bool:
    """Whether a schema lets `null` through, read from `type`, `nullable`, `enum`, `const` and combinators."""
    if not isinstance(schema, Mapping):
        return True
    if schema.get("nullable") is True:
        return True
    if "const" in schema:
        return schema["const"] is None
    if "enum" in schema:
        return None in schema["enum"]
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            return any(accepts_null(member) for member in schema[combinator])
    if "allOf" in schema:
        return all(accepts_null(member) for member in schema["allOf"])
    kind = schema.get("type")
    if kind is None:
        return True
    if isinstance(kind, str):
        return kind == "null"
    return "null" in kind


def effective_arguments(tool: Tool, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Return the arguments to validate and send.

    A top-level `null` whose property schema has no null means "omitted": models send it
    for optional arguments they mean to leave out, and a URL has no way to carry it. A
    required parameter that is missing takes the schema's `default`, because the spec
    promises the server that value; optional parameters are never filled in.
    """
    properties = tool.input_schema.get("properties", {})
    effective: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is None and not accepts_null(properties.get(name)):
            continue
        effective[name] = value

    for parameter in tool.parameters:
        if parameter.required and parameter.argument not in effective and "default" in parameter.schema:
            effective[parameter.argument] = parameter.schema["default"]
    return effective
