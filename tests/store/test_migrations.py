"""Schema migrations: applied once, in order, and never against a newer schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.backend_options import mysql_options

from cast_gateway.store import SchemaVersionError, StoreUnavailableError
from cast_gateway.store.mysql import MySqlStore
from cast_gateway.store.sql import load_migrations
from cast_gateway.store.sqlite import SqliteStore
from support.servers import MariaDb

pytestmark = pytest.mark.anyio


def test_dialects_have_same_versions() -> None:
    sqlite_versions = [version for version, _ in load_migrations("sqlite")]
    mysql_versions = [version for version, _ in load_migrations("mysql")]

    assert sqlite_versions == mysql_versions
    assert sqlite_versions == sorted(set(sqlite_versions))


async def test_mysql_migrate_applies_then_noop(mariadb: MariaDb) -> None:
    store = MySqlStore(mysql_options(mariadb.new_database()))
    await store.open()
    try:
        assert await store.migrate() == [version for version, _ in load_migrations("mysql")]
        assert await store.migrate() == []
        assert await store.schema_version() == max(version for version, _ in load_migrations("mysql"))
    finally:
        await store.close()


async def test_mysql_newer_schema_rejected(mariadb: MariaDb) -> None:
    database = mariadb.new_database()
    store = MySqlStore(mysql_options(database))
    await store.open()
    try:
        await store.migrate()
    finally:
        await store.close()
    mariadb.admin(f"INSERT INTO `{database.database}`.schema_version (version, applied_at) VALUES (9999, 0)")

    newer = MySqlStore(mysql_options(database))
    with pytest.raises(SchemaVersionError, match="9999 is newer"):
        await newer.open()
    assert mariadb.admin(f"SELECT MAX(version) FROM `{database.database}`.schema_version") == [(9999,)]


async def test_sqlite_newer_schema_rejected(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "cast.db")
    await store.open()
    await store.migrate()
    async with store.session() as session:
        await session.execute("INSERT INTO schema_version (version, applied_at) VALUES (9999, 0)")

    with pytest.raises(SchemaVersionError, match="upgrade the gateway"):
        await store.migrate()
    await store.close()


async def test_mysql_outage_then_recovery(mariadb_factory: object) -> None:
    server: MariaDb = mariadb_factory(tls=True)  # type: ignore[operator]
    store = MySqlStore(mysql_options(server))
    await store.open()
    try:
        await store.migrate()
        server.stop()

        with pytest.raises(StoreUnavailableError, match="MySQL server 127.0.0.1"):
            await store.get_workspace("alpha")

        server.start()
        assert await _first_success(store) is None
    finally:
        await store.close()


async def _first_success(store: MySqlStore) -> object:
    # The pool may still hold connections the restart broke; each failed call drops one.
    for _attempt in range(10):
        try:
            return await store.get_workspace("alpha")
        except StoreUnavailableError:
            continue
    raise AssertionError("the store did not recover within 10 calls after the server came back")
