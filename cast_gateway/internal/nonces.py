"""Nonce stores: each signed request's nonce is accepted once.

The verifier calls `add_if_absent` only after the signature checks, so a caller without
the secret can neither fill the store nor burn a nonce that a real request will use.
"""

from __future__ import annotations

import heapq
import logging
import time
from typing import Any, Callable, Protocol

from .errors import NonceStoreError

__all__ = ["NonceStore", "MemoryNonceStore", "RedisNonceStore", "MAX_MEMORY_NONCES", "REDIS_NONCE_PREFIX"]

logger = logging.getLogger(__name__)

# At the nonce lifetime of 600 s this admits about 160 signed requests a second, far more
# than a provisioning service sends. Past the bound the store fails closed: evicting a live
# nonce early would let its request be replayed.
MAX_MEMORY_NONCES = 100_000
REDIS_NONCE_PREFIX = "cast:nonce:"


class NonceStore(Protocol):
    async def add_if_absent(self, key: str, ttl_s: int) -> bool:
        """Remember `key` for `ttl_s` seconds. False when it is already remembered.

        Raises NonceStoreError when the store is unreachable or full, and the caller then rejects the request.
        """


class MemoryNonceStore:
    """The embedded nonce store: one process, bounded, entries expire.

    A dict gives the membership test, and a heap ordered by expiry lets each call drop
    the expired entries from the front without scanning them all.
    """

    def __init__(self, *, max_entries: int = MAX_MEMORY_NONCES, clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries <= 0:
            raise ValueError(f"max_entries = {max_entries!r} must be greater than 0")
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._max_entries = max_entries
        self._clock = clock

    def __len__(self) -> int:
        return len(self._expiry)

    async def add_if_absent(self, key: str, ttl_s: int) -> bool:
        now = self._clock()
        self._drop_expired(now)
        if key in self._expiry:
            return False
        if len(self._expiry) >= self._max_entries:
            raise NonceStoreError(
                f"the in-process nonce store is full ({self._max_entries} unexpired nonces); "
                "wait for them to expire, or use Redis for the nonce store"
            )
        expires = now + ttl_s
        self._expiry[key] = expires
        heapq.heappush(self._heap, (expires, key))
        return True

    def _drop_expired(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            expires, key = heapq.heappop(self._heap)
            if self._expiry.get(key) == expires:
                del self._expiry[key]


class RedisNonceStore:
    """Nonces in Redis, shared by every replica: `SET key 1 NX EX ttl`.

    `client` is a `redis.asyncio.Redis`. Its connection errors become NonceStoreError, so an
    outage rejects signed requests instead of accepting replays.
    """

    def __init__(self, client: Any, *, prefix: str = REDIS_NONCE_PREFIX) -> None:
        self._client = client
        self._prefix = prefix

    async def add_if_absent(self, key: str, ttl_s: int) -> bool:
        from redis.exceptions import RedisError

        try:
            stored = await self._client.set(self._prefix + key, b"1", nx=True, ex=ttl_s)
        except RedisError as exc:
            raise NonceStoreError(f"the Redis nonce store failed ({type(exc).__name__}); retry when Redis is back") from exc
        return bool(stored)
