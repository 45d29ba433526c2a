"""The `cache` fixture: each contract test runs against the in-process cache and Redis."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from cast_gateway.cache import ConfigCache, MemoryCache
from cast_gateway.cache.redis import RedisCache
from support.backend_options import redis_cache


@pytest.fixture(params=["memory", "redis"])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[ConfigCache]:
    backend: ConfigCache
    if request.param == "redis":
        backend = redis_cache(request.getfixturevalue("redis_url"))
    else:
        backend = MemoryCache()
    await backend.open()
    if isinstance(backend, RedisCache):
        await backend.wait_subscribed()
    try:
        yield backend
    finally:
        await backend.close()
