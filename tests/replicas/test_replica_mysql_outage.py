"""A MySQL outage: warm workspaces keep serving on every replica and no audit event is lost."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import httpx2
import pytest

from cast_gateway.backends import Backends
from replicas.cluster import Backing, Replica, migrate
from replicas.conftest import new_backing
from replicas.provision import initialize, provision, unique_workspace, watched_client
from replicas.waiting import eventually
from support.leaks import PlantedSecrets
from support.servers import MariaDb, RedisServer
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.anyio

CALLS_DURING_OUTAGE = 3
# The audit writer retries a failed batch after 1, 2, 4, ... s (at most 30 s).
AUDIT_CATCH_UP_TIMEOUT_S = 40.0


@pytest.fixture
def database(mariadb_factory: Callable[..., MariaDb]) -> MariaDb:
    return mariadb_factory(tls=True)


@pytest.fixture
def backing(database: MariaDb, redis_server: RedisServer, moto_endpoint: str, tmp_path: Path) -> Backing:
    backing = new_backing(database, redis_server.url, moto_endpoint)
    migrate(backing, tmp_path)
    return backing


def audit_rows(backing: Backing, workspace_id: str) -> int:
    """Audit rows of a workspace, counted as root over the server's Unix socket."""
    [(count,)] = backing.database.admin(
        f"SELECT COUNT(*) FROM `{backing.database.database}`.audit_events WHERE workspace_id = %s", [workspace_id])
    return int(count)


async def test_mysql_outage_keeps_warm_workspaces(replicas: list[Replica], backing: Backing, database: MariaDb,
                                                  backends: Backends, upstream: RecordingUpstream,
                                                  planted_secrets: PlantedSecrets) -> None:
    warm = unique_workspace("warm")
    cold = unique_workspace("cold")
    warm_token = await provision(backends.service, warm, upstream.url, planted_secrets.plant("warm"))
    cold_token = await provision(backends.service, cold, upstream.url, planted_secrets.plant("cold"))

    async with watched_client(replicas[0].mcp_url(warm), warm_token) as warm_a, \
            watched_client(replicas[1].mcp_url(warm), warm_token) as warm_b:
        before = [await warm_a.client.call_tool("getItem", {"itemId": "before"}),
                  await warm_b.client.call_tool("getItem", {"itemId": "before"})]

        database.stop()
        during = []
        for index in range(CALLS_DURING_OUTAGE):
            during.append(await warm_a.client.call_tool("getItem", {"itemId": f"during-{index}"}))
            during.append(await warm_b.client.call_tool("getItem", {"itemId": f"during-{index}"}))
        cold_during = [await initialize(replica.mcp_url(cold), cold_token) for replica in replicas]
        async with httpx2.AsyncClient() as http:
            ready_during = [await http.get(f"{replica.url}/readyz") for replica in replicas]
        database.start()

        await eventually(lambda: audit_rows(backing, warm) == len(before) + len(during),
                         "the audit rows of every call", AUDIT_CATCH_UP_TIMEOUT_S)
    async with watched_client(replicas[0].mcp_url(cold), cold_token) as cold_a:
        cold_after = await cold_a.client.call_tool("getItem", {"itemId": "after"})

    assert [result.is_error for result in before + during] == [False] * (2 + 2 * CALLS_DURING_OUTAGE)
    for replica, response in zip(replicas, cold_during):
        assert response.status_code == 503, f"replica {replica.name}: {response.status_code}"
        assert "retry" in response.json()["error"]["message"]
    assert [response.status_code for response in ready_during] == [503, 503]
    assert audit_rows(backing, warm) == 2 + 2 * CALLS_DURING_OUTAGE
    assert cold_after.is_error is False
    for replica in replicas:
        planted_secrets.check(replica.log_text(), f"log of replica {replica.name}")
