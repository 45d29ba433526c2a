"""C44 and friends: real upstream answers, fetched over loopback, mapped to MCP results."""

from __future__ import annotations

import json

import pytest

from cast_gateway.request.builder import build_request
from cast_gateway.request.response import map_response
from support.upstream import RecordingUpstream, Reply
from wire import case_tool, send

pytestmark = pytest.mark.anyio


@pytest.fixture
async def upstream():
    async with RecordingUpstream() as server:
        yield server


async def mapped(upstream, tool_name, arguments, reply_path, reply, **options):
    tool = case_tool("C44", tool_name)
    upstream.reply(reply_path, reply)
    response = await send(build_request(tool, arguments, upstream.url))
    result = map_response(tool, response, **options)
    assert result.result.content, "every tools/call result needs non-empty content"
    return result


async def test_c44_delete_204_is_success(upstream):
    result = await mapped(upstream, "deleteItem", {"id": "i1"}, "/items/i1",
                          Reply(status=204, body=b"", content_type="application/json"))
    assert upstream.requests[0].method == "DELETE"
    assert upstream.requests[0].raw_path == "/items/i1"
    assert result.result.is_error is False
    assert "204" in result.result.content[0].text


async def test_c44_text_plain_exact(upstream):
    text = "Größe: 3 ✓"
    result = await mapped(upstream, "getItemNotes", {"id": "i1"}, "/items/i1/notes",
                          Reply(body=text.encode("utf-8"), content_type="text/plain; charset=utf-8"))
    assert result.result.is_error is False
    assert [block.text for block in result.result.content] == [text]
    assert result.result.structured_content is None


async def test_c44_xml_as_text(upstream):
    result = await mapped(upstream, "getLegacyItem", {"id": "i1"}, "/legacy/items/i1",
                          Reply(body=b'<item id="i1"/>', content_type="application/xml"))
    assert result.result.content[0].text == '<item id="i1"/>'
    assert result.result.structured_content is None


async def test_c44_problem_json_404_is_error_result(upstream):
    body = b'{"title":"Not Found","status":404}'
    result = await mapped(upstream, "getItem", {"id": "i1"}, "/items/i1",
                          Reply(status=404, body=body, content_type="application/problem+json"))
    assert result.result.is_error is True
    text = result.result.content[0].text
    assert "404" in text
    assert '"title":"Not Found"' in text


async def test_c44_missing_field_is_drift_not_failure(upstream):
    result = await mapped(upstream, "getItem", {"id": "i1"}, "/items/i1", Reply(body=b'{"id":"i1"}'))
    assert result.result.is_error is False
    assert result.drifted is True
    assert result.result.structured_content is None
    assert json.loads(result.result.content[0].text) == {"id": "i1"}


async def test_c44_drift_as_error_when_asked(upstream):
    result = await mapped(upstream, "getItem", {"id": "i1"}, "/items/i1", Reply(body=b'{"id":"i1"}'), drift_is_error=True)
    assert result.result.is_error is True
    assert "does not match the spec's schema" in result.result.content[0].text


async def test_c44_valid_json_gives_structured_content(upstream):
    result = await mapped(upstream, "getItem", {"id": "i1"}, "/items/i1", Reply(body=b'{"id":"i1","price":2.5}'))
    assert result.drifted is False
    assert result.result.structured_content == {"id": "i1", "price": 2.5}
    assert json.loads(result.result.content[0].text) == {"id": "i1", "price": 2.5}


async def test_c44_accepted_202_shows_location(upstream):
    result = await mapped(upstream, "startJob", {}, "/jobs",
                          Reply(status=202, body=b"", content_type="text/plain", headers={"Location": "/jobs/j1"}))
    assert result.result.is_error is False
    text = result.result.content[0].text
    assert "202" in text
    assert "/jobs/j1" in text


async def test_c44_server_error_is_error_result(upstream):
    result = await mapped(upstream, "getItem", {"id": "i1"}, "/items/i1",
                          Reply(status=503, body=b"<html>busy</html>", content_type="text/html"))
    assert result.result.is_error is True
    assert "503" in result.result.content[0].text
