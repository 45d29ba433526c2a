"""Server choice on the wire: a workspace created through the service, its calls sent to the recording server.

The recording server listens on 127.0.0.1. The spec's server names it as `127.0.0.1` and
an operation server names it as `localhost`, which is another host to the policy but the
same listener, so the Host header shows which server a call used.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
import yarl

from cast_gateway.blobs.local import LocalBlobStore
from cast_gateway.cache import MemoryCache
from cast_gateway.openapi import SpecBundle
from cast_gateway.request.builder import build_request
from cast_gateway.request.model import UpstreamRequest
from cast_gateway.store.sqlite import SqliteStore
from cast_gateway.vault import Vault
from cast_gateway.workspaces.service import WorkspaceService
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.anyio

SEND_TIMEOUT_S = 10.0


def _spec(port: int) -> bytes:
    return f"""
openapi: 3.0.3
info: {{title: wire servers, version: '1'}}
servers:
  - url: http://127.0.0.1:{port}/base
paths:
  /files:
    post:
      operationId: uploadFile
      servers: [{{url: 'http://localhost:{port}/uploads'}}]
      responses: {{'201': {{description: created}}}}
  /items:
    get:
      operationId: listItems
      responses: {{'200': {{description: ok}}}}
""".encode()


async def _send(request: UpstreamRequest) -> int:
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.request(
            request.method, yarl.URL(request.url, encoded=True), headers=list(request.headers), data=request.body,
            allow_redirects=False,
        ) as response:
            await response.read()
            return response.status


@pytest.fixture
async def upstream():
    async with RecordingUpstream() as server:
        yield server


@pytest.fixture
async def service(tmp_path: Path):
    store = SqliteStore(tmp_path / "cast.db")
    await store.open()
    await store.migrate()
    try:
        yield WorkspaceService(store, LocalBlobStore(tmp_path / "specs"), MemoryCache(), Vault({1: bytes(range(32))}, 1))
    finally:
        await store.close()


async def _call(service: WorkspaceService, upstream: RecordingUpstream, settings: dict, tool_name: str):
    bundle = SpecBundle.single("api.yaml", _spec(upstream.port))
    record, _ = await service.create_workspace("wire", bundle, settings=settings)
    compiled = await service.load_compiled(await service.get_workspace(record.id))
    tool = compiled.tool(tool_name)
    assert tool is not None
    base_url = record.base_url or compiled.servers[0]
    assert await _send(build_request(tool, {}, base_url)) == 200
    assert len(upstream.requests) == 1
    return compiled, upstream.requests[-1]


async def test_other_host_server_unused_on_wire(service, upstream):
    compiled, sent = await _call(service, upstream, {}, "uploadFile")
    assert sent.header("Host") == f"127.0.0.1:{upstream.port}"
    assert sent.path == "/base/files"
    assert any("'allowed_server_hosts'" in warning.message for warning in compiled.warnings)


async def test_allowed_host_server_used_on_wire(service, upstream):
    compiled, sent = await _call(service, upstream, {"allowed_server_hosts": ["localhost"]}, "uploadFile")
    assert sent.header("Host") == f"localhost:{upstream.port}"
    assert sent.path == "/uploads/files"
    assert not any("'allowed_server_hosts'" in warning.message for warning in compiled.warnings)


async def test_tool_without_servers_uses_base_on_wire(service, upstream):
    _, sent = await _call(service, upstream, {"allowed_server_hosts": ["localhost"]}, "listItems")
    assert sent.header("Host") == f"127.0.0.1:{upstream.port}"
    assert sent.path == "/base/items"
