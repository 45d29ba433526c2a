"""Signature checks through the running app: each rejection is a 401 that changes nothing."""

from __future__ import annotations

import time

import orjson
import pytest
from support.internal_api import CURRENT_KEY, PREVIOUS_KEY, InternalApi, bundle, serve_app

from cast_gateway.internal.app import build_internal_app
from cast_gateway.internal.client import InternalClient
from cast_gateway.internal.errors import RemoteAuthError
from cast_gateway.internal.keys import InternalSecrets, SigningKey
from cast_gateway.internal.middleware import UNAUTHORIZED_MESSAGE
from cast_gateway.internal.nonces import MemoryNonceStore, RedisNonceStore

PATH = "/internal/v1/workspaces/shop"
BODY = orjson.dumps({"settings": {"note": "changed"}})


async def make_workspaces(api: InternalApi) -> None:
    async with api.client() as client:
        await client.create_workspace("shop", bundle())
        await client.create_workspace("other", bundle())


async def revisions(api: InternalApi) -> dict[str, int]:
    result = {}
    for workspace_id in ("shop", "other"):
        record = await api.backends.service.get_workspace(workspace_id)
        result[workspace_id] = record.revision
    return result


async def assert_rejected(api: InternalApi, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
    before = await revisions(api)
    changes_before = list(api.changes)

    status, data = await api.send(method, url, headers, body)

    assert status == 401
    assert data == {"error": {"code": "unauthorized", "message": UNAUTHORIZED_MESSAGE}}
    assert await revisions(api) == before
    assert api.changes == changes_before


@pytest.mark.anyio
async def test_signed_request_is_accepted(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY)

    status, data = await internal_api.send("PATCH", url, headers, BODY)

    assert status == 200
    assert data["settings"] == {"note": "changed"}


@pytest.mark.anyio
async def test_wrong_secret_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    impostor = SigningKey(secret=b"wrong-secret-" + b"w" * 32, key_id=CURRENT_KEY.key_id)
    url, headers = InternalClient(internal_api.url, impostor).signed_request("PATCH", PATH, body=BODY)
    await assert_rejected(internal_api, "PATCH", url, headers, BODY)


@pytest.mark.anyio
async def test_unknown_key_id_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client(PREVIOUS_KEY).signed_request("PATCH", PATH, body=BODY)
    await assert_rejected(internal_api, "PATCH", url, headers, BODY)


@pytest.mark.anyio
async def test_stale_timestamp_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    client = internal_api.client()
    url, headers = client.signed_request("PATCH", PATH, body=BODY, timestamp=int(time.time()) - 301)
    await assert_rejected(internal_api, "PATCH", url, headers, BODY)


@pytest.mark.anyio
async def test_future_timestamp_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    client = internal_api.client()
    url, headers = client.signed_request("PATCH", PATH, body=BODY, timestamp=int(time.time()) + 301)
    await assert_rejected(internal_api, "PATCH", url, headers, BODY)


@pytest.mark.anyio
async def test_replayed_nonce_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY)
    status, _ = await internal_api.send("PATCH", url, headers, BODY)
    assert status == 200

    await assert_rejected(internal_api, "PATCH", url, headers, BODY)


@pytest.mark.anyio
async def test_altered_body_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY)
    await assert_rejected(internal_api, "PATCH", url, headers, BODY.replace(b"changed", b"chanGed"))


@pytest.mark.anyio
async def test_altered_path_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY)
    await assert_rejected(internal_api, "PATCH", url.replace("/shop", "/other"), headers, BODY)


@pytest.mark.anyio
async def test_altered_query_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY, query=[("dry_run", "1")])
    await assert_rejected(internal_api, "PATCH", url.replace("dry_run=1", "dry_run=0"), headers, BODY)


