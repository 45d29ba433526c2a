"""The internal API as its own listener, sharing the public app's backends.

The internal app is built on its first request from the public app's running state,
so both listeners use one store, one cache and one vault: a change made through the
internal API evicts the cache that the public registry listens to.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from starlette.responses import JSONResponse

from ..config import Settings
from .keys import InternalSecrets, load_internal_secrets
from .nonces import MemoryNonceStore, NonceStore

__all__ = ["internal_listener_app", "InternalListener"]

logger = logging.getLogger(__name__)


def build_nonce_store(settings: Settings) -> tuple[NonceStore, Any]:
    """Return a Redis nonce store when the cache is Redis (so every replica checks every nonce), else an in-process one."""
    if settings.cache.backend != "redis":
        return MemoryNonceStore(), None
    import redis.asyncio as redis_asyncio

    from .nonces import RedisNonceStore

    client = redis_asyncio.from_url(os.environ[settings.cache.url_env])
    return RedisNonceStore(client), client


class InternalListener:
    """ASGI app that handles the lifespan itself and builds the real internal app lazily."""

    def __init__(self, settings: Settings, secrets: InternalSecrets, public_app: Any) -> None:
        self._settings = settings
        self._secrets = secrets
        self._public_app = public_app
        self._app: Any = None
        self._redis: Any = None

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                logger.info("internal API listening on %s", self._settings.internal.bind)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._redis is not None:
                    await self._redis.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _build(self) -> Any:
        from .app import build_internal_app

        gateway = self._public_app.state.gateway
        nonces, self._redis = build_nonce_store(self._settings)
        return build_internal_app(gateway.backends.service, secrets=self._secrets, nonces=nonces,
                                  on_change=gateway.registry.invalidate)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if self._app is None:
            if getattr(self._public_app.state, "gateway", None) is None:
                response = JSONResponse({"error": {"code": "starting", "message": "the gateway is starting; retry shortly"}},
                                        status_code=503)
                return await response(scope, receive, send)
            self._app = self._build()
        await self._app(scope, receive, send)


def internal_listener_app(settings: Settings, public_app: Any) -> InternalListener | None:
    """Return the listener app, or None when INTERNAL_MCP_SECRET is unset (the internal API is then off)."""
    secrets = load_internal_secrets(settings)
    if secrets is None:
        return None
    return InternalListener(settings, secrets, public_app)
