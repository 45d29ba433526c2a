"""The shared cache: Redis stores each workspace's sealed config and carries invalidations.

Values arrive already encrypted under the vault's cache subkey, so Redis only ever
stores ciphertext. `evict` deletes the key and publishes the workspace id on a channel;
a named subscriber task on every replica calls the registered handlers for each message,
so a change made through any replica drops the compiled workspace on all of them.

Redis is an optimisation, never a dependency: a failed get or set is a cache miss, an
outage is logged once when it starts and once when it ends, and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .protocol import CACHE_TTL_S, InvalidationHandler

__all__ = ["RedisCache", "RedisCacheStats", "KEY_PREFIX", "DEFAULT_CHANNEL", "MAX_PENDING_INVALIDATIONS"]

logger = logging.getLogger(__name__)

KEY_PREFIX = "cast:config:"
DEFAULT_CHANNEL = "cast:invalidate"
SOCKET_TIMEOUT_S = 2.0
RECONNECT_DELAY_MIN_S = 0.1
RECONNECT_DELAY_MAX_S = 5.0
# How long the subscriber waits for a message before it checks whether the cache is closing.
LISTEN_POLL_S = 1.0
CLOSE_TIMEOUT_S = 5.0
# Invalidations that could not be published during an outage are kept (one per workspace)
# and published once Redis is back. Past this bound the oldest are dropped, so those
# workspaces refresh on other replicas only when their cache entry expires.
MAX_PENDING_INVALIDATIONS = 10_000


@dataclass
class RedisCacheStats:
    """Counters for /metrics: failures are counted here instead of logged one by one."""

    errors: int = 0  # failed Redis commands
    outages: int = 0  # transitions from reachable to unreachable
    invalidations_published: int = 0
    invalidations_received: int = 0
    handler_errors: int = 0
    reconnects: int = 0


class RedisCache:
    """`ConfigCache` over one Redis connection pool (bounded by `pool_size`)."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = DEFAULT_CHANNEL,
        pool_size: int = 20,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        if pool_size < 2:
            # The subscriber keeps one connection for as long as it runs.
            raise ValueError(f"cache.pool_size = {pool_size!r} must be at least 2")
        self._url = url
        self.channel = channel
        self._pool_size = pool_size
        self._key_prefix = key_prefix
        self.replica_id = uuid.uuid4().hex
        self.stats = RedisCacheStats()
        self._client: aioredis.Redis | None = None
        self._handlers: list[InvalidationHandler] = []
        self._subscriber: asyncio.Task[None] | None = None
        self._closing = False
        self._subscribed = asyncio.Event()
        self._pending: dict[str, None] = {}
        self._down_since: float | None = None

    @classmethod
    def from_settings(cls, settings: Any, environ: Any) -> RedisCache:
        """Build from `CacheSettings`; the URL (which may hold a password) comes from `url_env`."""
        from ..config import ConfigError

        url = environ.get(settings.url_env)
        if not url:
            raise ConfigError(f"environment variable {settings.url_env} (cache.url_env) is not set; "
                              "set it to the Redis URL, such as rediss://:password@host:6380/0")
        return cls(url, channel=settings.channel, pool_size=settings.pool_size)

    def key(self, workspace_id: str) -> str:
        return f"{self._key_prefix}{workspace_id}"

    async def open(self) -> None:
        self._client = aioredis.Redis.from_url(
            self._url, max_connections=self._pool_size, socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=SOCKET_TIMEOUT_S, health_check_interval=30,
        )
        self._closing = False
        self._subscriber = asyncio.create_task(self._listen(), name=f"redis-cache-invalidations:{self.channel}")

    async def wait_subscribed(self, timeout_s: float = 10.0) -> None:
        """Wait until the subscriber listens on the channel (tests and start-up checks)."""
        await asyncio.wait_for(self._subscribed.wait(), timeout_s)

    async def close(self) -> None:
        if self._subscriber is not None:
            self._closing = True
            self._subscriber.cancel()
            done, _pending = await asyncio.wait({self._subscriber}, timeout=CLOSE_TIMEOUT_S)
            if not done:
                logger.warning("Redis subscriber did not stop within %.0f s; leaving it behind", CLOSE_TIMEOUT_S)
            self._subscriber = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _require(self) -> aioredis.Redis:
        if self._client is None:
            raise RuntimeError("RedisCache is not open; call open() first")
        return self._client

    # --- outage bookkeeping: one log line when an outage starts, one when it ends

    def _failed(self, action: str, exc: BaseException) -> None:
        self.stats.errors += 1
        if self._down_since is None:
            self._down_since = time.monotonic()
            self.stats.outages += 1
            logger.warning("Redis unavailable (%s failed: %s); serving from the store until it recovers",
                           action, exc.__class__.__name__)

    def _succeeded(self) -> None:
        if self._down_since is not None:
            logger.info("Redis reachable again after %.1f s", time.monotonic() - self._down_since)
            self._down_since = None

    @property
    def available(self) -> bool:
        return self._down_since is None

    # --- ConfigCache

    async def get(self, workspace_id: str) -> bytes | None:
        try:
            value = await self._require().get(self.key(workspace_id))
        except (RedisError, OSError) as exc:
            self._failed("GET", exc)
            return None
        self._succeeded()
        if value is None:
            return None
        return value.encode() if isinstance(value, str) else bytes(value)

    async def set(self, workspace_id: str, value: bytes, ttl_s: int = CACHE_TTL_S) -> None:
        try:
            await self._require().set(self.key(workspace_id), value, ex=ttl_s)
        except (RedisError, OSError) as exc:
            self._failed("SET", exc)
            return
        self._succeeded()

    async def evict(self, workspace_id: str) -> None:
        # This replica's handlers run at once, whatever Redis does; the subscriber skips
        # messages this replica published, so they do not run twice.
        await self._run_handlers(workspace_id)
        try:
            await self._require().delete(self.key(workspace_id))
            await self._publish(workspace_id)
        except (RedisError, OSError) as exc:
            self._failed("invalidation", exc)
            self._remember(workspace_id)
            return
        self._succeeded()

    def on_invalidate(self, handler: InvalidationHandler) -> None:
        self._handlers.append(handler)

    # --- invalidation channel

    async def _publish(self, workspace_id: str) -> None:
        message = orjson.dumps({"workspace": workspace_id, "origin": self.replica_id})
        await self._require().publish(self.channel, message)
        self.stats.invalidations_published += 1

    def _remember(self, workspace_id: str) -> None:
        self._pending.pop(workspace_id, None)
        while len(self._pending) >= MAX_PENDING_INVALIDATIONS:
            del self._pending[next(iter(self._pending))]
        self._pending[workspace_id] = None

    async def _flush_pending(self) -> None:
        while self._pending:
            workspace_id = next(iter(self._pending))
            await self._require().delete(self.key(workspace_id))
            await self._publish(workspace_id)
            del self._pending[workspace_id]

    async def _run_handlers(self, workspace_id: str) -> None:
        for handler in list(self._handlers):
            try:
                await handler(workspace_id)
            except Exception:
                self.stats.handler_errors += 1
                logger.exception("invalidation handler failed for workspace %s", workspace_id)

    async def _listen(self) -> None:
        """Subscribe and dispatch invalidations, reconnecting with backoff until cancelled."""
        delay = RECONNECT_DELAY_MIN_S
        while True:
            pubsub = self._require().pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                self._succeeded()
                delay = RECONNECT_DELAY_MIN_S
                await self._flush_pending()
                while not self._closing:
                    # A finite wait: redis-py can swallow a cancellation that arrives while
                    # get_message(timeout=None) waits, which left close() waiting forever.
                    message = await pubsub.get_message(timeout=LISTEN_POLL_S)
                    if message is not None:
                        await self._dispatch(message)
                return
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                self._failed("SUBSCRIBE", exc)
                self.stats.reconnects += 1
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()
            # NOTE: messages published while this replica was disconnected are lost; its
            # compiled workspaces can stay stale until their next eviction or a restart.
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_DELAY_MAX_S)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "message":
            return
        try:
            payload = orjson.loads(message["data"])
            workspace_id = str(payload["workspace"])
            origin = payload.get("origin")
        except (orjson.JSONDecodeError, KeyError, TypeError):
            logger.warning("ignored a malformed message on Redis channel %s", self.channel)
            return
        self.stats.invalidations_received += 1
        if origin == self.replica_id:
            return
        await self._run_handlers(workspace_id)