@pytest.mark.anyio
async def test_altered_method_is_rejected(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("GET", PATH)
    await assert_rejected(internal_api, "DELETE", url, headers, b"")


@pytest.mark.anyio
@pytest.mark.parametrize("header", ["X-Cast-Key-Id", "X-Cast-Timestamp", "X-Cast-Nonce", "X-Cast-Content-SHA256", "X-Cast-Signature"])
async def test_missing_header_is_rejected(internal_api: InternalApi, header: str) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY)
    del headers[header]
    await assert_rejected(internal_api, "PATCH", url, headers, BODY)


@pytest.mark.anyio
async def test_unrouted_path_needs_signature(internal_api: InternalApi) -> None:
    status, data = await internal_api.send("GET", internal_api.url + "/internal/v1/nowhere", {})
    assert status == 401
    assert data["error"]["code"] == "unauthorized"


@pytest.mark.anyio
async def test_rejected_request_keeps_nonce_usable(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client().signed_request("PATCH", PATH, body=BODY)
    await assert_rejected(internal_api, "PATCH", url, headers, BODY + b" ")

    status, _ = await internal_api.send("PATCH", url, headers, BODY)
    assert status == 200


@pytest.mark.anyio
async def test_rejections_are_counted_by_reason(internal_api: InternalApi) -> None:
    await make_workspaces(internal_api)
    url, headers = internal_api.client(PREVIOUS_KEY).signed_request("GET", PATH)
    await internal_api.send("GET", url, headers)
    assert internal_api.app.state.verifier.rejections["unknown-key-id"] == 1


@pytest.mark.anyio
@pytest.mark.parametrize("internal_secrets", [InternalSecrets(current=CURRENT_KEY, previous=PREVIOUS_KEY)])
async def test_rotation_overlap_then_old_secret_fails(internal_api: InternalApi) -> None:
    async with internal_api.client(CURRENT_KEY) as new_client, internal_api.client(PREVIOUS_KEY) as old_client:
        await new_client.create_workspace("rotated-new", bundle())
        await old_client.create_workspace("rotated-old", bundle())

    # After the rotation the gateway restarts with the new secret alone.
    after = build_internal_app(
        internal_api.backends.service, secrets=InternalSecrets(current=CURRENT_KEY), nonces=MemoryNonceStore()
    )
    async with serve_app(after) as port:
        url = f"http://127.0.0.1:{port}"
        async with InternalClient(url, CURRENT_KEY) as new_client, InternalClient(url, PREVIOUS_KEY) as old_client:
            assert (await new_client.get_workspace("rotated-old"))["id"] == "rotated-old"
            with pytest.raises(RemoteAuthError):
                await old_client.get_workspace("rotated-new")


@pytest.mark.anyio
async def test_redis_nonces_reject_replay_across_replicas(internal_api: InternalApi, redis_url: str) -> None:
    import redis.asyncio

    await make_workspaces(internal_api)
    redis_client = redis.asyncio.Redis.from_url(redis_url)
    service = internal_api.backends.service
    # Two replicas that share one Redis: a request accepted by one is a replay to the other.
    first = build_internal_app(service, secrets=internal_api.secrets, nonces=RedisNonceStore(redis_client))
    second = build_internal_app(service, secrets=internal_api.secrets, nonces=RedisNonceStore(redis_client))
    try:
        async with serve_app(first) as first_port, serve_app(second) as second_port:
            client = InternalClient(f"http://127.0.0.1:{first_port}", CURRENT_KEY)
            url, headers = client.signed_request("PATCH", PATH, body=BODY)
            first_status, _ = await internal_api.send("PATCH", url, headers, BODY)

            # The Host header is signed, so the replay keeps the first replica's Host.
            replay_url = url.replace(str(first_port), str(second_port))
            replay_status, _ = await internal_api.send("PATCH", replay_url, headers, BODY)

        ttl = await redis_client.ttl(f"cast:nonce:{CURRENT_KEY.key_id}:{headers['X-Cast-Nonce']}")
    finally:
        await redis_client.aclose()

    assert first_status == 200
    assert replay_status == 401
    assert second.state.verifier.rejections["replayed-nonce"] == 1
    assert 590 <= ttl <= 600
