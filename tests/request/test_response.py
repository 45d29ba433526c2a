from __future__ import annotations

import base64

import mcp_types as types
import pytest

from cast_gateway.request.model import UpstreamResponse
from cast_gateway.request.response import MAX_ERROR_SUMMARY_CHARS, map_response
from request_helpers import make_tool


def mapped(status=200, content_type="application/json", body=b"", truncated=0, headers=(), tool=None, **options):
    response = UpstreamResponse(status, content_type, body, truncated_bytes=truncated, headers=headers)
    return map_response(tool or make_tool(), response, **options)


def test_json_object_structured_and_text():
    result = mapped(body=b'{"a":1}').result
    assert result.structured_content == {"a": 1}
    assert result.content[0].text == '{"a":1}'
    assert result.is_error is False


@pytest.mark.parametrize(("body", "wrapped"), [(b"[1,2]", {"result": [1, 2]}), (b'"x"', {"result": "x"}),
                                                (b"5", {"result": 5}), (b"null", {"result": None})])
def test_non_object_json_wrapped(body, wrapped):
    assert mapped(body=body).result.structured_content == wrapped


def test_vendor_json_type_parsed():
    assert mapped(content_type="application/vnd.api+json", body=b'{"a":1}').result.structured_content == {"a": 1}


def test_json_against_output_schema_of_wrapper():
    tool = make_tool(output_schema={"type": "object", "properties": {"result": {"type": "array"}}, "required": ["result"]})
    result = mapped(body=b"[1]", tool=tool)
    assert result.drifted is False
    assert result.result.structured_content == {"result": [1]}


def test_invalid_json_returned_as_text():
    result = mapped(body=b"{not json").result
    assert result.structured_content is None
    assert result.content[0].text == "{not json"


def test_truncated_json_text_only_with_note():
    result = mapped(body=b'{"a":[1,2', truncated=1234).result
    assert result.structured_content is None
    assert "1234" in result.content[-1].text


def test_truncated_binary_not_sent():
    result = mapped(content_type="image/png", body=b"\x89PNG", truncated=10).result
    assert all(block.type == "text" for block in result.content)
    assert "10" in result.content[-1].text


def test_image_content():
    result = mapped(content_type="image/png", body=b"\x89PNG\x00").result
    image = [block for block in result.content if isinstance(block, types.ImageContent)][0]
    assert image.mime_type == "image/png"
    assert base64.b64decode(image.data) == b"\x89PNG\x00"


def test_audio_content():
    result = mapped(content_type="audio/mpeg", body=b"ID3\x00").result
    assert any(isinstance(block, types.AudioContent) for block in result.content)


@pytest.mark.parametrize("content_type", ["application/pdf", "application/octet-stream", "application/zip", None])
def test_other_binary_embedded_blob(content_type):
    result = mapped(content_type=content_type, body=b"%PDF\xff\xfe").result
    resource = [block for block in result.content if isinstance(block, types.EmbeddedResource)][0]
    assert isinstance(resource.resource, types.BlobResourceContents)
    assert base64.b64decode(resource.resource.blob) == b"%PDF\xff\xfe"


def test_latin1_charset_decoded():
    result = mapped(content_type="text/plain; charset=iso-8859-1", body="Größe".encode("latin-1")).result
    assert result.content[0].text == "Größe"


def test_error_summary_bounded():
    result = mapped(status=500, content_type="text/plain", body=b"x" * 100_000).result
    assert result.is_error is True
    assert len(result.content[0].text) < MAX_ERROR_SUMMARY_CHARS + 200


def test_binary_error_body_not_decoded():
    result = mapped(status=502, content_type="application/octet-stream", body=b"\xff\xfe\x00").result
    assert result.is_error is True
    assert "3 bytes" in result.content[0].text


def test_retry_after_reported():
    result = mapped(status=429, content_type="text/plain", body=b"slow down", headers=(("retry-after", "30"),)).result
    assert "429" in result.content[0].text
    assert "Retry-After: 30" in result.content[0].text


def test_redirect_is_error():
    result = mapped(status=302, body=b"", headers=(("location", "https://elsewhere.test/"),)).result
    assert result.is_error is True
    assert "302" in result.content[0].text


def test_empty_200_success_text():
    result = mapped(body=b"").result
    assert result.is_error is False
    assert "200" in result.content[0].text


def test_structured_content_always_object_on_wire():
    for body in (b"[1]", b"1", b'"s"', b"true", b'{"a":1}'):
        dumped = mapped(body=body).result.model_dump(by_alias=True, exclude_none=True)
        assert isinstance(dumped["structuredContent"], dict)
