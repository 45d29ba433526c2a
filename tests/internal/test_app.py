"""The internal API end to end: the client signs, hypercorn serves, the service stores."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from support.internal_api import CURRENT_KEY, SPEC_V1, InternalApi, bundle, serve_app, spec_text

from cast_gateway.internal.app import build_internal_app
from cast_gateway.internal.client import InternalClient
from cast_gateway.internal.errors import RemoteNotFoundError, RemoteRequestError
from cast_gateway.internal.nonces import MemoryNonceStore
from cast_gateway.workspaces.service import WorkspaceService


@pytest.mark.anyio
async def test_create_and_read_workspace(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        created = await client.create_workspace("shop", bundle(), base_url="https://api.example.com")
        read = await client.get_workspace("shop")

    assert created["id"] == "shop"
    assert [tool["name"] for tool in created["tools"]] == ["listOrders", "getOrder"]
    assert read["base_url"] == "https://api.example.com"
    assert read["spec"]["files"] == ["api.yaml"]
    assert read["secrets"] == []
    assert internal_api.changes == ["shop"]


SECRET_VALUE = "CANARY-secret-value-7f3a9c"


@pytest.mark.anyio
async def test_read_unknown_workspace_is_404(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        with pytest.raises(RemoteNotFoundError) as caught:
            await client.get_workspace("missing")
    assert caught.value.status == 404
    assert caught.value.code == "not_found"


@pytest.mark.anyio
async def test_create_existing_workspace_is_409(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        with pytest.raises(RemoteRequestError) as caught:
            await client.create_workspace("shop", bundle())
    assert caught.value.status == 409
    assert caught.value.code == "conflict"


@pytest.mark.anyio
async def test_body_over_limit_is_413(internal_api: InternalApi, max_body_bytes: int) -> None:
    big = bundle("x" * (max_body_bytes + 1))
    async with internal_api.client() as client:
        with pytest.raises(RemoteRequestError) as caught:
            await client.create_workspace("shop", big)
    assert caught.value.status == 413
    assert caught.value.code == "payload_too_large"
    assert await internal_api.backends.store.get_workspace("shop") is None


@pytest.mark.anyio
async def test_invalid_json_is_400(internal_api: InternalApi) -> None:
    body = b'{"id": "shop", '
    url, headers = internal_api.client().signed_request("POST", "/internal/v1/workspaces", body=body)
    status, data = await internal_api.send("POST", url, headers, body)
    assert status == 400
    assert data["error"]["code"] == "invalid_request"
    assert "not valid JSON" in data["error"]["message"]


@pytest.mark.anyio
async def test_missing_field_is_400(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        with pytest.raises(RemoteRequestError) as caught:
            await client.request("POST", "/internal/v1/workspaces", {"spec": {"main": "a.yaml", "files": {"a.yaml": "x"}}})
    assert caught.value.status == 400
    assert "'id'" in caught.value.message


@pytest.mark.anyio
async def test_unknown_route_is_404_when_signed(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        with pytest.raises(RemoteNotFoundError):
            await client.request("GET", "/internal/v1/nowhere")


@pytest.mark.anyio
async def test_bad_spec_is_422_and_stores_nothing(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        before = await client.get_workspace("shop")
        with pytest.raises(RemoteRequestError) as caught:
            await client.upload_spec("shop", bundle("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths: 3\n"))
        after = await client.get_workspace("shop")

    assert caught.value.status == 422
    assert caught.value.code == "invalid_spec"
    assert "/paths" in caught.value.message
    assert after["revision"] == before["revision"]
    assert after["spec"] == before["spec"]
    assert internal_api.changes == ["shop"]


@pytest.mark.anyio
async def test_spec_upload_lists_tool_changes(internal_api: InternalApi) -> None:
    changed_v1 = SPEC_V1.replace("summary: List orders", "summary: List all orders")
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle(spec_text("keep", "drop")))
        change = await client.upload_spec("shop", bundle(spec_text("keep", "fresh")))
        await client.upload_spec("shop", bundle(SPEC_V1))
        edited = await client.upload_spec("shop", bundle(changed_v1))

    assert change["added"] == ["fresh"]
    assert change["removed"] == ["drop"]
    assert change["changed"] == []
    assert [tool["name"] for tool in change["tools"]] == ["keep", "fresh"]
    assert edited["changed"] == ["listOrders"]


@pytest.mark.anyio
async def test_spec_upload_accepts_base64_files(internal_api: InternalApi) -> None:
    import base64

    payload = {"main": "api.yaml", "files": {"api.yaml": {"base64": base64.b64encode(spec_text("b64").encode()).decode()}}}
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        change = await client.request("PUT", "/internal/v1/workspaces/shop/spec", payload)
    assert change["added"] == ["b64"]


@pytest.mark.anyio
@pytest.mark.parametrize("name", ["../etc/passwd", "/abs.yaml", "a//b.yaml", ""])
async def test_spec_file_name_is_checked(internal_api: InternalApi, name: str) -> None:
    payload = {"main": name or "x", "files": {name: "openapi: 3.0.3"}}
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        with pytest.raises(RemoteRequestError) as caught:
            await client.request("PUT", "/internal/v1/workspaces/shop/spec", payload)
    assert caught.value.status == 400


@pytest.mark.anyio
async def test_secret_is_write_only(internal_api: InternalApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        answers = [await client.set_secret("shop", "api_key", SECRET_VALUE)]
        answers.append(await client.get_workspace("shop"))
        answers.append(await client.set_secret("shop", "api_key", SECRET_VALUE + "-2"))
        with pytest.raises(RemoteRequestError) as caught:
            await client.set_secret("shop", "api_key", "")
        answers.append(await client.delete_secret("shop", "api_key"))
        with pytest.raises(RemoteNotFoundError):
            await client.delete_secret("shop", "api_key")

    assert answers[0]["name"] == "api_key"
    assert [secret["name"] for secret in answers[1]["secrets"]] == ["api_key"]
    assert caught.value.status == 400
    for answer in answers:
        assert SECRET_VALUE not in orjson.dumps(answer).decode()
    for record in caplog.records:
        assert SECRET_VALUE not in record.getMessage()
        assert SECRET_VALUE not in (record.exc_text or "")


@pytest.mark.anyio
async def test_secret_name_with_slash(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        await client.set_secret("shop", "oauth/client secret", SECRET_VALUE)
        read = await client.get_workspace("shop")
    assert [secret["name"] for secret in read["secrets"]] == ["oauth/client secret"]


@pytest.mark.anyio
async def test_token_is_shown_once(internal_api: InternalApi) -> None:
    service = internal_api.backends.service
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        created = await client.create_token("shop", "laptop")
        read = await client.get_workspace("shop")
        assert await service.find_token(created["token"]) is not None
        revoked = await client.revoke_token("shop", created["id"])
        with pytest.raises(RemoteNotFoundError):
            await client.revoke_token("shop", created["id"])
        after = await client.get_workspace("shop")

    assert created["token"].startswith("cgw_")
    assert created["label"] == "laptop"
    assert read["tokens"] == [{"id": created["id"], "label": "laptop", "created_at": created["created_at"], "revoked_at": None}]
    assert created["token"] not in orjson.dumps(read).decode()
    assert revoked == {"id": created["id"], "revoked": True}
    assert after["tokens"] == []


@pytest.mark.anyio
async def test_tool_settings_change_served_tools(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        await client.set_tool_settings("shop", "getOrder", {"enabled": False})
        result = await client.set_tool_settings(
            "shop", "listOrders", {"name": "find_orders", "description": "Orders in the EU", "fixed": {"region": "eu"}}
        )
        read = await client.get_workspace("shop")
        cleared = await client.clear_tool_settings("shop", "getOrder")

    assert [tool["name"] for tool in result["tools"]] == ["find_orders"]
    tool = read["tools"][0]
    assert tool["name"] == "find_orders"
    assert tool["description"] == "Orders in the EU"
    assert "region" not in tool["input_schema"]["properties"]
    assert tool["fixed_arguments"] == ["region"]
    assert read["settings"]["tools"]["listOrders"]["fixed"] == {"region": "eu"}
    assert [tool["name"] for tool in cleared["tools"]] == ["find_orders", "getOrder"]


@pytest.mark.anyio
async def test_tool_settings_reach_served_config(internal_api: InternalApi) -> None:
    service = internal_api.backends.service
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        await client.set_tool_settings("shop", "listOrders", {"fixed": {"region": "us"}})

    config = await service.load_config("shop")
    compiled = await service.load_compiled(config.record)
    assert compiled.tool("listOrders").fixed_arguments == {"region": "us"}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "tool,settings,code",
    [
        ("nope", {"enabled": False}, "invalid_tool_settings"),
        ("listOrders", {"fixed": {"region": "mars"}}, "invalid_tool_settings"),
        ("listOrders", {"name": "getOrder"}, "invalid_tool_settings"),
        ("listOrders", {"colour": "red"}, "invalid_tool_settings"),
    ],
)
async def test_invalid_tool_settings_are_422(internal_api: InternalApi, tool: str, settings: dict, code: str) -> None:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        with pytest.raises(RemoteRequestError) as caught:
            await client.set_tool_settings("shop", tool, settings)
        read = await client.get_workspace("shop")
    assert caught.value.status == 422
    assert caught.value.code == code
    assert read["revision"] == 1
    assert "mars" not in caught.value.message


@pytest.mark.anyio
async def test_update_merges_settings(internal_api: InternalApi) -> None:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle(), settings={"a": 1, "b": 2})
        updated = await client.update_workspace("shop", base_url="https://eu.example.com", settings={"b": None, "c": 3})
        with pytest.raises(RemoteRequestError) as caught:
            await client.update_workspace("shop", settings={"c": 4}, expected_revision=1)

    assert updated["settings"] == {"a": 1, "c": 3}
    assert updated["base_url"] == "https://eu.example.com"
    assert updated["revision"] == 2
    assert caught.value.status == 409


@pytest.mark.anyio
async def test_delete_is_soft_and_purged_later(internal_api: InternalApi) -> None:
    store = internal_api.backends.store
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        deleted = await client.delete_workspace("shop")
        with pytest.raises(RemoteNotFoundError):
            await client.get_workspace("shop")
        with pytest.raises(RemoteNotFoundError):
            await client.delete_workspace("shop")
        purge = await client.purge_deleted()

    assert deleted == {"id": "shop", "deleted": True, "purge_after_days": 30}
    assert purge["purged"] == []
    assert (await store.get_workspace("shop", include_deleted=True)).deleted_at is not None


@pytest.mark.anyio
async def test_reload_evicts_and_rebuilds(internal_api: InternalApi) -> None:
    service = internal_api.backends.service
    evicted: list[str] = []

    async def on_evict(workspace_id: str) -> None:
        evicted.append(workspace_id)

    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        await service.load_config("shop")
        service.cache.on_invalidate(on_evict)
        reloaded = await client.reload_workspace("shop")

    assert evicted == ["shop"]
    assert reloaded["revision"] == 1
    assert [tool["name"] for tool in reloaded["tools"]] == ["listOrders", "getOrder"]
    assert await service.cache.get("shop") is not None
    assert internal_api.changes == ["shop", "shop"]


@pytest.mark.anyio
async def test_concurrent_uploads_end_consistent(internal_api: InternalApi) -> None:
    service = internal_api.backends.service
    specs = {index: spec_text(f"op{index}_a", f"op{index}_b") for index in range(50)}
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
        results = await asyncio.gather(
            *(client.upload_spec("shop", bundle(text)) for text in specs.values()), return_exceptions=True
        )
        read = await client.get_workspace("shop")

    succeeded = [result for result in results if isinstance(result, dict)]
    failures = [result for result in results if not isinstance(result, dict)]
    assert all(isinstance(failure, RemoteRequestError) and failure.status == 409 for failure in failures)
    assert len(succeeded) == 50

    # The stored spec row, its blobs and the served tool list all name one upload.
    record = await service.get_workspace("shop")
    stored = await service.load_bundle(record)
    served_names = [tool["name"] for tool in read["tools"]]
    matches = [index for index, text in specs.items() if stored.files["api.yaml"] == text.encode()]
    assert len(matches) == 1
    assert served_names == [f"op{matches[0]}_a", f"op{matches[0]}_b"]
    assert [tool.name for tool in (await service.load_compiled(record)).tools] == served_names
    assert record.revision == 1 + len(succeeded)


@pytest.mark.anyio
async def test_uploads_through_two_replicas_end_consistent(internal_api: InternalApi) -> None:
    backends = internal_api.backends
    # A second service over the same store, blobs and cache: what another replica runs.
    replica = WorkspaceService(backends.store, backends.blobs, backends.cache, backends.vault)
    replica_app = build_internal_app(replica, secrets=internal_api.secrets, nonces=MemoryNonceStore())
    specs = {index: spec_text(f"r{index}_a", f"r{index}_b") for index in range(50)}

    async with serve_app(replica_app) as port, internal_api.client() as first, InternalClient(
        f"http://127.0.0.1:{port}", CURRENT_KEY
    ) as second:
        await first.create_workspace("shop", bundle())
        clients = [first, second]
        results = await asyncio.gather(
            *(clients[index % 2].upload_spec("shop", bundle(text)) for index, text in specs.items()), return_exceptions=True
        )
        read = await first.get_workspace("shop")

    succeeded = [result for result in results if isinstance(result, dict)]
    failures = [result for result in results if not isinstance(result, dict)]
    assert all(isinstance(failure, RemoteRequestError) and failure.status == 409 for failure in failures)
    assert succeeded

    record = await backends.service.get_workspace("shop")
    stored = await backends.service.load_bundle(record)
    matches = [index for index, text in specs.items() if stored.files["api.yaml"] == text.encode()]
    assert len(matches) == 1
    assert [tool["name"] for tool in read["tools"]] == [f"r{matches[0]}_a", f"r{matches[0]}_b"]
    assert record.revision == 1 + len(succeeded)
