"""A running internal API: real hypercorn on 127.0.0.1 over the embedded backends.

Fixtures (import them into a conftest.py or test module):

``internal_api`` -> ``InternalApi``: url, port, app, backends, secrets, nonces, and
    ``changes`` (the workspace ids passed to ``on_change``); ``client(key)`` makes a signed
    client, ``send(method, url, headers, body)`` sends a request exactly as given.
``internal_secrets`` -> the app's ``InternalSecrets`` (current key only); parametrize to change.
``max_body_bytes`` -> the app's body limit (256 KiB, small enough to test 413 quickly).

``serve_app(app)`` serves any ASGI app the same way, for a second replica or a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from starlette.applications import Starlette
from yarl import URL

from cast_gateway.backends import Backends, open_backends
from cast_gateway.config import settings_from_mapping
from cast_gateway.internal.app import build_internal_app
from cast_gateway.internal.client import InternalClient
from cast_gateway.internal.keys import InternalSecrets, SigningKey
from cast_gateway.internal.nonces import MemoryNonceStore, NonceStore
from cast_gateway.openapi import SpecBundle

CURRENT_KEY = SigningKey.from_text("internal-current-" + "k" * 40)
PREVIOUS_KEY = SigningKey.from_text("internal-previous-" + "q" * 40)
SHUTDOWN_TIMEOUT_S = 10.0

SPEC_V1 = """openapi: 3.0.3
info: {title: Shop, version: '1'}
servers: [{url: 'https://api.example.com'}]
components:
  securitySchemes:
    api_key: {type: apiKey, in: header, name: X-Api-Key}
    "oauth/client secret": {type: http, scheme: bearer}
security: [{api_key: []}]
paths:
  /orders:
    get:
      operationId: listOrders
      summary: List orders
      parameters:
        - {name: region, in: query, required: true, schema: {type: string, enum: [eu, us]}}
        - {name: limit, in: query, schema: {type: integer}}
      responses: {'200': {description: ok}}
  /orders/{id}:
    get:
      operationId: getOrder
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses: {'200': {description: ok}}
"""


def spec_text(*operation_ids: str) -> str:
    """Return a spec with one GET operation per id, at /<id>."""
    paths = "".join(
        f"  /{operation_id}:\n    get:\n      operationId: {operation_id}\n      responses: {{'200': {{description: ok}}}}\n"
        for operation_id in operation_ids
    )
    return f"openapi: 3.0.3\ninfo: {{title: Gen, version: '1'}}\npaths:\n{paths}"


def bundle(text: str = SPEC_V1, name: str = "api.yaml") -> SpecBundle:
    return SpecBundle.single(name, text.encode())


@dataclass
class InternalApi:
    """The running app, its backends, and the workspace ids passed to `on_change`."""

    url: str
    port: int
    app: Starlette
    backends: Backends
    secrets: InternalSecrets
    nonces: NonceStore
    changes: list[str] = field(default_factory=list)

    def client(self, key: SigningKey = CURRENT_KEY, *, clock: Callable[[], float] = time.time) -> InternalClient:
        return InternalClient(self.url, key, clock=clock)

    async def send(self, method: str, url: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, Any]:
        """Send a request exactly as given (URL already encoded) and return the status and JSON body."""
        async with aiohttp.ClientSession() as session:
            async with session.request(
                method, URL(url, encoded=True), headers=headers, data=body or None, timeout=aiohttp.ClientTimeout(total=30)
            ) as response:
                return response.status, await response.json(content_type=None)


@contextlib.asynccontextmanager
async def serve_app(app: Starlette) -> AsyncIterator[int]:
    """Serve `app` with hypercorn on a free loopback port in this event loop; yield the port."""
    # A socket bound and listening before hypercorn starts: requests queue on it, so
    # no readiness poll is needed.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = Config()
    # Hypercorn takes over the descriptor and closes it at shutdown.
    config.bind = [f"fd://{listener.detach()}"]
    config.accesslog = None
    config.graceful_timeout = 1.0
    stop = asyncio.Event()
    server = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait), name="internal-api-test-server")
    try:
        yield port
    finally:
        stop.set()
        await asyncio.wait_for(server, SHUTDOWN_TIMEOUT_S)


@pytest.fixture
def internal_secrets() -> InternalSecrets:
    return InternalSecrets(current=CURRENT_KEY)


@pytest.fixture
def max_body_bytes() -> int:
    return 256 * 1024


@pytest.fixture
async def internal_api(tmp_path: Path, internal_secrets: InternalSecrets, max_body_bytes: int) -> AsyncIterator[InternalApi]:
    settings = settings_from_mapping(
        {
            "store": {"path": str(tmp_path / "cast.db")},
            "blobs": {"path": str(tmp_path / "specs")},
            "vault": {"source": "file", "key_file": str(tmp_path / "vault.key"), "create_key_file": True},
        }
    )
    async with open_backends(settings, migrate=True) as backends:
        changes: list[str] = []

        async def record_change(workspace_id: str) -> None:
            changes.append(workspace_id)

        nonces = MemoryNonceStore()
        app = build_internal_app(
            backends.service, secrets=internal_secrets, nonces=nonces, on_change=record_change, max_body_bytes=max_body_bytes
        )
        async with serve_app(app) as port:
            yield InternalApi(
                url=f"http://127.0.0.1:{port}", port=port, app=app, backends=backends, secrets=internal_secrets,
                nonces=nonces, changes=changes,
            )
