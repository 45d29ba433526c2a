"""Output schemas from the success response of an operation."""

from __future__ import annotations

from typing import Any

from .bodies import body_kind
from .refs import Location, RefResolver
from .schema import SchemaConverter

__all__ = ["success_response", "output_schema"]


def _status_rank(code: str) -> tuple[int, str] | None:
    text = code.strip().upper()
    if len(text) == 3 and text[0] == "2" and (text[1:].isdigit() or text[1:] == "XX"):
        return (0 if text[1:].isdigit() else 1, text)
    return None


def success_response(responses: Any, at: Location, resolver: RefResolver) -> tuple[dict[str, Any], Location] | None:
    """Return the lowest 2xx response (exact codes before `2XX`) and where it sits."""
    if not isinstance(responses, dict):
        return None
    ranked = sorted((rank, str(code)) for code in responses if (rank := _status_rank(str(code))) is not None)
    for _, code in ranked:
        original = next(key for key in responses if str(key) == code)
        response, where = resolver.resolve(responses[original], at.child(code))
        if isinstance(response, dict):
            return response, where
    return None


def json_media(response: dict[str, Any]) -> str | None:
    content = response.get("content")
    if not isinstance(content, dict):
        return None
    for media in content:
        if body_kind(str(media)) == "json" and str(media) != "*/*":
            return str(media)
    return None


def output_schema(
    response: dict[str, Any] | None, at: Location, converter: SchemaConverter
) -> dict[str, Any] | None:
    """Return the outputSchema: the JSON response schema, wrapped as `{"result": ...}` unless its root is an object."""
    if response is None:
        return None
    media = json_media(response)
    if media is None:
        return None
    raw = response["content"][media]
    if not isinstance(raw, dict) or raw.get("schema") is None:
        return None
    schema = converter.convert(raw["schema"], at.child("content", media, "schema"), "output").schema
    plain_object = schema.get("type") == "object" and not any(key in schema for key in ("oneOf", "anyOf", "allOf", "not"))
    if plain_object:
        return schema
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}
