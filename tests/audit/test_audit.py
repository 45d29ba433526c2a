"""The audit writer and the retention job, against a real SQLite store."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import pytest

from cast_gateway.audit import AuditWriter, delete_expired
from cast_gateway.config import AUDIT_RETENTION_DAYS
from cast_gateway.store import AuditEvent
from cast_gateway.store.sqlite import SqliteStore

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def event(tool: str = "getItem", at: datetime = NOW) -> AuditEvent:
    return AuditEvent(timestamp=at, workspace_id="alpha", tool=tool, status=200, latency_ms=1.5,
                      client_id="c" * 32, outcome="ok")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    sqlite = SqliteStore(tmp_path / "audit.db")
    await sqlite.open()
    await sqlite.migrate()
    yield sqlite
    await sqlite.close()


class FlakyStore:
    """Wraps a store and fails inserts while `down` is set, like a database outage."""

    def __init__(self, inner: SqliteStore) -> None:
        self.inner = inner
        self.down = False
        self.failed_attempts = 0

    async def insert_audit(self, events: Sequence[AuditEvent]) -> None:
        if self.down:
            self.failed_attempts += 1
            raise ConnectionError("database is down")
        await self.inner.insert_audit(events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_retention_default_is_90_days() -> None:
    assert AUDIT_RETENTION_DAYS == 90


async def test_retention_deletes_only_expired_rows(store: SqliteStore) -> None:
    await store.insert_audit([
        event("old", NOW - timedelta(days=91)),
        event("edge", NOW - timedelta(days=89, hours=23)),
        event("new", NOW - timedelta(days=1)),
    ])

    deleted = await delete_expired(store, now=NOW)

    assert deleted == 1
    assert sorted(e.tool for e in await store.list_audit("alpha", 10)) == ["edge", "new"]


async def test_writer_batches_every_event(store: SqliteStore) -> None:
    writer = AuditWriter(store, queue_size=5000, batch_size=100, flush_interval_s=0.01)
    writer.start()
    for number in range(1000):
        writer.record(event(f"tool{number}"))
    await writer.stop()

    assert writer.written == 1000
    assert len(await store.list_audit("alpha", 2000)) == 1000


async def test_full_queue_drops_and_logs_once(store: SqliteStore, caplog: pytest.LogCaptureFixture) -> None:
    writer = AuditWriter(store, queue_size=10, batch_size=10, flush_interval_s=0.01)  # not started: nothing drains
    for number in range(25):
        writer.record(event(f"tool{number}"))

    assert writer.dropped == 15
    assert len([r for r in caplog.records if "audit queue full" in r.getMessage()]) == 1


async def test_events_wait_out_a_store_outage(store: SqliteStore, caplog: pytest.LogCaptureFixture,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.ERROR)
    monkeypatch.setattr("cast_gateway.audit.writer.RETRY_DELAY_S", 0.01)
    flaky = FlakyStore(store)
    writer = AuditWriter(flaky, queue_size=1000, batch_size=50, flush_interval_s=0.01)  # type: ignore[arg-type]
    flaky.down = True
    writer.start()
    for number in range(200):
        writer.record(event(f"tool{number}"))
    for _ in range(500):
        if flaky.failed_attempts >= 2:
            break
        await asyncio.sleep(0.01)
    flaky.down = False
    await writer.stop()

    assert flaky.failed_attempts >= 2
    assert len(await store.list_audit("alpha", 1000)) == 200
