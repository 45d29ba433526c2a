"""Fixtures for the multi-replica tests: a shared backing, two replicas on it, and provisioning.

Tests that stop a server build their own backing from private servers instead of the
shared one (the `backing` fixture of each outage test module).
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator

import botocore.session
import pytest

from cast_gateway.backends import Backends, open_backends
from cast_gateway.cache.redis import RedisCache

from replicas.cluster import Backing, Replica, backing_environ, migrate, new_vault_keys, settings_for, start_replicas
from support.servers import AWS_TEST_ENV, MariaDb, RedisServer
from support.upstream import RecordingUpstream


def create_bucket(endpoint: str) -> str:
    """A new empty bucket on the S3-compatible server at `endpoint`."""
    bucket = f"replicas-{uuid.uuid4().hex[:12]}"
    client = botocore.session.get_session().create_client(
        "s3", region_name=AWS_TEST_ENV["AWS_DEFAULT_REGION"], endpoint_url=endpoint,
        aws_access_key_id=AWS_TEST_ENV["AWS_ACCESS_KEY_ID"], aws_secret_access_key=AWS_TEST_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        client.create_bucket(Bucket=bucket)
    finally:
        client.close()
    return bucket


def new_backing(database: MariaDb, redis_url: str, s3_endpoint: str) -> Backing:
    """A backing on a fresh database, bucket and invalidation channel, so groups of replicas stay apart."""
    return Backing(
        database=database.new_database("rep"), redis_url=redis_url, s3_endpoint=s3_endpoint,
        bucket=create_bucket(s3_endpoint), channel=f"cast:test:{uuid.uuid4().hex[:8]}:invalidate",
        vault_keys=new_vault_keys(),
    )


@pytest.fixture(scope="session")
def shared_backing(mariadb: MariaDb, redis_server: RedisServer, moto_endpoint: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Backing:
    backing = new_backing(mariadb, redis_server.url, moto_endpoint)
    migrate(backing, tmp_path_factory.mktemp("replicas-migrate"))
    return backing


@pytest.fixture(scope="session")
def shared_replicas(shared_backing: Backing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Replica]]:
    with start_replicas(shared_backing, tmp_path_factory.mktemp("replicas")) as replicas:
        yield replicas


@contextlib.asynccontextmanager
async def provisioning(backing: Backing, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Backends]:
    """The backends of the test process, opened with the replicas' settings (its evictions reach them)."""
    for name, value in backing_environ(backing).items():
        monkeypatch.setenv(name, value)
    async with open_backends(settings_for(backing)) as backends:
        assert isinstance(backends.cache, RedisCache)
        await backends.cache.wait_subscribed()
        yield backends


@pytest.fixture
async def shared_backends(shared_backing: Backing, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Backends]:
    async with provisioning(shared_backing, monkeypatch) as backends:
        yield backends


# Per-test servers: a module that defines its own `backing` (a private server it stops)
# gets replicas and provisioning backends on that backing.
@pytest.fixture
def replicas(backing: Backing, tmp_path: Path) -> Iterator[list[Replica]]:
    with start_replicas(backing, tmp_path / "replicas") as replicas:
        yield replicas


@pytest.fixture
async def backends(backing: Backing, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Backends]:
    async with provisioning(backing, monkeypatch) as backends:
        yield backends


@pytest.fixture
async def upstream() -> AsyncIterator[RecordingUpstream]:
    async with RecordingUpstream() as server:
        yield server
