"""Deletes audit rows older than the retention period (90 days by default)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Callable

from ..config import AUDIT_RETENTION_DAYS
from ..store import Store
from ..store.records import utc_now
from ..tasks import cancel_and_wait

__all__ = ["delete_expired", "RetentionJob", "RETENTION_INTERVAL_S"]

logger = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 3600.0


async def delete_expired(store: Store, *, now: datetime, retention_days: int = AUDIT_RETENTION_DAYS) -> int:
    cutoff = now - timedelta(days=retention_days)
    deleted = await store.delete_audit_before(cutoff)
    if deleted:
        logger.info("audit retention: deleted %d events older than %s", deleted, cutoff.isoformat())
    return deleted


class RetentionJob:
    """Runs `delete_expired` every hour in a named task."""

    def __init__(self, store: Store, retention_days: int, *, clock: Callable[[], datetime] = utc_now,
                 interval_s: float = RETENTION_INTERVAL_S) -> None:
        self._store = store
        self._retention_days = retention_days
        self._clock = clock
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-retention")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await delete_expired(self._store, now=self._clock(), retention_days=self._retention_days)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("audit retention run failed; retrying in %.0f s", self._interval_s)
            await asyncio.sleep(self._interval_s)
