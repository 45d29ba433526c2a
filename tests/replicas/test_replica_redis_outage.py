"""Redis is a cache, not a dependency: replicas serve through its outage and recover alone."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from cast_gateway.backends import Backends
from replicas.cluster import Backing, Replica, migrate, subscriber_count
from replicas.conftest import new_backing
from replicas.provision import SPEC_TWO_TOOLS, bundle, provision, unique_workspace, watched_client
from replicas.waiting import eventually
from support.leaks import PlantedSecrets
from support.servers import MariaDb, RedisServer
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.anyio

OUTAGE_LOG = "Redis unavailable"
RECOVERY_LOG = "Redis reachable again"
CALLS_DURING_OUTAGE = 4
# Two replicas and the test process listen on the invalidation channel.
LISTENERS = 3
# The subscriber's reconnect delay doubles up to 5 s (RECONNECT_DELAY_MAX_S), plus start-up slack.
RESUBSCRIBE_TIMEOUT_S = 15.0


@pytest.fixture
def redis(redis_factory: Callable[[], RedisServer]) -> RedisServer:
    return redis_factory()


@pytest.fixture
def backing(mariadb: MariaDb, redis: RedisServer, moto_endpoint: str, tmp_path: Path) -> Backing:
    backing = new_backing(mariadb, redis.url, moto_endpoint)
    migrate(backing, tmp_path)
    return backing


async def test_redis_outage_serves_and_recovers(replicas: list[Replica], backing: Backing, redis: RedisServer,
                                                backends: Backends, upstream: RecordingUpstream,
                                                planted_secrets: PlantedSecrets) -> None:
    warm = unique_workspace("warm")
    cold = unique_workspace("cold")
    warm_token = await provision(backends.service, warm, upstream.url, planted_secrets.plant("warm"))
    cold_token = await provision(backends.service, cold, upstream.url, planted_secrets.plant("cold"))

    async with watched_client(replicas[0].mcp_url(warm), warm_token) as warm_a, \
            watched_client(replicas[1].mcp_url(warm), warm_token) as warm_b:
        await warm_a.client.call_tool("getItem", {"itemId": "before"})
        await warm_b.client.call_tool("getItem", {"itemId": "before"})

        redis.stop()
        during = []
        for index in range(CALLS_DURING_OUTAGE):
            during.append(await warm_a.client.call_tool("getItem", {"itemId": f"warm-{index}"}))
            during.append(await warm_b.client.call_tool("getItem", {"itemId": f"warm-{index}"}))
        async with watched_client(replicas[0].mcp_url(cold), cold_token) as cold_a, \
                watched_client(replicas[1].mcp_url(cold), cold_token) as cold_b:
            during.append(await cold_a.client.call_tool("getItem", {"itemId": "cold"}))
            during.append(await cold_b.client.call_tool("getItem", {"itemId": "cold"}))
        logs_during = [replica.log_text() for replica in replicas]

        redis.start()
        await eventually(lambda: subscriber_count(backing.redis_url, backing.channel) >= LISTENERS,
                         f"{LISTENERS} subscribers back on {backing.channel}", RESUBSCRIBE_TIMEOUT_S)
        await backends.service.upload_spec(warm, bundle(SPEC_TWO_TOOLS, upstream.url))
        await warm_a.wait_changed()
        await warm_b.wait_changed()
        listed_a = await warm_a.client.list_tools()
        listed_b = await warm_b.client.list_tools()

    assert [result.is_error for result in during] == [False] * (2 * CALLS_DURING_OUTAGE + 2)
    assert len(upstream.requests) == 2 + 2 * CALLS_DURING_OUTAGE + 2
    for replica, log in zip(replicas, logs_during):
        assert log.count(OUTAGE_LOG) == 1, f"replica {replica.name} logged the outage {log.count(OUTAGE_LOG)} times"
    for replica in replicas:
        log = replica.log_text()
        assert log.count(OUTAGE_LOG) == 1, f"replica {replica.name} logged the outage {log.count(OUTAGE_LOG)} times"
        assert log.count(RECOVERY_LOG) == 1, f"replica {replica.name} logged the recovery {log.count(RECOVERY_LOG)} times"
        planted_secrets.check(log, f"log of replica {replica.name}")
    assert sorted(tool.name for tool in listed_a.tools) == ["getItem", "listItems"]
    assert sorted(tool.name for tool in listed_b.tools) == ["getItem", "listItems"]
