"""Request bodies: JSON, form-urlencoded, multipart, raw binary and text, from the body arguments."""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from cast_gateway.openapi.model import BodySpec, Tool

from .arguments import accepts_null
from .errors import ArgumentError, RequestBuildError
from .headers import is_safe_value
from .names import rename_to_wire
from .styles import encode_component, query_pairs, scalar_text

__all__ = ["EncodedBody", "encode_body", "decode_base64_argument", "MAX_DECODED_UPLOAD_BYTES"]

# Decoded size limit of one base64 argument (a file part or a raw body). The MCP transport
# caps a whole request at a few MiB by default, so this only bites when that cap is raised.
MAX_DECODED_UPLOAD_BYTES = 32 * 1024 * 1024

BoundaryFactory = Callable[[], str]


@dataclass(frozen=True)
class EncodedBody:
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"EncodedBody(content_type={self.content_type!r}, data={len(self.data)} bytes)"


def _random_boundary() -> str:
    return "cast-" + secrets.token_hex(16)


def encode_body(tool: Tool, arguments: Mapping[str, Any], boundary: BoundaryFactory = _random_boundary) -> EncodedBody | None:
    """Encode the body of `tool` from `arguments`, or return None when the call sends no body."""
    body = tool.body
    if body is None:
        return None
    names: Mapping[str, Mapping[str, Any]] = getattr(body, "names", {}) or {}

    if body.argument is not None:
        if body.argument not in arguments:
            if body.required:
                raise ArgumentError(f"argument {body.argument!r}: the request body is required; pass it")
            return None
        value = rename_to_wire(arguments[body.argument], names.get(body.argument))
        if body.kind in ("form", "multipart"):
            members = _as_members(body, value)
            fields = [(f"{body.argument}.{key}", str(key), member) for key, member in members.items()]
            return _encode_fields(tool, body, fields, boundary)
        return _encode_single(tool, body, value)

    fields = [
        (argument, wire, rename_to_wire(arguments[argument], names.get(argument)))
        for argument, wire in body.properties.items()
        if argument in arguments
    ]
    if not fields and not body.required:
        return None
    if body.kind in ("form", "multipart"):
        return _encode_fields(tool, body, fields, boundary)
    return _encode_single(tool, body, {wire: value for _, wire, value in fields})


def _encode_single(tool: Tool, body: BodySpec, value: Any) -> EncodedBody:
    if body.kind == "json":
        return EncodedBody(body.media_type, _json_bytes(value))
    if body.kind == "binary":
        data = decode_base64_argument(body.argument or "body", value)
        return EncodedBody(_concrete_media_type(body.media_type), data)
    if body.kind == "text":
        text = value if isinstance(value, str) else scalar_text(value)
        return EncodedBody(_with_utf8_charset(body.media_type), text.encode("utf-8"))
    if body.kind in ("form", "multipart"):
        raise ArgumentError(f"argument {body.argument or 'body'!r}: a {body.media_type} body must be an object")
    raise RequestBuildError(f"tool {tool.name!r}: unknown body kind {body.kind!r}; recompile the spec")


def _encode_fields(tool: Tool, body: BodySpec, fields: list[Field], boundary: BoundaryFactory) -> EncodedBody:
    kept = [field for field in fields if field[2] is not None or accepts_null(_field_schema(tool, body, field))]
    if body.kind == "form":
        return EncodedBody(body.media_type, _form_bytes(tool, body, kept))
    return _multipart(tool, body, kept, boundary)


