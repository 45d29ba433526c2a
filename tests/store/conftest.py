"""The `store` fixture: each contract test runs against SQLite and against MariaDB over TLS."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from cast_gateway.store import Store
from cast_gateway.store.mysql import MySqlStore
from cast_gateway.store.sqlite import SqliteStore
from support.backend_options import mysql_options
from support.servers import MariaDb


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
