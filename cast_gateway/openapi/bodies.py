"""Request bodies: which media type to send and how the body maps onto tool arguments.

An object body with properties is flattened: each top-level property is an argument. Any
other body (array, scalar, free-form map, combinators at the root, binary, text) is one
argument named `body`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .loader import plain
from .model import BodySpec
from .refs import Location, RefResolver
from .schema import Mode, SchemaConverter

__all__ = ["BODY_ARGUMENT", "BodyLayout", "body_kind", "choose_media_type", "build_body"]

BODY_ARGUMENT = "body"


def body_kind(media_type: str) -> str:
    """Return the BodySpec kind for a media type."""
    essence = media_type.split(";", 1)[0].strip().lower()
    if essence in ("application/json", "text/json", "*/*") or essence.endswith("+json") or essence.endswith("/json"):
        return "json"
    if essence == "application/x-www-form-urlencoded":
        return "form"
    if essence.startswith("multipart/"):
        return "multipart"
    if essence.startswith("text/") or essence.endswith("/xml") or essence.endswith("+xml"):
        return "text"
    return "binary"


_PREFERENCE = {"json": 0, "form": 1, "multipart": 2, "text": 3, "binary": 4}


def choose_media_type(content: dict[str, Any]) -> str | None:
    """Pick the media type to send: JSON first, then form, multipart, text and binary; spec order breaks ties."""
    candidates = [str(media) for media in content if isinstance(content[media], dict) or content[media] is None]
    if not candidates:
        return None
    ranked = sorted(enumerate(candidates), key=lambda pair: (_PREFERENCE[body_kind(pair[1])], pair[0]))
    return ranked[0][1]


@dataclass
class BodyLayout:
    """A body's BodySpec plus the argument schemas it adds to the input schema."""

    spec: BodySpec
    arguments: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)


def _is_file(schema: dict[str, Any]) -> bool:
    if schema.get("contentEncoding") == "base64":
        return True
    items = schema.get("items")
    return isinstance(items, dict) and items.get("contentEncoding") == "base64"


def _flattenable(schema: dict[str, Any]) -> bool:
    if any(key in schema for key in ("oneOf", "anyOf", "allOf", "not")):
        return False
    kind = schema.get("type", "object")
    return kind == "object" and bool(schema.get("properties"))


def build_body(
    raw: Any,
    at: Location,
    resolver: RefResolver,
    converter: SchemaConverter,
    mode: Mode = "input",
) -> BodyLayout | None:
    """Return the layout of a Request Body Object, or None when it offers nothing to send."""
    body, where = resolver.resolve(raw, at)
    if not isinstance(body, dict) or not isinstance(body.get("content"), dict):
        return None
    content = body["content"]
    media_type = choose_media_type(content)
    if media_type is None:
        return None
    kind = body_kind(media_type)
    media = content[media_type] or {}
    media_at = where.child("content", media_type)
    raw_schema = media.get("schema")
    required = body.get("required") is True
    encoding = media.get("encoding") if isinstance(media.get("encoding"), dict) else {}
    encoding = {str(key): plain(value) for key, value in encoding.items() if isinstance(value, dict)}

    if kind in ("binary", "text"):
        schema: dict[str, Any] = {"type": "string"}
        if kind == "binary":
            schema.update(contentEncoding="base64", contentMediaType=media_type, description=f"{media_type} content, base64")
        elif raw_schema is not None:
            described = converter.convert(raw_schema, media_at.child("schema"), mode).schema
            if isinstance(described.get("description"), str):
                schema["description"] = described["description"]
        spec = BodySpec(media_type=media_type, kind=kind, required=required, argument=BODY_ARGUMENT, schema=schema)
        return BodyLayout(spec, {BODY_ARGUMENT: schema}, [BODY_ARGUMENT] if required else [])

    converted = converter.convert(raw_schema, media_at.child("schema"), mode) if raw_schema is not None else None
    schema = converted.schema if converted else {}
    if isinstance(body.get("description"), str) and "description" not in schema:
        schema = {**schema, "description": body["description"]}
    names = converted.names if converted else None

    if not _flattenable(schema):
        if kind == "multipart" and not schema:
            schema = {"type": "object"}
        spec = BodySpec(
            media_type=media_type,
            kind=kind,  # type: ignore[arg-type]
            required=required,
            argument=BODY_ARGUMENT,
            schema=schema,
            encoding=encoding,
            names={BODY_ARGUMENT: names} if names else {},
        )
        return BodyLayout(spec, {BODY_ARGUMENT: schema}, [BODY_ARGUMENT] if required else [])

    renamed = (names or {}).get("keys", {})
    nested = (names or {}).get("properties", {})
    properties: dict[str, str] = {}
    arguments: dict[str, Any] = {}
    files: list[str] = []
    for key, value in schema["properties"].items():
        wire = renamed.get(key, key)
        if kind == "multipart":
            value = _file_part(value, encoding.get(wire))
            if _is_file(value):
                files.append(wire)
        properties[key] = wire
        arguments[key] = value
    wanted = [name for name in schema.get("required", []) if name in arguments] if required else []
    spec = BodySpec(
        media_type=media_type,
        kind=kind,  # type: ignore[arg-type]
        required=required,
        properties=properties,
        schema=schema,
        encoding=encoding,
        files=tuple(files),
        names={key: value for key, value in nested.items() if key in arguments},
    )
    return BodyLayout(spec, arguments, wanted)


def _file_part(schema: dict[str, Any], encoding: dict[str, Any] | None) -> dict[str, Any]:
    """Describe a multipart file part as a base64 argument with its content type."""
    content_type = encoding.get("contentType") if isinstance(encoding, dict) else None
    if schema.get("contentMediaType") and schema.get("type") == "string" and "contentEncoding" not in schema:
        schema = {**schema, "contentEncoding": "base64"}
    if not _is_file(schema):
        return schema
    described = dict(schema)
    if isinstance(content_type, str) and "," not in content_type and "*" not in content_type:
        described.setdefault("contentMediaType", content_type)
    described.setdefault("description", "file content, base64")
    return described

