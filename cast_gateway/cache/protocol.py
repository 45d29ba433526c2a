"""The cache interface shared by the in-process and the Redis implementation."""

from __future__ import annotations

from typing import Awaitable, Callable, Protocol

__all__ = ["ConfigCache", "CACHE_TTL_S", "InvalidationHandler"]

CACHE_TTL_S = 3600

InvalidationHandler = Callable[[str], Awaitable[None]]


class ConfigCache(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def get(self, workspace_id: str) -> bytes | None:
        """The cached config blob, or None on a miss (and on a cache outage)."""

    async def set(self, workspace_id: str, value: bytes, ttl_s: int = CACHE_TTL_S) -> None: ...

    async def evict(self, workspace_id: str) -> None:
        """Drop the entry and tell every replica that the workspace changed."""

    def on_invalidate(self, handler: InvalidationHandler) -> None:
        """Register a coroutine called with the workspace id when any replica evicts it."""
