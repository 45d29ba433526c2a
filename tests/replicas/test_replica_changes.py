"""Changes made anywhere reach every replica: two `cast-gateway serve` processes, one backing."""

from __future__ import annotations


import pytest

from cast_gateway.backends import Backends
from replicas.cluster import Backing, Replica, subscriber_count
from replicas.provision import SCHEME, SPEC_TWO_TOOLS, bundle, provision, unique_workspace, watched_client
from replicas.waiting import eventually
from support.leaks import PlantedSecrets
from support.upstream import RecordingUpstream

pytestmark = pytest.mark.anyio

# Two replicas and the test process listen on the invalidation channel.
LISTENERS = 3


async def wait_listeners(backing: Backing) -> None:
    await eventually(lambda: subscriber_count(backing.redis_url, backing.channel) >= LISTENERS,
                     f"{LISTENERS} subscribers on {backing.channel}")


async def test_spec_change_reloads_every_replica(shared_replicas: list[Replica], shared_backing: Backing,
                                                 shared_backends: Backends, upstream: RecordingUpstream,
                                                 planted_secrets: PlantedSecrets) -> None:
    workspace = unique_workspace("reload")
    token = await provision(shared_backends.service, workspace, upstream.url, planted_secrets.plant("bearer"))
    replica_a, replica_b = shared_replicas
    await wait_listeners(shared_backing)

    async with watched_client(replica_a.mcp_url(workspace), token) as on_a, \
            watched_client(replica_b.mcp_url(workspace), token) as on_b:
        before_a = await on_a.client.list_tools()
        before_b = await on_b.client.list_tools()
        await shared_backends.service.upload_spec(workspace, bundle(SPEC_TWO_TOOLS, upstream.url))
        await on_a.wait_changed()
        await on_b.wait_changed()
        after_a = await on_a.client.list_tools()
        after_b = await on_b.client.list_tools()
        called_a = await on_a.client.call_tool("listItems", {"q": "from-a"})
        called_b = await on_b.client.call_tool("listItems", {"q": "from-b"})

    assert [tool.name for tool in before_a.tools] == ["getItem"]
    assert [tool.name for tool in before_b.tools] == ["getItem"]
    assert sorted(tool.name for tool in after_a.tools) == ["getItem", "listItems"]
    assert sorted(tool.name for tool in after_b.tools) == ["getItem", "listItems"]
    assert called_a.is_error is False, called_a.content
    assert called_b.is_error is False, called_b.content
    assert [request.raw_path for request in upstream.requests] == ["/api/items?q=from-a", "/api/items?q=from-b"]


async def test_secret_change_reaches_every_replica(shared_replicas: list[Replica], shared_backing: Backing,
                                                   shared_backends: Backends, upstream: RecordingUpstream,
                                                   planted_secrets: PlantedSecrets) -> None:
    workspace = unique_workspace("secret")
    old_value = planted_secrets.plant("old-bearer")
    new_value = planted_secrets.plant("new-bearer")
    token = await provision(shared_backends.service, workspace, upstream.url, old_value)
    await wait_listeners(shared_backing)

    async with watched_client(shared_replicas[0].mcp_url(workspace), token) as on_a, \
            watched_client(shared_replicas[1].mcp_url(workspace), token) as on_b:
        await on_a.client.call_tool("getItem", {"itemId": "1"})
        await on_b.client.call_tool("getItem", {"itemId": "1"})
        await shared_backends.service.set_secret(workspace, SCHEME, new_value)
        await on_a.client.call_tool("getItem", {"itemId": "2"})
        await on_b.client.call_tool("getItem", {"itemId": "2"})

    # Compared as labels: a planted value must not appear in a failure report.
    labels = {f"Bearer {old_value}": "old", f"Bearer {new_value}": "new"}
    sent = [labels.get(request.header("authorization") or "", "other") for request in upstream.requests]
    assert sent == ["old", "old", "new", "new"]
    for replica in shared_replicas:
        planted_secrets.check(replica.log_text(), f"log of replica {replica.name}")