# One top-level member of a form or multipart body: (argument path for messages, wire name, value).
Field = tuple[str, str, Any]


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _as_members(body: BodySpec, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        name = body.argument or "body"
        raise ArgumentError(f"argument {name!r}: a {body.media_type} body must be an object, got {type(value).__name__}")
    return value


def _field_schema(tool: Tool, body: BodySpec, field: Field) -> Mapping[str, Any] | None:
    """Return the schema of one body member: the tool argument's when flattened, else the body schema's."""
    argument, wire, _ = field
    if body.argument is None:
        properties = tool.input_schema.get("properties", {})
        schema = properties.get(argument) if isinstance(properties, Mapping) else None
    else:
        properties = body.schema.get("properties") if isinstance(body.schema, Mapping) else None
        schema = properties.get(wire) if isinstance(properties, Mapping) else None
    return schema if isinstance(schema, Mapping) else None


def _form_bytes(tool: Tool, body: BodySpec, fields: list[Field]) -> bytes:
    pairs: list[str] = []
    for field in fields:
        _, wire_name, value = field
        schema = _field_schema(tool, body, field)
        encoding = body.encoding.get(wire_name, {})
        content_type = encoding.get("contentType")
        if isinstance(content_type, str) and _is_json_type(content_type):
            pairs.append(f"{encode_component(wire_name)}={encode_component(_json_bytes(value).decode('utf-8'))}")
            continue
        style = str(encoding.get("style", "form"))
        explode = bool(encoding.get("explode", style == "form"))
        pairs.extend(query_pairs(style, explode, wire_name, value, schema, bool(encoding.get("allowReserved", False))))
    return "&".join(pairs).encode("ascii")


def _is_json_type(media_type: str) -> bool:
    essence = media_type.split(";", 1)[0].strip().lower()
    return essence == "application/json" or essence.endswith("+json")


def _is_file_schema(schema: Mapping[str, Any] | None) -> bool:
    if not isinstance(schema, Mapping):
        return False
    return schema.get("format") == "binary" or schema.get("contentEncoding") == "base64"


def _multipart(tool: Tool, body: BodySpec, fields: list[Field], boundary_factory: BoundaryFactory) -> EncodedBody:
    files = set(getattr(body, "files", ()))
    parts: list[tuple[str, str | None, str | None, bytes]] = []  # name, filename, content type, data

    for field in fields:
        label, wire_name, value = field
        schema = _field_schema(tool, body, field)
        declared_type = body.encoding.get(wire_name, {}).get("contentType")
        is_array = isinstance(value, list)
        item_schema = schema.get("items") if is_array and isinstance(schema, Mapping) else schema
        is_file = wire_name in files or _is_file_schema(item_schema)
        items = value if is_array else [value]
        for index, item in enumerate(items):
            if item is None:
                continue
            item_label = f"{label}[{index}]" if is_array else label
            if is_file:
                media_type = declared_type or _schema_media_type(item_schema) or "application/octet-stream"
                # An encoding contentType may list several types (`image/png, image/jpeg`); the first is sent.
                media_type = _concrete_media_type(media_type.split(",")[0].strip())
                parts.append((wire_name, wire_name, media_type, decode_base64_argument(item_label, item)))
            elif isinstance(item, (Mapping, list)) or (declared_type and _is_json_type(declared_type)):
                parts.append((wire_name, None, declared_type or "application/json", _json_bytes(item)))
            else:
                parts.append((wire_name, None, declared_type, scalar_text(item, item_schema).encode("utf-8")))

    boundary = boundary_factory()
    while any(boundary.encode("ascii") in data for _, _, _, data in parts):
        boundary = _random_boundary()

    chunks: list[bytes] = []
    for name, filename, content_type, data in parts:
        disposition = f'form-data; name="{_quote_part_parameter(name)}"'
        if filename is not None:
            disposition += f'; filename="{_quote_part_parameter(filename)}"'
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8"))
        if content_type:
            if not is_safe_value(content_type):
                raise RequestBuildError(f"tool {tool.name!r}: part content type {content_type[:80]!r} is not a valid header value")
            chunks.append(f"Content-Type: {content_type}\r\n".encode("ascii"))
        chunks.append(b"\r\n" + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    return EncodedBody(f"{body.media_type.split(';', 1)[0]}; boundary={boundary}", b"".join(chunks))


def _schema_media_type(schema: Mapping[str, Any] | None) -> str | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("contentMediaType"), str):
        return str(schema["contentMediaType"])
    return None


def _quote_part_parameter(text: str) -> str:
    # The escaping HTML forms use for field names and file names (WHATWG multipart/form-data).
    return text.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def _concrete_media_type(media_type: str) -> str:
    # A wildcard range (`image/*`, `*/*`) names no type the upstream could parse.
    return "application/octet-stream" if "*" in media_type else media_type


def _with_utf8_charset(media_type: str) -> str:
    return media_type if "charset=" in media_type.lower() else f"{media_type}; charset=utf-8"


def decode_base64_argument(name: str, value: Any) -> bytes:
    """Decode a base64 (standard or URL-safe alphabet) argument, checking its size before decoding."""
    if not isinstance(value, str):
        raise ArgumentError(f"argument {name!r}: expected base64 text, got {type(value).__name__}")
    compact = "".join(value.split())
    if len(compact) * 3 // 4 > MAX_DECODED_UPLOAD_BYTES:
        raise ArgumentError(
            f"argument {name!r}: decodes to about {len(compact) * 3 // 4} bytes, above the upload limit of "
            f"{MAX_DECODED_UPLOAD_BYTES} bytes; send a smaller file"
        )
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise ArgumentError(f"argument {name!r}: is not valid base64; encode the file content with base64") from None
