"""The audit writer: tool calls put events on a bounded queue; one task writes them in batches."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from ..store import AuditEvent, Store
from ..tasks import cancel_and_wait

__all__ = ["AuditWriter", "DROP_LOG_INTERVAL_S", "RETRY_DELAY_S"]

logger = logging.getLogger(__name__)

DROP_LOG_INTERVAL_S = 60.0
RETRY_DELAY_S = 1.0
MAX_RETRY_DELAY_S = 30.0


class AuditWriter:
    """Accepts events without blocking and writes them through the store.

    A full queue drops the new event rather than slow the tool call; drops are counted
    and logged at most once a minute. A store outage keeps the unwritten batch and
    retries with backoff, so events wait (bounded by the queue) instead of vanishing.
    """

    def __init__(
        self,
        store: Store,
        *,
        queue_size: int,
        batch_size: int,
        flush_interval_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._queue: asyncio.Queue[AuditEvent] = asyncio.Queue(maxsize=queue_size)
        self._batch_size = batch_size
        self._flush_interval_s = flush_interval_s
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._pending: list[AuditEvent] = []
        self._last_drop_log = float("-inf")
        self.dropped = 0
        self.written = 0
        self.write_failures = 0

    def record(self, event: AuditEvent) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            now = self._clock()
            if now - self._last_drop_log >= DROP_LOG_INTERVAL_S:
                self._last_drop_log = now
                logger.error("audit queue full: %d events dropped so far (setting audit.queue_size)", self.dropped)

    @property
    def backlog(self) -> int:
        return self._queue.qsize() + len(self._pending)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def stop(self, timeout_s: float = 5.0) -> None:
        """Write what is queued (bounded by `timeout_s`), then end the writer task."""
        if self._task is None:
            return
        await cancel_and_wait(self._task)
        self._task = None
        try:
            await asyncio.wait_for(self._flush_all(), timeout_s)
        except (asyncio.TimeoutError, Exception):
            logger.exception("audit writer stopped with %d events unwritten", self.backlog)

    async def flush(self) -> None:
        """Return once every event recorded so far is written."""
        if self._task is not None and not self._task.done():
            # The writer task owns the pending batch while it runs: wait for it rather than
            # write the same events from a second task.
            await self._queue.join()
        else:
            await self._flush_all()

    async def _flush_all(self) -> None:
        while self._pending or not self._queue.empty():
            self._take_batch()
            await self._write_pending()

    def _take_batch(self) -> None:
        while len(self._pending) < self._batch_size:
            try:
                self._pending.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break

    async def _write_pending(self) -> None:
        if not self._pending:
            return
        await self._store.insert_audit(self._pending)
        self.written += len(self._pending)
        for _event in self._pending:
            self._queue.task_done()
        self._pending = []

    async def _run(self) -> None:
        delay = RETRY_DELAY_S
        while True:
            if not self._pending:
                first = await self._queue.get()
                self._pending.append(first)
                # Give a burst a moment to fill the batch: fewer, larger inserts.
                if self._queue.qsize() < self._batch_size:
                    await asyncio.sleep(min(self._flush_interval_s, 0.05))
            self._take_batch()
            try:
                await self._write_pending()
                delay = RETRY_DELAY_S
            except asyncio.CancelledError:
                raise
            except Exception:
                self.write_failures += 1
                logger.exception("audit batch of %d events not written; retrying in %.0f s", len(self._pending), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_DELAY_S)
