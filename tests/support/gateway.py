"""The real gateway under hypercorn on 127.0.0.1, inside the test's event loop.

`running_gateway(settings)` yields a `LiveGateway` whose `url` answers MCP requests and
whose `service` is the gateway's own workspace service (so cache evictions reach its
registry as they would in production).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, AsyncIterator, Mapping

import httpx2
from hypercorn.asyncio import serve
from hypercorn.config import Config
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from cast_gateway.config import Settings, settings_from_mapping
from cast_gateway.serving.app import Gateway, create_app

__all__ = ["LiveGateway", "running_gateway", "local_settings", "free_port", "mcp_client"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def local_settings(tmp_path: Path, **overrides: Mapping[str, Any]) -> Settings:
    """Embedded backends under `tmp_path`, upstreams allowed on loopback over http."""
    port = free_port()
    data: dict[str, dict[str, Any]] = {
        "server": {"bind": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}", "drain_timeout_s": 5.0},
        "store": {"backend": "sqlite", "path": str(tmp_path / "cast.db")},
        "blobs": {"backend": "local", "path": str(tmp_path / "specs")},
        "cache": {"backend": "memory"},
        "vault": {"key_file": str(tmp_path / "vault.key"), "create_key_file": True},
        "upstream": {"allow_private_networks": True, "allow_http": True, "allowed_ports": [],
                     "connect_timeout_s": 2.0, "total_timeout_s": 5.0},
        "audit": {"flush_interval_s": 0.05},
    }
    for section, values in overrides.items():
        data.setdefault(section, {}).update(values)
    return settings_from_mapping(data, "test settings")


@dataclass
class LiveGateway:
    url: str
    gateway: Gateway

    @property
    def service(self) -> Any:
        return self.gateway.backends.service

    def mcp_url(self, workspace_id: str) -> str:
        return f"{self.url}/w/{workspace_id}/mcp"


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings) -> AsyncIterator[LiveGateway]:
    app = create_app(settings)
    config = Config()
    config.bind = [settings.server.bind]
    config.accesslog = None
    config.graceful_timeout = 2.0
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait), name="test-gateway")  # type: ignore[arg-type]
    url = settings.server.public_url
    try:
        async with httpx2.AsyncClient() as http:
            for _attempt in range(200):
                if task.done():
                    task.result()
                try:
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        break
                except httpx2.TransportError:
                    await asyncio.sleep(0.025)
            else:
                raise TimeoutError(f"gateway at {url} did not start within 5 s")
        yield LiveGateway(url=url, gateway=app.state.gateway)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@contextlib.asynccontextmanager
async def mcp_client(url: str, token: str | None, mode: str = "legacy") -> AsyncIterator[Client]:
    """The official SDK client over a real socket; `mode` "legacy" speaks 2025-11-25, "auto" 2026-07-28."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0))
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        yield client
