"""Nonce stores: in-process and Redis."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio

from cast_gateway.internal.errors import NonceStoreError
from cast_gateway.internal.nonces import MemoryNonceStore, RedisNonceStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.anyio
async def test_memory_store_accepts_nonce_once() -> None:
    store = MemoryNonceStore()
    assert await store.add_if_absent("k:n1", 600)
    assert not await store.add_if_absent("k:n1", 600)
    assert await store.add_if_absent("k:n2", 600)


@pytest.mark.anyio
async def test_memory_store_forgets_after_ttl() -> None:
    clock = FakeClock()
    store = MemoryNonceStore(clock=clock)
    await store.add_if_absent("k:n1", 600)

    clock.now += 599
    assert not await store.add_if_absent("k:n1", 600)
    clock.now += 1
    assert await store.add_if_absent("k:n1", 600)
    assert len(store) == 1


@pytest.mark.anyio
async def test_memory_store_full_fails_closed() -> None:
    clock = FakeClock()
    store = MemoryNonceStore(max_entries=2, clock=clock)
    await store.add_if_absent("a", 600)
    await store.add_if_absent("b", 600)

    with pytest.raises(NonceStoreError):
        await store.add_if_absent("c", 600)
    assert not await store.add_if_absent("a", 600)

    clock.now += 600
    assert await store.add_if_absent("c", 600)


@pytest.mark.anyio
async def test_redis_store_accepts_nonce_once(redis_url: str) -> None:
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        store = RedisNonceStore(client)
        key = f"kid:{uuid.uuid4()}"
        assert await store.add_if_absent(key, 600)
        assert not await store.add_if_absent(key, 600)
        ttl = await client.ttl(f"cast:nonce:{key}")
        assert 590 <= ttl <= 600
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_redis_outage_fails_closed() -> None:
    from support.servers import free_port

    client = redis.asyncio.Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=2)
    try:
        with pytest.raises(NonceStoreError):
            await RedisNonceStore(client).add_if_absent("kid:n", 600)
    finally:
        await client.aclose()
