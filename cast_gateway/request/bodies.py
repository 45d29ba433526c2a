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

    if body.argument is not None:
        if body.argument not in arguments:
            if body.required:
                raise ArgumentError(f"argument {body.argument!r}: the request body is required; pass it")
            return None
        value: Any = arguments[body.argument]
        members: Mapping[str, Any] | None = None
    else:
        members = {wire: arguments[arg] for arg, wire in body.properties.items() if arg in arguments}
        if not members and not body.required:
            return None
        value = members

    if body.kind == "json":
        return EncodedBody(body.media_type, _json_bytes(value))
    if body.kind == "form":
        return EncodedBody(body.media_type, _form_bytes(body, _as_members(body, value)))
    if body.kind == "multipart":
        return _multipart(body, tool, _as_members(body, value), boundary)
    if body.kind == "binary":
        data = decode_base64_argument(body.argument or "body", value)
        return EncodedBody(_concrete_media_type(body.media_type), data)
    if body.kind == "text":
        if not isinstance(value, str):
            value = scalar_text(value)
        return EncodedBody(_with_utf8_charset(body.media_type), value.encode("utf-8"))
    raise RequestBuildError(f"tool {tool.name!r}: unknown body kind {body.kind!r}; recompile the spec")


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _as_members(body: BodySpec, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        name = body.argument or "body"
        raise ArgumentError(f"argument {name!r}: a {body.media_type} body must be an object, got {type(value).__name__}")
    return value


def _property_schema(body: BodySpec, wire_name: str) -> Mapping[str, Any] | None:
    properties = body.schema.get("properties") if isinstance(body.schema, Mapping) else None
    if isinstance(properties, Mapping) and isinstance(properties.get(wire_name), Mapping):
        return properties[wire_name]
    return None


def _form_bytes(body: BodySpec, members: Mapping[str, Any]) -> bytes:
    pairs: list[str] = []
    for wire_name, value in members.items():
        if value is None and not accepts_null(_property_schema(body, wire_name)):
            continue
        encoding = body.encoding.get(wire_name, {})
        schema = _property_schema(body, wire_name)
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
    return schema.get("format") in ("binary", "byte") or schema.get("contentEncoding") == "base64"


def _multipart(body: BodySpec, tool: Tool, members: Mapping[str, Any], boundary_factory: BoundaryFactory) -> EncodedBody:
    argument_of = {wire: arg for arg, wire in body.properties.items()}
    input_properties = tool.input_schema.get("properties", {})
    parts: list[tuple[str, str | None, str | None, bytes]] = []  # name, filename, content type, data

    for wire_name, value in members.items():
        schema = _property_schema(body, wire_name)
        if value is None and not accepts_null(schema):
            continue
        argument = argument_of.get(wire_name, wire_name)
        argument_schema = input_properties.get(argument) if isinstance(input_properties, Mapping) else None
        declared_type = body.encoding.get(wire_name, {}).get("contentType")
        items = value if isinstance(value, list) and not _is_file_schema(schema) else [value]
        item_schema = schema.get("items") if isinstance(schema, Mapping) and isinstance(value, list) else schema
        item_argument_schema = (
            argument_schema.get("items") if isinstance(argument_schema, Mapping) and isinstance(value, list) else argument_schema
        )
        for index, item in enumerate(items):
            if item is None:
                continue
            label = f"{argument}[{index}]" if items is value else argument
            if _is_file_schema(item_schema) or _is_file_schema(item_argument_schema):
                media_type = declared_type or _schema_media_type(item_argument_schema) or "application/octet-stream"
                parts.append((wire_name, wire_name, _concrete_media_type(media_type.split(",")[0].strip()), decode_base64_argument(label, item)))
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
            chunks.append(f"Content-Type: {content_type}\r\n".encode("ascii", "replace"))
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
