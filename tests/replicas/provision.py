"""Workspaces for the replica tests, and an SDK client that records `tools/list_changed`."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cast_gateway.openapi import SpecBundle
from cast_gateway.workspaces.service import WorkspaceService

__all__ = ["SPEC_ONE_TOOL", "initialize", "SPEC_TWO_TOOLS", "SCHEME", "Watched", "bundle", "provision", "unique_workspace", "watched_client"]

SCHEME = "bearerAuth"
INITIALIZE = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "replica-test", "version": "1"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}

SPEC_ONE_TOOL = """
openapi: 3.1.0
info: {title: Inventory, version: "1.0"}
servers: [{url: "%(upstream)s/api"}]
security: [{bearerAuth: []}]
paths:
  /items/{itemId}:
    get:
      operationId: getItem
      parameters:
        - {name: itemId, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok}
components:
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
"""

SPEC_TWO_TOOLS = SPEC_ONE_TOOL.replace("components:", """  /items:
    get:
      operationId: listItems
      parameters:
        - {name: q, in: query, schema: {type: string}}
      responses:
        "200": {description: ok}
components:""")


def unique_workspace(prefix: str) -> str:
    """A workspace id no other test uses, since the shared Redis keys configs by workspace id."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def bundle(spec: str, upstream_url: str) -> SpecBundle:
    return SpecBundle.single("inventory.yaml", (spec % {"upstream": upstream_url}).encode())


async def provision(service: WorkspaceService, workspace_id: str, upstream_url: str, credential: str,
                    spec: str = SPEC_ONE_TOOL) -> str:
    """Create a workspace with its upstream credential; return a client token for it."""
    await service.create_workspace(workspace_id, bundle(spec, upstream_url))
    await service.set_secret(workspace_id, SCHEME, credential)
    _record, token = await service.create_token(workspace_id, "replica test")
    return token


@dataclass
class Watched:
    """An SDK client and the `tools/list_changed` notifications it has received."""

    client: Client
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    changed_at: float | None = None

    async def wait_changed(self, timeout_s: float = 10.0) -> float:
        """Wait for a list_changed notification; return its arrival time (loop clock)."""
        await asyncio.wait_for(self.changed.wait(), timeout_s)
        assert self.changed_at is not None
        return self.changed_at

    def reset(self) -> None:
        self.changed.clear()
        self.changed_at = None


@contextlib.asynccontextmanager
async def watched_client(url: str, token: str) -> AsyncIterator[Watched]:
    """A handshake-era ("legacy") session, which keeps a stream open for server notifications."""
    holder: list[Watched] = []

    async def on_message(message: Any) -> None:
        root = getattr(message, "root", message)
        if getattr(root, "method", None) == "notifications/tools/list_changed" and holder:
            watched = holder[0]
            if watched.changed_at is None:
                watched.changed_at = asyncio.get_running_loop().time()
            watched.changed.set()

    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(30.0))
    async with http, Client(streamable_http_client(url, http_client=http), mode="legacy",
                            message_handler=on_message) as client:
        holder.append(Watched(client))
        yield holder[0]


async def initialize(url: str, token: str) -> httpx2.Response:
    """Send one raw initialize request, so a test can read the HTTP status of a rejection."""
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0)) as http:
        return await http.post(url, json=INITIALIZE)
