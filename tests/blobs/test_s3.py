"""S3 specifics: SSE-S3 on every stored object, and failures mapped to the blob store's errors."""

from __future__ import annotations

import pytest
from aiobotocore.session import get_session

from cast_gateway.blobs import BlobError, BlobUnavailableError
from cast_gateway.blobs.s3 import S3BlobStore, S3Options
from support.servers import free_port

pytestmark = pytest.mark.anyio


async def test_every_object_has_sse_s3(s3_store: S3BlobStore, moto_endpoint: str) -> None:
    for workspace_id in ("alpha", "beta"):
        for index in range(3):
            await s3_store.put_spec(workspace_id, f"spec {index}".encode(), "yaml")
    bucket = s3_store.options.bucket

    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=moto_endpoint) as client:
        listed = await client.list_objects_v2(Bucket=bucket)
        keys = [item["Key"] for item in listed.get("Contents", [])]
        headers = [(await client.head_object(Bucket=bucket, Key=key)).get("ServerSideEncryption") for key in keys]

    assert len(keys) == 6
    assert headers == ["AES256"] * 6


async def test_content_type_follows_extension(s3_store: S3BlobStore, moto_endpoint: str) -> None:
    key = await s3_store.put_spec("alpha", b"{}", "json")

    async with get_session().create_client("s3", region_name="us-east-1", endpoint_url=moto_endpoint) as client:
        head = await client.head_object(Bucket=s3_store.options.bucket, Key=key)

    assert head["ContentType"] == "application/json"


async def test_missing_bucket_is_error(moto_endpoint: str) -> None:
    store = S3BlobStore(S3Options(bucket="no-such-bucket-here", endpoint_url=moto_endpoint))
    await store.open()
    try:
        with pytest.raises(BlobError, match="NoSuchBucket"):
            await store.put_spec("alpha", b"{}", "json")
    finally:
        await store.close()


async def test_unreachable_s3_is_unavailable() -> None:
    store = S3BlobStore(S3Options(bucket="specs", endpoint_url=f"http://127.0.0.1:{free_port()}"))
    await store.open()
    try:
        with pytest.raises(BlobUnavailableError, match="cannot be reached"):
            await store.get_spec("alpha", f"workspaces/alpha/specs/{'0' * 64}.json")
    finally:
        await store.close()


def test_empty_bucket_rejected() -> None:
    with pytest.raises(ValueError, match="blobs.bucket"):
        S3Options(bucket="")
