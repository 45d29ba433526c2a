"""A small Hypothesis strategy that draws JSON values from the JSON Schema subset tool inputs use.

It covers type, enum, const, properties/required, items, additionalProperties, min/max bounds,
lengths, pattern, anyOf/oneOf/allOf and local `$ref`s; other keywords are ignored, so a drawn
value can still fail validation and the property test then checks that it is rejected cleanly.
"""

from __future__ import annotations

import base64
from typing import Any, Mapping

from hypothesis import strategies as st

__all__ = ["from_schema"]

# Characters that break naive URL, header and cookie building.
NASTY = st.sampled_from(["/", "?", "#", "%", ".", "..", "&", "=", "+", ";", ",", " ", "\r", "\n", "ü", "{", "}", "\"", "'"])
TEXT = st.lists(st.one_of(NASTY, st.text(min_size=1, max_size=3)), max_size=5).map("".join)
MAX_DEPTH = 4


def from_schema(schema: Mapping[str, Any], root: Mapping[str, Any] | None = None, depth: int = 0) -> st.SearchStrategy[Any]:
    root = root if root is not None else schema
    if not isinstance(schema, Mapping):
        return st.none()
    if "$ref" in schema and isinstance(schema["$ref"], str) and schema["$ref"].startswith("#/"):
        if depth >= MAX_DEPTH:
            return st.just({})
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return from_schema(target, root, depth + 1)
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema and schema["enum"]:
        return st.sampled_from(list(schema["enum"]))
    for combinator in ("anyOf", "oneOf"):
        if schema.get(combinator):
            return st.one_of([from_schema(member, root, depth + 1) for member in schema[combinator]])
    if schema.get("allOf"):
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for member in schema["allOf"]:
            if isinstance(member, Mapping):
                merged["properties"].update(member.get("properties", {}))
                merged["required"] += list(member.get("required", []))
        return from_schema(merged, root, depth + 1)

    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": one}, root, depth) for one in kind])
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(min_value=_bound(schema, "minimum"), max_value=_bound(schema, "maximum"))
    if kind == "number":
        return st.floats(min_value=_bound(schema, "minimum"), max_value=_bound(schema, "maximum"),
                         allow_nan=False, allow_infinity=False)
    if kind == "string":
        return _string(schema)
    if kind == "array":
        if depth >= MAX_DEPTH:
            return st.just([])
        items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        return st.lists(from_schema(items, root, depth + 1), min_size=int(schema.get("minItems", 0)),
                        max_size=max(int(schema.get("minItems", 0)), min(3, int(schema.get("maxItems", 3)))))
    if kind == "object" or "properties" in schema:
        return _object(schema, root, depth)
    return st.one_of(st.booleans(), st.integers(-5, 5), TEXT)


def _bound(schema: Mapping[str, Any], key: str) -> Any:
    value = schema.get(key)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    if schema.get("contentEncoding") == "base64" or schema.get("format") in ("binary", "byte"):
        return st.binary(max_size=16).map(lambda data: base64.b64encode(data).decode("ascii"))
    if isinstance(schema.get("pattern"), str):
        try:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda text: len(text) < 40)
        except Exception:  # a pattern Python's re does not read (ECMA-only syntax): fall back to text
            pass
    low = int(schema.get("minLength", 0))
    high = int(schema.get("maxLength", max(low, 12)))
    return TEXT.filter(lambda text: low <= len(text) <= high) | st.text(min_size=low, max_size=min(high, low + 8))


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth >= MAX_DEPTH:
        return st.just({})
    properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    required = [name for name in schema.get("required", []) if name in properties]
    optional = [name for name in properties if name not in required]
    fixed = st.fixed_dictionaries(
        {name: from_schema(properties[name], root, depth + 1) for name in required},
        optional={name: from_schema(properties[name], root, depth + 1) for name in optional},
    )
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping) and extra and not properties:
        return st.dictionaries(st.text(min_size=1, max_size=6), from_schema(extra, root, depth + 1), max_size=2)
    return fixed
