"""OpenAPI Schema Objects (3.0 and 3.1) to self-contained JSON Schema 2020-12.

What model APIs and MCP clients accept is narrower than what OpenAPI allows, so the output
is built from an allow-list of keywords:

- every `$ref` is inlined; a reference back into a schema that is being expanded (a cycle)
  becomes a permissive schema whose description states so, and references nested deeper than
  `max_ref_depth` are cut the same way;
- 3.0 `nullable` becomes a type array (or an `anyOf` with `{"type": "null"}`), boolean
  `exclusiveMinimum`/`exclusiveMaximum` become the numeric form, `example` becomes `examples`;
- OpenAPI-only and unknown keywords (`discriminator`, `xml`, `externalDocs`, `x-*`) are dropped,
  and so is any keyword whose value has the wrong type (a real spec's `minimum: "0"`);
- `readOnly` properties leave input schemas, `writeOnly` properties leave output schemas;
- `allOf` members are merged when they agree; `oneOf`/`anyOf` are kept;
- every array gets `items`; a property key outside `^[a-zA-Z0-9_-]{1,64}$` is renamed, and
  `NameMap` records the wire name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from .errors import MissingFileError, OperationError, RefError
from .loader import SourceFloat, SourceInt, plain, source_text
from .refs import Location, RefResolver, pointer_join

__all__ = [
    "Mode",
    "Converted",
    "SchemaConverter",
    "KEY_PATTERN",
    "MAX_REF_DEPTH",
    "safe_key",
    "merge_name_maps",
]

Mode = Literal["input", "output"]

MAX_REF_DEPTH = 5
"""References expanded inside one another before the rest is cut to a permissive schema.

