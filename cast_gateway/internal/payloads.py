"""Request bodies of the internal API: parsed and checked before any handler acts.

Checks raise PayloadError naming the field and the rule, never the value: a body may
carry a secret.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Mapping

import orjson

from ..openapi import SpecBundle
from .responses import PayloadError

__all__ = ["parse_json_object", "optional_string", "required_string", "optional_object", "parse_spec_bundle", "MAX_SPEC_FILES"]

MAX_SPEC_FILES = 200
MAX_FILE_NAME_CHARS = 255


def parse_json_object(body: bytes) -> dict[str, Any]:
    if not body:
        raise PayloadError("the request body is empty; send a JSON object")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"the request body is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise PayloadError("the request body must be a JSON object")
    return data


def required_string(data: Mapping[str, Any], key: str, *, max_chars: int = 4096) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"field {key!r} is missing or not a non-empty string")
    if len(value) > max_chars:
        raise PayloadError(f"field {key!r} is longer than {max_chars} characters")
    return value


def optional_string(data: Mapping[str, Any], key: str, *, max_chars: int = 4096) -> str | None:
    if data.get(key) is None:
        return None
    return required_string(data, key, max_chars=max_chars)


def optional_object(data: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise PayloadError(f"field {key!r} must be a JSON object")
    return value


def parse_spec_bundle(data: Any, field: str = "spec") -> SpecBundle:
    """Read `{"main": name, "files": {name: text or {"base64": data}}}` into a SpecBundle."""
    if not isinstance(data, dict):
        raise PayloadError(f"field {field!r} must be a JSON object with 'main' and 'files'")
    main = required_string(data, "main", max_chars=MAX_FILE_NAME_CHARS)
    files = data.get("files")
    if not isinstance(files, dict) or not files:
        raise PayloadError(f"field {field!r}.files must be a non-empty JSON object mapping file names to contents")
    if len(files) > MAX_SPEC_FILES:
        raise PayloadError(f"field {field!r}.files has {len(files)} files; the limit is {MAX_SPEC_FILES}")

    contents: dict[str, bytes] = {}
    for name, content in files.items():
        _check_file_name(name)
        contents[name] = _file_bytes(name, content)
    if main not in contents:
        raise PayloadError(f"main file {main!r} is not among the uploaded files; add it to 'files'")
    return SpecBundle(main=main, files=contents)


def _check_file_name(name: str) -> None:
    segments = name.split("/")
    if (
        not name
        or len(name) > MAX_FILE_NAME_CHARS
        or name.startswith("/")
        or "\\" in name
        or any(segment in ("", ".", "..") for segment in segments)
    ):
        raise PayloadError(
            f"spec file name {name[:80]!r} is invalid; use a relative path without '.', '..' or empty segments"
        )


def _file_bytes(name: str, content: Any) -> bytes:
    if isinstance(content, str):
        return content.encode()
    if isinstance(content, dict) and set(content) == {"base64"} and isinstance(content["base64"], str):
        try:
            return base64.b64decode(content["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError(f"spec file {name[:80]!r}: 'base64' is not valid base64") from None
    raise PayloadError(f"spec file {name[:80]!r}: the content must be a string or {{\"base64\": \"...\"}}")
