"""The `store` fixture: each contract test runs against SQLite and against MariaDB over TLS."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from cast_gateway.store import Store
from cast_gateway.store.mysql import MySqlOptions, MySqlStore
from cast_gateway.store.sqlite import SqliteStore
from support.servers import MariaDb


def mysql_options(server: MariaDb, **overrides: object) -> MySqlOptions:
    values: dict[str, object] = dict(
        host=server.host, port=server.port, user=server.user, password=server.password, database=server.database,
        pool_size=4, tls_required=server.tls, tls_ca=str(server.ca_path),
    )
    values.update(overrides)
    return MySqlOptions(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", "mariadb"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    backend: Store
    if request.param == "sqlite":
        backend = SqliteStore(tmp_path / "cast.db")
    else:
        server: MariaDb = request.getfixturevalue("mariadb")
        backend = MySqlStore(mysql_options(server.new_database("contract")))
    await backend.open()
    await backend.migrate()
    try:
        yield backend
    finally:
        await backend.close()
