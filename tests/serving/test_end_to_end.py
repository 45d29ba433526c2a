"""A workspace served end to end: SDK client → gateway under hypercorn → recording upstream."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, AsyncIterator

import httpx2
import orjson
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from cast_gateway.openapi import SpecBundle
from support.leaks import register_session_secret
from support.gateway import LiveGateway, local_settings, mcp_client, running_gateway
from support.upstream import RecordingUpstream, Reply

pytestmark = pytest.mark.anyio

PLANTED_UPSTREAM_TOKEN = "planted-upstream-bearer-7f3a9c1e5b"
register_session_secret(PLANTED_UPSTREAM_TOKEN)  # the suite-wide leak check scans every test for it

SPEC = """
openapi: 3.1.0
info: {title: Inventory, version: "1.0"}
servers: [{url: "%(upstream)s/api"}]
security: [{bearerAuth: []}]
paths:
  /items/{itemId}:
    get:
      operationId: getItem
      summary: Get one item
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        "200": {description: ok}
    post:
      operationId: createItem
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string}
                quantity: {type: integer, minimum: 0}
      responses:
        "201": {description: created}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
"""


async def provision(live: LiveGateway, workspace_id: str, upstream: RecordingUpstream) -> str:
    bundle = SpecBundle.single("inventory.yaml", (SPEC % {"upstream": upstream.url}).encode())
    await live.service.create_workspace(workspace_id, bundle)
    await live.service.set_secret(workspace_id, "bearerAuth", PLANTED_UPSTREAM_TOKEN)
    _record, token = await live.service.create_token(workspace_id, "test")
    return token


@pytest.fixture
async def upstream() -> AsyncIterator[RecordingUpstream]:
    async with RecordingUpstream() as server:
        server.reply("/api/items/42", Reply(body=b'{"id": "42", "name": "widget"}'))
        yield server


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveGateway]:
    async with running_gateway(local_settings(tmp_path, upstream={"total_timeout_s": 1.0, "connect_timeout_s": 1.0})) as gateway:
        yield gateway


@pytest.fixture
async def alpha(live: LiveGateway, upstream: RecordingUpstream) -> str:
    return await provision(live, "alpha", upstream)


def assert_no_planted_secret(caplog: pytest.LogCaptureFixture, *texts: str) -> None:
    for record in caplog.records:
        assert PLANTED_UPSTREAM_TOKEN not in record.getMessage()
        assert PLANTED_UPSTREAM_TOKEN not in str(record.args)
    for text in texts:
        assert PLANTED_UPSTREAM_TOKEN not in text


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_list_and_call_inject_credential(live: LiveGateway, alpha: str, upstream: RecordingUpstream,
                                               mode: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with mcp_client(live.mcp_url("alpha"), alpha, mode) as client:
        listed = await client.list_tools()
        result = await client.call_tool("getItem", {"itemId": "42"})

    names = sorted(tool.name for tool in listed.tools)
    assert names == ["createItem", "getItem", "listItems"]
    assert result.is_error is False
    assert result.structured_content == {"id": "42", "name": "widget"}
    sent = upstream.requests[-1]
    assert sent.raw_path == "/api/items/42"
    assert sent.header("authorization") == f"Bearer {PLANTED_UPSTREAM_TOKEN}"
    assert_no_planted_secret(caplog, result.model_dump_json(), listed.model_dump_json())


async def test_protocol_2025_06_18_handshake(live: LiveGateway, alpha: str) -> None:
    headers = {"Authorization": f"Bearer {alpha}", "Accept": "application/json, text/event-stream",
               "Content-Type": "application/json"}
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}
    async with httpx2.AsyncClient(headers=headers) as http:
        opened = await http.post(live.mcp_url("alpha"), json=initialize)
        session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-06-18"}
        await http.post(live.mcp_url("alpha"), json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
        called = await http.post(live.mcp_url("alpha"), headers=session, json={
            "jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "getItem", "arguments": {"itemId": "42"}}})

    assert opened.json()["result"]["protocolVersion"] == "2025-06-18"
    assert opened.json()["result"]["capabilities"]["tools"]["listChanged"] is True
    assert called.json()["result"]["structuredContent"] == {"id": "42", "name": "widget"}


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc", "Bearer"])
async def test_bad_client_token_is_401(live: LiveGateway, alpha: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with httpx2.AsyncClient() as http:
        response = await http.post(live.mcp_url("alpha"), json={}, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_token_of_other_workspace_is_401(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    beta_token = await provision(live, "beta", upstream)
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {beta_token}"}) as http:
        on_alpha = await http.post(live.mcp_url("alpha"), json={})
        on_unknown = await http.post(live.mcp_url("nosuch"), json={})

    assert on_alpha.status_code == 401
    assert on_unknown.status_code == 401
    assert on_alpha.json() == on_unknown.json()


@pytest.mark.parametrize("value, encoded", [
    ("a/b", "a%2Fb"), ("a?x=1", "a%3Fx%3D1"), ("a#b", "a%23b"), ("100%", "100%25"), ("..", "%2E%2E"),
])
async def test_path_parameter_stays_in_template(live: LiveGateway, alpha: str, upstream: RecordingUpstream,
                                                value: str, encoded: str) -> None:
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        result = await client.call_tool("getItem", {"itemId": value})

    assert result.is_error is False, result.content
    assert upstream.requests[-1].raw_path.lower() == f"/api/items/{encoded}".lower()


async def test_upstream_500_is_tool_error(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    upstream.reply("/api/items", Reply(status=500, body=b'{"error": "boom"}'))
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        result = await client.call_tool("listItems", {"q": "x"})

    assert result.is_error is True
    assert "500" in result.content[0].text


async def test_hanging_upstream_times_out_within_bound(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    upstream.reply("/api/items", Reply(delay_s=3.0))
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        started = time.monotonic()
        result = await client.call_tool("listItems", {})
        elapsed = time.monotonic() - started

    assert result.is_error is True
    assert "timed out" in result.content[0].text
    assert elapsed < 1.0 + 2.0  # total_timeout_s plus slack for a loaded machine


async def test_invalid_arguments_send_nothing(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        result = await client.call_tool("listItems", {"limit": 500})

    assert result.is_error is True
    assert "limit" in result.content[0].text
    assert upstream.requests == []


async def test_unknown_tool_is_protocol_error(live: LiveGateway, alpha: str) -> None:
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("noSuchTool", {})

    assert "noSuchTool" in raised.value.message


async def test_oversized_request_body_is_413(live: LiveGateway, alpha: str) -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "ping", "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    headers = {"Authorization": f"Bearer {alpha}", "Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}
    async with httpx2.AsyncClient() as http:
        try:
            response = await http.post(live.mcp_url("alpha"), content=body, headers=headers)
        except httpx2.TransportError:
            pytest.skip("the server closed the connection before the client finished sending")

    assert response.status_code == 413


async def test_every_call_is_audited_without_arguments(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        await client.call_tool("getItem", {"itemId": "42"})
        await client.call_tool("listItems", {"limit": 500})
        await client.call_tool("createItem", {"name": "secret-name-in-body"})
    await live.gateway.audit.flush()

    events = await live.service.store.list_audit("alpha", 10)
    assert [event.outcome for event in reversed(events)] == ["ok", "invalid_arguments", "ok"]
    assert {event.tool for event in events} == {"getItem", "listItems", "createItem"}
    assert all(len(event.client_id) == 32 and event.client_id != alpha for event in events)
    assert events[-1].status == 200
    assert "secret-name-in-body" not in repr(events)


async def test_removed_workspace_stops_while_other_serves(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    beta_token = await provision(live, "beta", upstream)
    async with mcp_client(live.mcp_url("beta"), beta_token) as client:
        await client.call_tool("getItem", {"itemId": "42"})

    await live.service.delete_workspace("beta")
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {beta_token}"}) as http:
        gone = await http.post(live.mcp_url("beta"), json={})
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        still = await client.call_tool("getItem", {"itemId": "42"})

    assert gone.status_code == 401  # its tokens are revoked with it
    assert still.is_error is False
    for _ in range(100):
        if live.gateway.registry.live("beta") is None:
            break
        await asyncio.sleep(0.02)
    assert live.gateway.registry.live("beta") is None


async def test_spec_reload_notifies_sessions(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    smaller = SPEC.split("  /items:\n")[0] + "components:\n  securitySchemes:\n    bearerAuth: {type: http, scheme: bearer}\n"
    notified = asyncio.Event()

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/tools/list_changed":
            notified.set()

    headers = {"Authorization": f"Bearer {alpha}"}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0))
    async with http, Client(streamable_http_client(live.mcp_url("alpha"), http_client=http), mode="legacy",
                            message_handler=on_message) as client:
        before = await client.list_tools()
        bundle = SpecBundle.single("inventory.yaml", (smaller % {"upstream": upstream.url}).encode())
        await live.service.upload_spec("alpha", bundle)
        await asyncio.wait_for(notified.wait(), 10)
        after = await client.list_tools()

    assert len(before.tools) == 3
    assert [tool.name for tool in after.tools] == ["getItem"]


def parse_json_lines(text: str) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in text.splitlines() if line.strip()]


async def test_changes_from_another_process_reach_the_gateway(live: LiveGateway, alpha: str, upstream: RecordingUpstream) -> None:
    """The command line beside a running gateway has its own in-process cache: revisions carry the change."""
    from cast_gateway.backends import open_backends

    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        await client.call_tool("getItem", {"itemId": "42"})

    async with open_backends(live.gateway.settings) as other:
        await other.service.set_secret("alpha", "bearerAuth", "planted-rotated-bearer-0b7e")
        register_session_secret("planted-rotated-bearer-0b7e")
        for _ in range(250):
            async with mcp_client(live.mcp_url("alpha"), alpha) as client:
                await client.call_tool("getItem", {"itemId": "42"})
            if upstream.requests[-1].header("authorization") == "Bearer planted-rotated-bearer-0b7e":
                break
            await asyncio.sleep(0.02)
        rotated = upstream.requests[-1].header("authorization")

        await other.service.delete_workspace("alpha")
        for _ in range(250):
            async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {alpha}"}) as http:
                status = (await http.post(live.mcp_url("alpha"), json={})).status_code
            if status == 401:
                break
            await asyncio.sleep(0.02)

    assert rotated == "Bearer planted-rotated-bearer-0b7e"
    assert status == 401


async def test_secret_last_use_is_recorded(live: LiveGateway, alpha: str) -> None:
    before = await live.service.list_secret_metadata("alpha")
    async with mcp_client(live.mcp_url("alpha"), alpha) as client:
        await client.call_tool("getItem", {"itemId": "42"})
    await live.gateway.caller.usage.flush()

    after = await live.service.list_secret_metadata("alpha")
    assert before[0].last_used_at is None
    assert after[0].last_used_at is not None
