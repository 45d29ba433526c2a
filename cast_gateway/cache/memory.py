"""The embedded cache: a dict with expiry, for one process."""

from __future__ import annotations

import time
from typing import Callable

from .protocol import CACHE_TTL_S, InvalidationHandler

__all__ = ["MemoryCache", "MAX_ENTRIES"]

# A bound so that a flood of distinct workspace ids cannot grow the process without limit;
# past it the oldest entry goes first (dicts keep insertion order).
MAX_ENTRIES = 10_000


class MemoryCache:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: dict[str, tuple[float, bytes]] = {}
        self._handlers: list[InvalidationHandler] = []
        self._clock = clock
        self._max_entries = max_entries

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        self._entries.clear()

    async def get(self, workspace_id: str) -> bytes | None:
        entry = self._entries.get(workspace_id)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[workspace_id]
            return None
        return value

    async def set(self, workspace_id: str, value: bytes, ttl_s: int = CACHE_TTL_S) -> None:
        self._entries.pop(workspace_id, None)
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]
        self._entries[workspace_id] = (self._clock() + ttl_s, value)

    async def evict(self, workspace_id: str) -> None:
        self._entries.pop(workspace_id, None)
        for handler in self._handlers:
            await handler(workspace_id)

    def on_invalidate(self, handler: InvalidationHandler) -> None:
        self._handlers.append(handler)
