"""OpenAPI parameter serialisation: `style` and `explode` for path, query, header and cookie values.

Every function returns text that is already percent-encoded for its place in the request.
The expansions follow RFC 6570, which OpenAPI 3 builds its styles on. A delimiter inside a
value is encoded, so the server's split on that delimiter gets the value back.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping
from urllib.parse import quote

__all__ = [
    "scalar_text",
    "encode_component",
    "expand_path_value",
    "query_pairs",
    "header_value",
    "cookie_value",
    "QUERY_RESERVED_SAFE",
]

# With `allowReserved`, RFC 3986 reserved characters stay raw in the query, except those
# that would end the value or the pair (`&`, `=`, `#`) and `+`, which servers decode as a space.
QUERY_RESERVED_SAFE = ":/?[]@!$'()*,;"

# Separators of the delimited query styles, already encoded. `tabDelimited` is Swagger 2.0's
# `collectionFormat: tsv`.
_DELIMITERS = {"form": ",", "spaceDelimited": "%20", "pipeDelimited": "|", "tabDelimited": "%09"}


def scalar_text(value: Any, schema: Mapping[str, Any] | None = None) -> str:
    """Render one primitive as URL text: `true`/`false`, integers without `.0`, strings as they are.

    A float with no fraction becomes an integer when the schema type is `integer`, because JSON-RPC
    layers may parse `10` as `10.0`. Objects and arrays nested deeper than a style can express
    are sent as compact JSON.
    """
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and _declares_integer(schema):
            return str(int(value))
        return json.dumps(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _declares_integer(schema: Mapping[str, Any] | None) -> bool:
    if not isinstance(schema, Mapping):
        return False
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)


def _item_schema(schema: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("items"), Mapping):
        items: Mapping[str, Any] = schema["items"]
        return items
    return None


def _property_schema(schema: Mapping[str, Any] | None, key: str) -> Mapping[str, Any] | None:
    if isinstance(schema, Mapping):
        properties = schema.get("properties")
        if isinstance(properties, Mapping) and isinstance(properties.get(key), Mapping):
            found: Mapping[str, Any] = properties[key]
            return found
    return None


def encode_component(text: str, safe: str = "") -> str:
    """Percent-encode UTF-8 text, leaving only RFC 3986 unreserved characters (and `safe`) raw."""
    return quote(text, safe=safe)


def _encoded_items(value: list[Any], schema: Mapping[str, Any] | None, safe: str = "") -> list[str]:
    items = _item_schema(schema)
    return [encode_component(scalar_text(item, items), safe) for item in value if item is not None]


def _encoded_members(value: Mapping[str, Any], schema: Mapping[str, Any] | None, safe: str = "") -> list[tuple[str, str]]:
    return [
        (encode_component(str(key), safe), encode_component(scalar_text(member, _property_schema(schema, str(key))), safe))
        for key, member in value.items()
        if member is not None
    ]


def expand_path_value(style: str, explode: bool, name: str, value: Any, schema: Mapping[str, Any] | None) -> str:
    """Expand one path parameter (`simple`, `label` or `matrix`); the result never contains `/`, `?` or `#`."""
    prefix = {"label": ".", "matrix": ";"}.get(style, "")
    if isinstance(value, list):
        items = _encoded_items(value, schema)
        if style == "matrix":
            if explode:
                return "".join(f";{encode_component(name)}={item}" for item in items)
            return f";{encode_component(name)}=" + ",".join(items)
        separator = "." if style == "label" and explode else ","
        return prefix + separator.join(items)

    if isinstance(value, Mapping):
        members = _encoded_members(value, schema)
        if explode:
            separator = {"label": ".", "matrix": ";"}.get(style, ",")
            return prefix + separator.join(f"{key}={member}" for key, member in members)
        flat = ",".join(f"{key},{member}" for key, member in members)
        if style == "matrix":
            return f";{encode_component(name)}={flat}"
        return prefix + flat

    text = encode_component(scalar_text(value, schema))
    if style == "matrix":
        # RFC 6570: an empty value gives `;name` with no `=`.
        return f";{encode_component(name)}" + (f"={text}" if text else "")
    return prefix + text


def query_pairs(
    style: str, explode: bool, name: str, value: Any, schema: Mapping[str, Any] | None, allow_reserved: bool = False
) -> list[str]:
    """Serialise one query parameter into encoded `name=value` strings; empty arrays and objects give none."""
    safe = QUERY_RESERVED_SAFE if allow_reserved else ""
    key = encode_component(name)

    if isinstance(value, list):
        items = _encoded_items(value, schema, safe)
        if not items:
            return []
        if explode and style in _DELIMITERS:
            return [f"{key}={item}" for item in items]
        separator = _DELIMITERS.get(style, ",")
        return [f"{key}=" + separator.join(items)]

    if isinstance(value, Mapping):
        if style == "deepObject":
            return [f"{encoded_key}={text}" for encoded_key, text in _deep_object_pairs(name, value, schema, safe)]
        members = _encoded_members(value, schema, safe)
        if not members:
            return []
        if explode:
            return [f"{member_key}={member}" for member_key, member in members]
        separator = _DELIMITERS.get(style, ",")
        return [f"{key}=" + separator.join(f"{member_key}{separator}{member}" for member_key, member in members)]

    return [f"{key}={encode_component(scalar_text(value, schema), safe)}"]


def _deep_object_pairs(prefix: str, value: Mapping[str, Any], schema: Mapping[str, Any] | None, safe: str) -> list[tuple[str, str]]:
    # OpenAPI defines deepObject for one level only. Deeper objects nest brackets
    # (`a[b][c]=v`) and arrays repeat the key with an index (`a[b][0]=v`), the convention of
    # Rails, PHP and Stripe, because OpenAPI leaves both undefined.
    pairs: list[tuple[str, str]] = []
    for member_key, member in value.items():
        if member is None:
            continue
        member_schema = _property_schema(schema, str(member_key))
        path = f"{prefix}[{member_key}]"
        if isinstance(member, Mapping):
            pairs.extend(_deep_object_pairs(path, member, member_schema, safe))
        elif isinstance(member, list):
            items = _item_schema(member_schema)
            for index, item in enumerate(member):
                if isinstance(item, Mapping):
                    pairs.extend(_deep_object_pairs(f"{path}[{index}]", item, items, safe))
                elif item is not None:
                    pairs.append((encode_component(f"{path}[{index}]"), encode_component(scalar_text(item, items), safe)))
        else:
            pairs.append((encode_component(path), encode_component(scalar_text(member, member_schema), safe)))
    return pairs


def header_value(explode: bool, value: Any, schema: Mapping[str, Any] | None) -> str:
    """Serialise a header parameter with the `simple` style; the text is not percent-encoded."""
    if isinstance(value, list):
        items = _item_schema(schema)
        return ",".join(scalar_text(item, items) for item in value if item is not None)
    if isinstance(value, Mapping):
        members = [(str(key), scalar_text(member, _property_schema(schema, str(key)))) for key, member in value.items() if member is not None]
        if explode:
            return ",".join(f"{key}={member}" for key, member in members)
        return ",".join(f"{key},{member}" for key, member in members)
    return scalar_text(value, schema)


def cookie_value(value: Any, schema: Mapping[str, Any] | None) -> str:
    """Serialise a cookie parameter as OpenAPI `form` without explode: `a,b` and `k,v`.

    An exploded form has no representation inside one cookie, so arrays and objects are
    always comma-joined. Each element is percent-encoded, which keeps `;`, `,`, spaces and
    control characters out of the Cookie header.
    """
    if isinstance(value, list):
        return ",".join(_encoded_items(value, schema))
    if isinstance(value, Mapping):
        return ",".join(f"{key},{member}" for key, member in _encoded_members(value, schema))
    return encode_component(scalar_text(value, schema))
