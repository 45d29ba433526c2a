"""Deletes audit rows older than the retention period (90 days by default)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

from ..config import AUDIT_RETENTION_DAYS
from ..store import Store
from ..store.records import utc_now
from ..tasks import PeriodicJob

__all__ = ["delete_expired", "retention_job", "RETENTION_INTERVAL_S"]

logger = logging.getLogger(__name__)

RETENTION_INTERVAL_S = 3600.0


async def delete_expired(store: Store, *, now: datetime, retention_days: int = AUDIT_RETENTION_DAYS) -> int:
    cutoff = now - timedelta(days=retention_days)
    deleted = await store.delete_audit_before(cutoff)
    if deleted:
        logger.info("audit retention: deleted %d events older than %s", deleted, cutoff.isoformat())
    return deleted


def retention_job(store: Store, retention_days: int, *, clock: Callable[[], datetime] = utc_now,
                  interval_s: float = RETENTION_INTERVAL_S) -> PeriodicJob:
    """Runs `delete_expired` every hour in a named task."""
    return PeriodicJob(
        "audit-retention", interval_s, lambda: delete_expired(store, now=clock(), retention_days=retention_days)
    )
