"""The embedded store: one SQLite file through aiosqlite."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import aiosqlite

from .sql import Row, Session, SqlStore

__all__ = ["SqliteStore"]


class _SqliteSession(Session):
    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._connection.execute(sql, list(params))
        count = cursor.rowcount
        await cursor.close()
        return count

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._connection.execute(sql, list(params)) as cursor:
            return list(await cursor.fetchall())


class SqliteStore(SqlStore):
    """A single connection in autocommit mode; a lock serializes transactions on it.

    SQLite allows one writer at a time anyway, so one connection costs no throughput and
    keeps transactions from interleaving on a shared connection.
    """

    dialect = "sqlite"

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._connection: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        if self._path != ":memory:":
            path = Path(self._path)
            path.parent.mkdir(parents=True, exist_ok=True)
            # The file holds secret ciphertexts and token hashes: readable by its owner only.
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        self._connection = await aiosqlite.connect(self._path, isolation_level=None)
        await self._connection.execute("PRAGMA journal_mode=WAL")
        await self._connection.execute("PRAGMA busy_timeout=5000")
        await self.check_schema()

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    def _require(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise RuntimeError("SqliteStore is not open; call open() first")
        return self._connection

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        async with self._lock:
            yield _SqliteSession(self._require())

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Session]:
        connection = self._require()
        async with self._lock:
            await connection.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteSession(connection)
            except BaseException:
                await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")

    def is_integrity_error(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError)
