"""A real upstream HTTP server on 127.0.0.1 that records every request it gets.

Tests script its answers per path and read back the raw request line, headers and
body, so wire encoding is checked as sent, not as a client library would re-parse it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from aiohttp import web

__all__ = ["RecordedRequest", "RecordingUpstream", "Reply"]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    raw_path: str  # path and query exactly as they arrived on the request line
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.raw_path.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.raw_path.split("?", 1)[1] if "?" in self.raw_path else ""

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b'{"ok": true}'
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Handler = Callable[[RecordedRequest], Awaitable[Reply] | Reply]


class RecordingUpstream:
    """Start with `async with RecordingUpstream() as upstream:`; `upstream.url` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.default = Reply()
        self.routes: dict[str, Reply | Handler] = {}
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reply(self, path: str, reply: Reply | Handler) -> None:
        """Answer requests whose path (without query) equals `path`."""
        self.routes[path] = reply

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        recorded = RecordedRequest(
            method=request.method,
            raw_path=request.raw_path,
            headers={k: v for k, v in request.headers.items()},
            body=await request.read(),
        )
        self.requests.append(recorded)
        reply = self.routes.get(recorded.path, self.default)
        if callable(reply):
            produced = reply(recorded)
            reply = await produced if asyncio.iscoroutine(produced) else produced  # type: ignore[assignment]
        assert isinstance(reply, Reply)
        if reply.delay_s:
            await asyncio.sleep(reply.delay_s)
        return web.Response(status=reply.status, body=reply.body, content_type=None,
                            headers={"Content-Type": reply.content_type, **reply.headers})

    async def __aenter__(self) -> RecordingUpstream:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
