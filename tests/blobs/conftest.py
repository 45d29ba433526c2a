"""The `blobs` fixture: each contract test runs against the local folder and against S3 (moto server)."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import AsyncIterator

import pytest
from cast_gateway.blobs import BlobStore
from cast_gateway.blobs.local import LocalBlobStore
from cast_gateway.blobs.s3 import S3BlobStore, S3Options


@contextlib.asynccontextmanager
async def open_s3_store(endpoint: str) -> AsyncIterator[S3BlobStore]:
    """Open an S3BlobStore on a new bucket of its own."""
    store = S3BlobStore(S3Options(bucket=f"specs-{uuid.uuid4().hex[:12]}", endpoint_url=endpoint))
    await store.open()
    try:
        await store._require().create_bucket(Bucket=store.options.bucket)
        yield store
    finally:
        await store.close()


@pytest.fixture
async def s3_store(moto_endpoint: str) -> AsyncIterator[S3BlobStore]:
    async with open_s3_store(moto_endpoint) as store:
        yield store


@pytest.fixture(params=["local", "s3"])
async def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    if request.param == "s3":
        async with open_s3_store(request.getfixturevalue("moto_endpoint")) as store:
            yield store
        return
    local = LocalBlobStore(tmp_path / "specs")
    await local.open()
    try:
        yield local
    finally:
        await local.close()
