"""Redis specifics: TTL on the key, no plaintext at rest, invalidation across replicas, outages."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

import pytest
from support.backend_options import redis_cache

from cast_gateway.blobs.local import LocalBlobStore
from cast_gateway.cache.redis import RedisCache
from cast_gateway.store import WorkspaceRecord
from cast_gateway.store.sqlite import SqliteStore
from cast_gateway.vault import Vault
from cast_gateway.workspaces.service import WorkspaceService
from support.servers import RedisServer

pytestmark = pytest.mark.anyio

WAIT_S = 10.0


async def test_key_ttl_is_default(redis_url: str) -> None:
    cache = redis_cache(redis_url)
    await cache.open()
    try:
        await cache.set("alpha", b"sealed")
        ttl = await cache._require().ttl(cache.key("alpha"))
    finally:
        await cache.close()

    assert 3590 <= ttl <= 3600


async def test_raw_redis_holds_no_plaintext(redis_url: str, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "cast.db")
    await store.open()
    await store.migrate()
    cache = redis_cache(redis_url)
    await cache.open()
    service = WorkspaceService(store, LocalBlobStore(tmp_path / "specs"), cache, Vault({1: bytes(range(32))}, 1))
    planted = ["planted-secret-value-7f3a", "https://planted-base.example", "planted_setting_value", "api_key_name"]
    try:
        await store.create_workspace(WorkspaceRecord(id="alpha", spec=None, base_url=planted[1],
                                                     settings={"note": planted[2]}))
        await service.set_secret("alpha", planted[3], planted[0])
        config = await service.load_config("alpha")
        raw = await cache._require().get(cache.key("alpha"))
        from_cache = await service.load_config("alpha")
    finally:
        await cache.close()
        await store.close()

    assert config.record.base_url == planted[1]
    assert from_cache.record.base_url == planted[1]
    assert raw is not None
    for text in planted:
        assert text.encode() not in raw
    assert b"alpha" not in raw


async def test_eviction_reaches_other_replica(redis_url: str) -> None:
    first = redis_cache(redis_url)
    second = RedisCache(redis_url, channel=first.channel, key_prefix=first.key(""))
    received: asyncio.Queue[str] = asyncio.Queue()

    async def record(workspace_id: str) -> None:
        await received.put(workspace_id)

    second.on_invalidate(record)
    await first.open()
    await second.open()
    try:
        await first.wait_subscribed()
        await second.wait_subscribed()
        await first.set("alpha", b"sealed")

        await first.evict("alpha")

        assert await asyncio.wait_for(received.get(), WAIT_S) == "alpha"
        assert await second.get("alpha") is None
    finally:
        await first.close()
        await second.close()


async def test_own_eviction_not_repeated(redis_url: str) -> None:
    cache = redis_cache(redis_url)
    calls: list[str] = []

    async def record(workspace_id: str) -> None:
        calls.append(workspace_id)

    cache.on_invalidate(record)
    await cache.open()
    try:
        await cache.wait_subscribed()
        await cache.evict("alpha")
        await cache.evict("beta")
        await _wait_for(lambda: cache.stats.invalidations_received >= 2)
    finally:
        await cache.close()

    assert calls == ["alpha", "beta"]


async def test_failing_handler_does_not_stop_others(redis_url: str) -> None:
    cache = redis_cache(redis_url)
    calls: list[str] = []

    async def broken(workspace_id: str) -> None:
        raise RuntimeError("handler failure")

    async def record(workspace_id: str) -> None:
        calls.append(workspace_id)

    cache.on_invalidate(broken)
    cache.on_invalidate(record)
    await cache.open()
    try:
        await cache.evict("alpha")
    finally:
        await cache.close()

    assert calls == ["alpha"]
    assert cache.stats.handler_errors == 1


async def test_outage_is_miss_then_recovers(redis_factory: Callable[[], RedisServer],
                                            caplog: pytest.LogCaptureFixture) -> None:
    server = redis_factory()
    cache = redis_cache(server.url)
    await cache.open()
    try:
        await cache.wait_subscribed()
        await cache.set("alpha", b"sealed")
        server.stop()

        assert await cache.get("alpha") is None
        await cache.set("alpha", b"sealed")
        assert await cache.get("alpha") is None
        assert cache.stats.outages == 1
        assert cache.stats.errors >= 3
        assert not cache.available
        warnings = [r for r in caplog.records if r.name == "cast_gateway.cache.redis" and r.levelname == "WARNING"]
        assert len(warnings) == 1

        server.start()
        await _wait_for(lambda: cache._subscribed.is_set())
        await cache.set("alpha", b"again")
        assert await cache.get("alpha") == b"again"
        assert cache.available
    finally:
        await cache.close()


async def test_eviction_during_outage_delivered_later(redis_factory: Callable[[], RedisServer]) -> None:
    server = redis_factory()
    first = redis_cache(server.url)
    second = RedisCache(server.url, channel=first.channel)
    received: asyncio.Queue[str] = asyncio.Queue()

    async def record(workspace_id: str) -> None:
        await received.put(workspace_id)

    second.on_invalidate(record)
    await first.open()
    await second.open()
    try:
        await first.wait_subscribed()
        await second.wait_subscribed()
        server.stop()

        await first.evict("alpha")

        server.start()
        assert await asyncio.wait_for(received.get(), WAIT_S) == "alpha"
    finally:
        await first.close()
        await second.close()


async def _wait_for(condition: Callable[[], bool]) -> None:
    # Polls a condition that a background task makes true, with a deadline.
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {WAIT_S} s")
        await asyncio.sleep(0.02)


def test_pool_size_must_leave_room() -> None:
    with pytest.raises(ValueError, match="cache.pool_size"):
        RedisCache("redis://127.0.0.1:1/0", pool_size=1)
