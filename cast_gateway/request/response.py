"""Map an upstream HTTP response to an MCP tool result."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import mcp_types as types

from cast_gateway.openapi.model import Tool

from .model import UpstreamResponse
from .schema_cache import ValidatorCache
from .validation import json_path

__all__ = ["map_response", "MappedResult", "MAX_ERROR_SUMMARY_CHARS"]

logger = logging.getLogger(__name__)

# An error body goes to the model as a hint. A few kilobytes are enough for a problem+json
# document, and the cap keeps an HTML error page from flooding the context.
MAX_ERROR_SUMMARY_CHARS = 2000

_output_validators = ValidatorCache()


@dataclass(frozen=True)
class MappedResult:
    """The tool result plus whether a JSON body broke the tool's output schema."""

    result: types.CallToolResult
    drifted: bool = False


def map_response(tool: Tool, response: UpstreamResponse, *, drift_is_error: bool = False) -> MappedResult:
    """Turn `response` into a `CallToolResult`.

    Upstream 4xx and 5xx become `isError` results with the status and a bounded body
    summary. JSON becomes `structuredContent` (objects as they are, other values under
    `result`) plus text, unless it breaks the output schema, in which case only text is
    returned and `drifted` is set. Text types become text and binary types become image,
    audio or embedded resource content; binary is never decoded as text.
    """
    status = response.status
    media_type, charset = _parse_content_type(response.content_type)
    cut_note = _truncation_note(response)

    if status >= 400:
        return MappedResult(_error_result(response, media_type, charset, cut_note))
    if 300 <= status < 400:
        text = f"The upstream answered HTTP {status} {_reason(status)}, a redirect, which the gateway does not follow."
        return MappedResult(types.CallToolResult(content=[types.TextContent(text=text)], is_error=True))

    if not response.body:
        return MappedResult(_text_result(_empty_body_text(response), cut_note))

    kind = _classify(media_type, response.body)
    if kind == "json":
        return _json_result(tool, response, charset, cut_note, drift_is_error)
    if kind == "text":
        return MappedResult(_text_result(_decode(response.body, charset), cut_note))
    return MappedResult(_binary_result(tool, response, media_type or "application/octet-stream", cut_note))


def _parse_content_type(content_type: str | None) -> tuple[str | None, str]:
    if not content_type:
        return None, "utf-8"
    essence, *parameters = content_type.split(";")
    charset = "utf-8"
    for parameter in parameters:
        key, _, value = parameter.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip().strip('"')
    return essence.strip().lower() or None, charset


def _classify(media_type: str | None, body: bytes) -> str:
    if media_type is None:
        # No declared type: text if it decodes as UTF-8, binary otherwise.
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return "binary"
        return "text"
    if media_type in ("application/json", "text/json") or media_type.endswith("+json"):
        return "json"
    if media_type.startswith("text/") or media_type.endswith("+xml") or media_type in _TEXT_TYPES:
        return "text"
    return "binary"


_TEXT_TYPES = frozenset(
    {
        "application/xml",
        "application/javascript",
        "application/ecmascript",
        "application/x-www-form-urlencoded",
        "application/yaml",
        "application/x-yaml",
        "application/x-ndjson",
        "application/jsonl",
        "application/graphql",
        "application/sql",
    }
)


