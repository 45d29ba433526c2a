"""Small asyncio helpers shared by the gateway's caches and background jobs."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

__all__ = ["SingleFlight", "cancel_and_wait", "PeriodicJob"]

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """Collapses concurrent loads of one key into one: later callers await the first one's result.

    A failure reaches every waiter and is not remembered, so the next call tries again.
    """

    def __init__(self) -> None:
        self._pending: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        pending = self._pending.get(key)
        if pending is not None:
            # shield: one waiter's cancellation must not cancel the load the others await.
            return await asyncio.shield(pending)

        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await load()
            future.set_result(value)
            return value
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # marks it retrieved: the waiters re-raise it, asyncio must not log it
            raise
        finally:
            del self._pending[key]


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel a background task and wait until it has finished."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


class PeriodicJob:
    """Runs `run_once` every `interval_s` seconds in one named task; a failed run is logged and retried."""

    def __init__(self, name: str, interval_s: float, run_once: Callable[[], Awaitable[object]], *,
                 run_at_start: bool = True) -> None:
        self.name = name
        self._interval_s = interval_s
        self._run_once = run_once
        self._run_at_start = run_at_start
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        if not self._run_at_start:
            await asyncio.sleep(self._interval_s)
        while True:
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s failed; retrying in %.0f s", self.name, self._interval_s)
            await asyncio.sleep(self._interval_s)
