"""An S3 outage: compiled workspaces keep serving on every replica, and credentials still change."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Iterator

import pytest

from cast_gateway.backends import Backends
from replicas.cluster import Backing, Replica, migrate
from replicas.conftest import new_backing
from replicas.provision import SCHEME, initialize, provision, unique_workspace, watched_client
from support.leaks import PlantedSecrets
from support.servers import MariaDb, RedisServer, ServerProcess, start_moto
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.anyio

CALLS_DURING_OUTAGE = 3


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    """A private moto server (this test stops it), stopped by its PID at the end."""
    server, endpoint = start_moto(tmp_path / "moto")
    try:
        yield server, endpoint
    finally:
        server.stop()


@pytest.fixture
def backing(mariadb: MariaDb, redis_server: RedisServer, moto: tuple[ServerProcess, str], tmp_path: Path) -> Backing:
    backing = new_backing(mariadb, redis_server.url, moto[1])
    migrate(backing, tmp_path)
    return backing


async def test_s3_outage_keeps_compiled_workspaces(replicas: list[Replica], moto: tuple[ServerProcess, str],
                                                   backends: Backends, upstream: RecordingUpstream,
                                                   planted_secrets: PlantedSecrets) -> None:
    warm = unique_workspace("warm")
    cold = unique_workspace("cold")
    old_value = planted_secrets.plant("old-bearer")
    new_value = planted_secrets.plant("new-bearer")
    warm_token = await provision(backends.service, warm, upstream.url, old_value)
    cold_token = await provision(backends.service, cold, upstream.url, planted_secrets.plant("cold"))

    async with watched_client(replicas[0].mcp_url(warm), warm_token) as warm_a, \
            watched_client(replicas[1].mcp_url(warm), warm_token) as warm_b:
        before = [await warm_a.client.call_tool("getItem", {"itemId": "before"}),
                  await warm_b.client.call_tool("getItem", {"itemId": "before"})]

        moto[0].stop()
        during = []
        for index in range(CALLS_DURING_OUTAGE):
            during.append(await warm_a.client.call_tool("getItem", {"itemId": f"during-{index}"}))
            during.append(await warm_b.client.call_tool("getItem", {"itemId": f"during-{index}"}))
        await backends.service.set_secret(warm, SCHEME, new_value)
        rotated = [await warm_a.client.call_tool("getItem", {"itemId": "rotated"}),
                   await warm_b.client.call_tool("getItem", {"itemId": "rotated"})]
        # Concurrently: each replica retries S3 for seconds before it gives up on the cold workspace.
        cold_during = await asyncio.gather(*(initialize(replica.mcp_url(cold), cold_token) for replica in replicas))

    assert [result.is_error for result in before + during + rotated] == [False] * (4 + 2 * CALLS_DURING_OUTAGE)
    # Compared as labels: a planted value must not appear in a failure report.
    labels = {f"Bearer {old_value}": "old", f"Bearer {new_value}": "new"}
    sent = [labels.get(request.header("authorization") or "", "other") for request in upstream.requests]
    assert sent == ["old"] * (2 + 2 * CALLS_DURING_OUTAGE) + ["new", "new"]
    for replica, response in zip(replicas, cold_during):
        assert response.status_code == 503, f"replica {replica.name}: {response.status_code}"
        assert "retry" in response.json()["error"]["message"]
    for replica in replicas:
        planted_secrets.check(replica.log_text(), f"log of replica {replica.name}")
