"""Fixtures for vault tests: a migrated SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator

import pytest

from cast_gateway.store.sqlite import SqliteStore


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "cast.db")
    await store.open()
    await store.migrate()
    try:
        yield store
    finally:
        await store.close()