def _decode(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name from the upstream
        return body.decode("utf-8", errors="replace")


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _truncation_note(response: UpstreamResponse) -> str | None:
    if response.truncated_bytes <= 0:
        return None
    return (
        f"[The upstream response was cut at {len(response.body)} bytes: {response.truncated_bytes} more bytes were "
        "dropped by the gateway's response size limit.]"
    )


def _response_header(response: UpstreamResponse, name: str) -> str | None:
    for key, value in response.headers:
        if key.lower() == name:
            return value
    return None


def _empty_body_text(response: UpstreamResponse) -> str:
    status = response.status
    text = f"The upstream answered HTTP {status} {_reason(status)}".rstrip() + " with no body."
    location = _response_header(response, "location")
    if location:
        text += f" Location: {location[:500]}"
    return text


def _text_result(text: str, cut_note: str | None) -> types.CallToolResult:
    content: list[types.ContentBlock] = [types.TextContent(text=text)]
    if cut_note:
        content.append(types.TextContent(text=cut_note))
    return types.CallToolResult(content=content)


def _error_result(response: UpstreamResponse, media_type: str | None, charset: str, cut_note: str | None) -> types.CallToolResult:
    status = response.status
    text = f"The upstream returned HTTP {status} {_reason(status)}".rstrip() + "."
    if response.body:
        kind = _classify(media_type, response.body)
        if kind == "binary":
            text += f" The body is {len(response.body)} bytes of {media_type or 'binary data'}."
        else:
            summary = _decode(response.body, charset).strip()
            if len(summary) > MAX_ERROR_SUMMARY_CHARS:
                summary = summary[:MAX_ERROR_SUMMARY_CHARS] + f"... [{len(summary) - MAX_ERROR_SUMMARY_CHARS} more characters]"
            text += f" Body: {summary}"
    retry_after = _response_header(response, "retry-after")
    if retry_after:
        text += f" Retry-After: {retry_after[:100]}"
    content: list[types.ContentBlock] = [types.TextContent(text=text)]
    if cut_note:
        content.append(types.TextContent(text=cut_note))
    return types.CallToolResult(content=content, is_error=True)


def _json_result(
    tool: Tool, response: UpstreamResponse, charset: str, cut_note: str | None, drift_is_error: bool
) -> MappedResult:
    text = _decode(response.body, charset)
    if cut_note:
        # A cut JSON document does not parse; it goes back as text only.
        return MappedResult(_text_result(text, cut_note))
    try:
        parsed: Any = json.loads(text)
    except ValueError:
        return MappedResult(_text_result(text, None))

    structured = parsed if isinstance(parsed, dict) else {"result": parsed}
    if tool.output_schema:
        errors = list(_output_validators.get(tool.output_schema).iter_errors(structured))
        if errors:
            first = errors[0]
            # Only the location and the keyword: the values belong to the response body.
            logger.warning(
                "response of tool %s does not match its output schema at %r (%s)",
                tool.name, json_path(first.absolute_path) or "$", first.validator,
            )
            if drift_is_error:
                where = json_path(first.absolute_path) or "the top level"
                message = (
                    f"The upstream response does not match the spec's schema for this operation "
                    f"(at {where[:200]}: {first.validator} check failed). Body: {text[:MAX_ERROR_SUMMARY_CHARS]}"
                )
                return MappedResult(types.CallToolResult(content=[types.TextContent(text=message)], is_error=True), drifted=True)
            return MappedResult(_text_result(text, None), drifted=True)
    return MappedResult(types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured))


def _binary_result(tool: Tool, response: UpstreamResponse, media_type: str, cut_note: str | None) -> types.CallToolResult:
    size = len(response.body)
    if cut_note:
        # Part of an image or archive is corrupt data, so the result reports the cut instead.
        text = f"The upstream returned {media_type} content larger than the gateway's response size limit, so it is not included."
        return types.CallToolResult(content=[types.TextContent(text=text), types.TextContent(text=cut_note)], is_error=True)

    data = base64.b64encode(response.body).decode("ascii")
    description = types.TextContent(text=f"The upstream returned {size} bytes of {media_type}.")
    block: types.ImageContent | types.AudioContent | types.EmbeddedResource
    if media_type.startswith("image/"):
        block = types.ImageContent(data=data, mime_type=media_type)
    elif media_type.startswith("audio/"):
        block = types.AudioContent(data=data, mime_type=media_type)
    else:
        block = types.EmbeddedResource(
            resource=types.BlobResourceContents(uri=f"cast-gateway://{tool.name}/response", mime_type=media_type, blob=data)
        )
    return types.CallToolResult(content=[description, block])
