"""Notices workspace changes that no cache eviction announced, by polling revisions.

With the in-process cache, a change made by another process (the command line beside
a running `make run`) reaches this gateway only through the store. With Redis, a change
published while this replica was disconnected is lost. Every change raises the
workspace's revision, so comparing the revisions of live workspaces catches both.
"""

from __future__ import annotations

import asyncio
import logging

from ..cache import ConfigCache
from ..store import Store
from ..tasks import cancel_and_wait
from .registry import Registry

__all__ = ["ChangeWatcher"]

logger = logging.getLogger(__name__)


class ChangeWatcher:
    def __init__(self, store: Store, cache: ConfigCache, registry: Registry, interval_s: float) -> None:
        self._store = store
        self._cache = cache
        self._registry = registry
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval_s > 0:
            self._task = asyncio.create_task(self._run(), name="workspace-change-watcher")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def check_once(self) -> list[str]:
        """Evict every live workspace whose stored revision moved or that is gone; return their ids."""
        live = self._registry.live_revisions()
        if not live:
            return []
        stored = await self._store.workspace_revisions(sorted(live))
        changed = [workspace_id for workspace_id, revision in live.items() if stored.get(workspace_id) != revision]
        for workspace_id in changed:
            await self._cache.evict(workspace_id)
        return changed

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                changed = await self.check_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("workspace change check failed; retrying in %.0f s", self._interval_s, exc_info=True)
                continue
            if changed:
                logger.info("workspaces changed elsewhere: %s", ", ".join(changed))