Large specs link hundreds of schemas to each other; expanding every path would make single
tool schemas megabytes long, which no model context can hold.
"""

MAX_OUTPUT_REF_DEPTH = 3
"""The same bound for output schemas, which clients only display and check loosely."""

MAX_INLINE_NODES = 250
"""Schema objects a nested reference may expand to. A larger one is expanded one level only
(its own properties, their references cut), which bounds the size of every tool schema."""

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

_TYPES = {"string", "number", "integer", "boolean", "array", "object", "null"}
_NUMBER_KEYS = ("minimum", "maximum", "multipleOf")
_COUNT_KEYS = (
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "minContains",
    "maxContains",
)
_TEXT_KEYS = ("title", "description", "format", "contentEncoding", "contentMediaType")
_FLAG_KEYS = ("uniqueItems", "readOnly", "writeOnly", "deprecated")
_SCHEMA_LIST_KEYS = ("oneOf", "anyOf")
_SCALAR_KEYWORDS = frozenset(
    (*_TEXT_KEYS, *_FLAG_KEYS, *_NUMBER_KEYS, *_COUNT_KEYS, "pattern", "exclusiveMinimum", "exclusiveMaximum")
)


def safe_key(key: str) -> str:
    """Return a deterministic client-safe replacement for a property or argument key."""
    if KEY_PATTERN.match(key):
        return key
    cleaned = re.sub(r"[^a-zA-Z0-9_-]+", "_", key).strip("_")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]
    cleaned = cleaned[:57] if cleaned else "key"
    return f"{cleaned}_{digest}"


def merge_name_maps(first: dict[str, Any] | None, second: dict[str, Any] | None) -> dict[str, Any] | None:
    if not first:
        return second or None
    if not second:
        return first
    merged: dict[str, Any] = {}
    keys = {**first.get("keys", {}), **second.get("keys", {})}
    if keys:
        merged["keys"] = keys
    properties = dict(first.get("properties", {}))
    for name, sub in second.get("properties", {}).items():
        properties[name] = merge_name_maps(properties.get(name), sub)
    if properties:
        merged["properties"] = properties
    for slot in ("items", "additionalProperties"):
        value = merge_name_maps(first.get(slot), second.get(slot))
        if value:
            merged[slot] = value
    return merged or None


@dataclass
class Converted:
    """A converted schema, the wire names of the keys it renamed, and the cycles it cut."""

    schema: dict[str, Any]
    names: dict[str, Any] | None = None
    open: frozenset[Location] = frozenset()
    size: int = 1


class _SubLocation:
    """The location of a subschema, whose JSON pointer is built only when a message needs it.

    Large specs have tens of thousands of subschemas and almost none of them ever appears
    in a warning, so joining and escaping every pointer up front is wasted work.
    """

    __slots__ = ("file", "_parent", "_tokens", "_pointer")

    def __init__(self, parent: Location | _SubLocation, tokens: tuple[str | int, ...]) -> None:
        self.file: str = parent.file
        self._parent = parent
        self._tokens = tokens
        self._pointer: str | None = None

    @property
    def pointer(self) -> str:
        if self._pointer is None:
            self._pointer = pointer_join(self._parent.pointer, *self._tokens)
        return self._pointer

    def child(self, *tokens: str | int) -> _SubLocation:
        return _SubLocation(self, tokens)

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}"


@dataclass
class _State:
    mode: Mode
    ceiling: int
    stack: list[Location] = field(default_factory=list)


class SchemaConverter:
    """Converts schemas of one spec; caches expanded references shared between operations."""

    def __init__(
        self,
        resolver: RefResolver,
        *,
        openapi30: bool,
        problems: list[tuple[str, str]] | None = None,
        max_ref_depth: int = MAX_REF_DEPTH,
    ) -> None:
        self.resolver = resolver
        self.openapi30 = openapi30
        self.problems = problems if problems is not None else []
        self.max_ref_depth = max_ref_depth
        self._cache: dict[tuple[Location, Mode, int], Converted] = {}

    def convert(self, schema: Any, at: Location, mode: Mode) -> Converted:
        """Convert one schema. A broken reference at its root raises RefError (the caller
        skips the operation); one nested inside becomes a permissive schema and a warning."""
        ceiling = self.max_ref_depth if mode == "input" else min(self.max_ref_depth, MAX_OUTPUT_REF_DEPTH)
        return self._convert(schema, at, _State(mode, ceiling))

    def _convert(self, schema: Any, at: Location, state: _State) -> Converted:
        if schema is True or schema is None:
            return Converted({})
        if schema is False:
            return Converted({"not": {}})
        if not isinstance(schema, dict):
            raise OperationError(f"schema at {at.pointer or '/'} is {type(schema).__name__}, not an object")
        if "$ref" in schema:
            return self._reference(schema, at, state)
        return self._object(schema, at, state)

    def _reference(self, schema: dict[str, Any], at: Location, state: _State) -> Converted:
        ref = schema["$ref"]
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        try:
            target = self.resolver.target(ref, at)
            resolved = self.resolver.lookup(target, ref)
        except MissingFileError:
            raise
        except RefError as exc:
            if not state.stack and at.pointer.endswith("/schema"):
                raise
            self.problems.append((at.pointer, f"{exc}; replaced by a schema that accepts any value"))
            return Converted({"description": f"unresolved reference {str(ref)[:80]!r}: any value"})
        name = target.pointer.rsplit("/", 1)[-1] or target.file
        if target in state.stack:
            return Converted(_cut(resolved, f"{name} (recursive: same shape as the enclosing {name})"), None, frozenset({target}))
        depth = len(state.stack)
        if depth >= state.ceiling:
            return Converted(_cut(resolved, f"{name} (nested too deep to expand here)"))
        cached = self._expand(target, resolved, state)
        if depth > 0 and cached.size > MAX_INLINE_NODES and state.ceiling > depth + 1:
            outer = state.ceiling
            state.ceiling = depth + 1
            try:
                cached = self._expand(target, resolved, state)
            finally:
                state.ceiling = outer
        if not siblings:
            return cached
        # OpenAPI 3.1 allows keywords beside $ref (3.0 tools emit them too): they refine the target.
        beside = self._object(siblings, at, state)
        merged = _merge_all([cached.schema, beside.schema])
        if merged is None:
            merged = {"allOf": [cached.schema, beside.schema]}
        return Converted(
            merged, merge_name_maps(cached.names, beside.names), cached.open | beside.open, cached.size + beside.size
        )

    def _expand(self, target: Location, resolved: Any, state: _State) -> Converted:
        depth = len(state.stack)
        key = (target, state.mode, state.ceiling - depth)
        cached = self._cache.get(key)
        if cached is None:
            state.stack.append(target)
            try:
                inner = self._convert(resolved, target, state)
            finally:
                state.stack.pop()
            cached = Converted(inner.schema, inner.names, inner.open - {target}, inner.size)
            if not cached.open:
                # Independent of the enclosing schemas, so every operation can share it.
                self._cache[key] = cached
        return cached

    def _object(self, schema: dict[str, Any], at: Location, state: _State) -> Converted:
        out: dict[str, Any] = {}
        names: dict[str, Any] = {}
        open_cycles: set[Location] = set()
        size = 1

        def sub(value: Any, *tokens: str | int) -> Converted:
            nonlocal size
            # A _SubLocation offers the `file`, `pointer` and `child` that the converter uses.
            converted = self._convert(value, cast(Location, _SubLocation(at, tokens)), state)
            open_cycles.update(converted.open)
            size += converted.size
            return converted

        types = _types(schema.get("type"))
        if "file" in (types or ()):
            types = [t for t in types or () if t != "file"] + ["string"]
            out["contentEncoding"] = "base64"
        if types:
            out["type"] = types[0] if len(types) == 1 else types

        # Most schemas carry two or three of these keywords, so the loops test a set of
        # the present ones instead of looking every keyword up in the schema.
        present = _SCALAR_KEYWORDS.intersection(schema)
        if present:
            for keyword in _TEXT_KEYS:
                if keyword in present and isinstance(schema[keyword], str):
                    out[keyword] = schema[keyword]
            if out.get("format") == "binary" and out.get("type") == "string":
                # Binary strings travel through JSON arguments as base64.
                del out["format"]
                out.setdefault("contentEncoding", "base64")
            pattern = schema.get("pattern")
            if isinstance(pattern, str) and _valid_regex(pattern):
                out["pattern"] = pattern
            for keyword in _FLAG_KEYS:
                if keyword in present and isinstance(schema[keyword], bool):
                    out[keyword] = schema[keyword]
            for keyword in _NUMBER_KEYS:
                if keyword in present and _is_number(schema[keyword]):
                    out[keyword] = plain(schema[keyword])
            if "multipleOf" in out and out["multipleOf"] <= 0:
                del out["multipleOf"]
            for keyword in _COUNT_KEYS:
                if keyword in present:
                    value = schema[keyword]
                    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                        out[keyword] = int(value)
            _exclusive_bounds(schema, out)

        expected = out.get("type")
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            out["enum"] = _dedupe([_literal(value, expected) for value in schema["enum"]])
        if "const" in schema:
            out["const"] = _literal(schema["const"], expected)
        if "default" in schema:
            out["default"] = _literal(schema["default"], expected)
        if "examples" in schema or "example" in schema:
            examples = _examples(schema, expected)
            if examples:
                out["examples"] = examples

        if isinstance(schema.get("properties"), dict):
            properties: dict[str, Any] = {}
            renamed: dict[str, str] = {}
            nested: dict[str, Any] = {}
            for wire, value in schema["properties"].items():
                converted = sub(value, "properties", wire)
                if _hidden(converted.schema, state.mode):
                    continue
                key = safe_key(str(wire))
                if key != wire:
                    renamed[key] = wire
                properties[key] = converted.schema
                if converted.names:
                    nested[key] = converted.names
            out["properties"] = properties
            if renamed:
                names["keys"] = renamed
            if nested:
                names["properties"] = nested
        required = schema.get("required")
        if isinstance(required, list):
            wanted = [safe_key(name) for name in required if isinstance(name, str)]
            if "properties" in out:
                wanted = [name for name in wanted if name in out["properties"]]
            elif isinstance(schema.get("properties"), dict):
                wanted = []
            if wanted:
                out["required"] = _dedupe(wanted)

        additional = schema.get("additionalProperties")
        if isinstance(additional, bool):
            out["additionalProperties"] = additional
        elif isinstance(additional, dict):
            converted = sub(additional, "additionalProperties")
            out["additionalProperties"] = converted.schema
            if converted.names:
                names["additionalProperties"] = converted.names

        items = schema.get("items")
        if isinstance(items, list):
            out["prefixItems"] = [sub(item, "items", index).schema for index, item in enumerate(items)]
        elif items is not None:
            converted = sub(items, "items")
            out["items"] = converted.schema
            if converted.names:
                names["items"] = converted.names
        if isinstance(schema.get("prefixItems"), list):
            out["prefixItems"] = [sub(item, "prefixItems", i).schema for i, item in enumerate(schema["prefixItems"])]
        if _is_array(out) and "items" not in out:
            out["items"] = {}

        for keyword in _SCHEMA_LIST_KEYS:
            members = schema.get(keyword)
            if isinstance(members, list) and members:
                converted_members = [sub(member, keyword, index) for index, member in enumerate(members)]
                out[keyword] = [member.schema for member in converted_members]
                for member in converted_members:
                    names = merge_name_maps(names, member.names) or {}
        if isinstance(schema.get("not"), (dict, bool)):
            out["not"] = sub(schema["not"], "not").schema

        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            members = [sub(member, "allOf", index) for index, member in enumerate(all_of)]
            for member in members:
                names = merge_name_maps(names, member.names) or {}
            merged = _merge_all([member.schema for member in members] + [out])
            out = merged if merged is not None else {"allOf": [member.schema for member in members], **out}

        if self.openapi30 and schema.get("nullable") is True:
            out = _nullable(out)
        return Converted(out, names or None, frozenset(open_cycles), size)


def _types(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value] if value in _TYPES or value == "file" else None
    if isinstance(value, list):
        kept = [item for item in value if isinstance(item, str) and item in _TYPES]
        return _dedupe(kept) or None
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _is_array(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind)


def _valid_regex(pattern: str) -> bool:
    # Draft202012Validator.check_schema validates `pattern` with Python's re module.
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return False
    return True


def _exclusive_bounds(schema: dict[str, Any], out: dict[str, Any]) -> None:
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = schema.get(exclusive)
        if value is True and inclusive in out:
            # OpenAPI 3.0 boolean form: the bound itself is excluded.
            out[exclusive] = out.pop(inclusive)
        elif _is_number(value):
            out[exclusive] = plain(value)


def _literal(value: Any, expected: Any) -> Any:
    """Convert a literal (enum member, default, example) to the declared string type when YAML made it a number."""
    if expected == "string" and isinstance(value, (SourceInt, SourceFloat)):
        return value.source
    return plain(value)


def _dedupe(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    kept = []
    for value in values:
        marker = repr((type(value).__name__, value))
        if marker not in seen:
            seen.add(marker)
            kept.append(value)
    return kept


def _examples(schema: dict[str, Any], expected: Any) -> list[Any]:
    values: list[Any] = []
    if isinstance(schema.get("examples"), list):
        values.extend(schema["examples"])
    elif "example" in schema:
        values.append(schema["example"])
    kept = []
    for value in values:
        # An example that contradicts the declared type (YAML's 1234 for `example: 01234`) would mislead.
        if expected == "string" and not isinstance(value, str):
            if isinstance(value, (SourceInt, SourceFloat)):
                kept.append(source_text(value))
            continue
        kept.append(plain(value))
    return _dedupe(kept) if kept else []


def _hidden(schema: dict[str, Any], mode: Mode) -> bool:
    return schema.get("readOnly" if mode == "input" else "writeOnly") is True


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    if isinstance(kind, str) and not any(key in schema for key in ("allOf", "oneOf", "anyOf")):
        widened = dict(schema)
        widened["type"] = [kind, "null"] if kind != "null" else "null"
        if "enum" in widened and None not in widened["enum"]:
            widened["enum"] = [*widened["enum"], None]
        return widened
    if isinstance(kind, list):
        widened = dict(schema)
        if "null" not in kind:
            widened["type"] = [*kind, "null"]
        if "enum" in widened and None not in widened["enum"]:
            widened["enum"] = [*widened["enum"], None]
        return widened
    if not schema:
        return schema
    return {"anyOf": [schema, {"type": "null"}]}


def _cut(target: Any, description: str) -> dict[str, Any]:
    """Return the permissive stand-in for a reference that is not expanded."""
    kind = target.get("type") if isinstance(target, dict) else None
    if kind == "object" or (isinstance(target, dict) and "properties" in target):
        return {"type": "object", "description": description}
    if kind == "array":
        return {"type": "array", "items": {}, "description": description}
    return {"description": description}


_MERGEABLE_SAME = ("type", "format", "const", "pattern", "contentEncoding", "contentMediaType", "items")


def _merge_all(schemas: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Merge allOf members into one schema; None when they conflict (the caller keeps allOf)."""
    merged: dict[str, Any] = {}
    for schema in schemas:
        for key, value in schema.items():
            if key == "properties":
                properties = dict(merged.get("properties", {}))
                for name, sub in value.items():
                    if name in properties and properties[name] != sub:
                        combined = _merge_all([properties[name], sub])
                        if combined is None:
                            return None
                        properties[name] = combined
                    else:
                        properties[name] = sub
                merged["properties"] = properties
            elif key == "required":
                merged["required"] = _dedupe([*merged.get("required", []), *value])
            elif key == "allOf":
                return None
            elif key in _MERGEABLE_SAME and key in merged and merged[key] != value:
                if key == "type":
                    common = set(_types(merged[key]) or ()) & set(_types(value) or ())
                    if not common:
                        return None
                    ordered = [t for t in (_types(merged[key]) or []) if t in common]
                    merged[key] = ordered[0] if len(ordered) == 1 else ordered
                else:
                    return None
            elif key in ("oneOf", "anyOf") and key in merged:
                return None
            elif key == "enum" and "enum" in merged:
                common_values = [item for item in merged["enum"] if item in value]
                if not common_values:
                    return None
                merged["enum"] = common_values
            else:
                merged[key] = value
    if "properties" in merged and "required" in merged:
        merged["required"] = [name for name in merged["required"] if name in merged["properties"]]
        if not merged["required"]:
            del merged["required"]
    if "properties" in merged and "type" not in merged:
        merged["type"] = "object"
    return merged


def require_object_root(converted: dict[str, Any]) -> bool:
    """Return True when a converted schema can be flattened into tool arguments."""
    if any(key in converted for key in ("oneOf", "anyOf", "allOf", "not")):
        return False
    kind = converted.get("type")
    return kind == "object" or ("properties" in converted and kind is None)

