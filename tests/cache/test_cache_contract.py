"""The cache contract, run against the in-process cache and Redis (see conftest)."""

from __future__ import annotations

import pytest

from cast_gateway.cache import CACHE_TTL_S, ConfigCache
from cast_gateway.config import CacheSettings

pytestmark = pytest.mark.anyio


def test_default_ttl_is_one_hour() -> None:
    assert CACHE_TTL_S == 3600
    assert CacheSettings().ttl_s == 3600


async def test_miss_returns_none(cache: ConfigCache) -> None:
    assert await cache.get("alpha") is None


async def test_set_then_get(cache: ConfigCache) -> None:
    await cache.set("alpha", b"\x01sealed\x00bytes")

    assert await cache.get("alpha") == b"\x01sealed\x00bytes"
    assert await cache.get("beta") is None


async def test_set_replaces_value(cache: ConfigCache) -> None:
    await cache.set("alpha", b"one")
    await cache.set("alpha", b"two")

    assert await cache.get("alpha") == b"two"


async def test_evict_drops_entry(cache: ConfigCache) -> None:
    await cache.set("alpha", b"one")
    await cache.set("beta", b"two")

    await cache.evict("alpha")

    assert await cache.get("alpha") is None
    assert await cache.get("beta") == b"two"


async def test_evict_calls_handlers_once(cache: ConfigCache) -> None:
    first: list[str] = []
    second: list[str] = []

    async def record_first(workspace_id: str) -> None:
        first.append(workspace_id)

    async def record_second(workspace_id: str) -> None:
        second.append(workspace_id)

    cache.on_invalidate(record_first)
    cache.on_invalidate(record_second)

    await cache.evict("alpha")

    assert first == ["alpha"]
    assert second == ["alpha"]
