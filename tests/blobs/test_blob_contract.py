"""The blob store contract, run against the local folder and S3 (see conftest)."""

from __future__ import annotations

import hashlib

import pytest

from cast_gateway.blobs import BlobNotFoundError, BlobStore

pytestmark = pytest.mark.anyio

SPEC = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"


async def test_put_returns_content_key(blobs: BlobStore) -> None:
    key = await blobs.put_spec("alpha", SPEC, "yaml")

    assert key == f"workspaces/alpha/specs/{hashlib.sha256(SPEC).hexdigest()}.yaml"


async def test_get_returns_stored_bytes(blobs: BlobStore) -> None:
    key = await blobs.put_spec("alpha", SPEC, "yaml")

    assert await blobs.get_spec("alpha", key) == SPEC


async def test_put_same_content_idempotent(blobs: BlobStore) -> None:
    first = await blobs.put_spec("alpha", SPEC, "yaml")
    second = await blobs.put_spec("alpha", SPEC, "yaml")

    assert first == second
    assert await blobs.get_spec("alpha", second) == SPEC


async def test_other_workspace_key_rejected(blobs: BlobStore) -> None:
    key = await blobs.put_spec("alpha", SPEC, "yaml")

    with pytest.raises(ValueError, match="does not belong to workspace 'beta'"):
        await blobs.get_spec("beta", key)


@pytest.mark.parametrize("key", [
    "workspaces/alpha/specs/../../beta/specs/x.yaml",
    "workspaces/alpha/specs/sub/x.yaml",
    "workspaces/alpha/specs/",
    "workspaces/alpha/specs/.hidden",
    "workspaces/alphabet/specs/x.yaml",
    "/workspaces/alpha/specs/x.yaml",
])
async def test_key_outside_prefix_rejected(blobs: BlobStore, key: str) -> None:
    with pytest.raises(ValueError):
        await blobs.get_spec("alpha", key)


async def test_invalid_workspace_id_rejected(blobs: BlobStore) -> None:
    with pytest.raises(ValueError, match="workspace id"):
        await blobs.put_spec("../beta", SPEC, "yaml")


async def test_invalid_extension_rejected(blobs: BlobStore) -> None:
    with pytest.raises(ValueError, match="extension"):
        await blobs.put_spec("alpha", SPEC, "yaml/../x")


async def test_missing_key_not_found(blobs: BlobStore) -> None:
    with pytest.raises(BlobNotFoundError, match="not found"):
        await blobs.get_spec("alpha", f"workspaces/alpha/specs/{'0' * 64}.yaml")


async def test_delete_workspace_only_its_own(blobs: BlobStore) -> None:
    await blobs.put_spec("alpha", SPEC, "yaml")
    await blobs.put_spec("alpha", b'{"openapi": "3.1.0"}', "json")
    kept = await blobs.put_spec("alpha2", SPEC, "yaml")

    assert await blobs.delete_workspace("alpha") == 2

    assert await blobs.delete_workspace("alpha") == 0
    assert await blobs.get_spec("alpha2", kept) == SPEC
