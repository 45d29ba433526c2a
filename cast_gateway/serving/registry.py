"""The live workspaces of this replica, built on first use and dropped when they change.

Workspaces are built lazily: a replica serves only the workspaces its clients use, and a
restart costs nothing until a request arrives. Concurrent first requests for one
workspace share one build.

A change of a live workspace (an invalidation from any replica) starts a rebuild at
once. Requests that arrive while it runs wait for it (bounded by REFRESH_WAIT_S), so
the first call after the invalidation uses the new secrets and tools, not the old
runtime. NOTE: Redis pub/sub does not acknowledge delivery, so a call that reaches
this replica before the invalidation message does is still served by the old runtime.
Rebuilds of one workspace run one after another, so a slow older rebuild can never
overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import logging
import anyio
import anyio.abc

from ..config import ServerSettings
from ..tasks import SingleFlight
from ..workspaces.service import WorkspaceNotFoundError, WorkspaceService
from .live import CallHandler, LiveWorkspace
from .metrics import Metrics
from .runtime import WorkspaceRuntime

__all__ = ["Registry"]

logger = logging.getLogger(__name__)

# How long a request waits for its workspace's rebuild before the last good runtime
# serves it. A rebuild reads the store, the cache and the blob store, whose own
# timeouts can be longer than this.
REFRESH_WAIT_S = 5.0


class Registry:
    def __init__(self, service: WorkspaceService, settings: ServerSettings, call: CallHandler, metrics: Metrics) -> None:
        self._service = service
        self._settings = settings
        self._call = call
        self._metrics = metrics
        self._live: dict[str, LiveWorkspace] = {}
        self._building: SingleFlight[str, LiveWorkspace] = SingleFlight()
        self._task_group: anyio.abc.TaskGroup | None = None
        # The latest rebuild of each changed workspace (each waits for the one before it),
        # and every rebuild still running, so that close() cancels them all.
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        self._refresh_tasks: set[asyncio.Task[None]] = set()
        metrics.gauge("live_workspaces", lambda: float(len(self._live)))

    def attach(self, task_group: anyio.abc.TaskGroup) -> None:
        """Use `task_group` (owned by the app lifespan) for every workspace's manager task."""
        self._task_group = task_group

    def live(self, workspace_id: str) -> LiveWorkspace | None:
        return self._live.get(workspace_id)

    @property
    def workspace_ids(self) -> list[str]:
        return sorted(self._live)

    def live_revisions(self) -> dict[str, int]:
        """Return the revision that each live workspace is serving."""
        return {workspace_id: live.runtime.revision for workspace_id, live in self._live.items()}

    async def get(self, workspace_id: str) -> LiveWorkspace:
        """Return the live workspace, built now if needed; raise WorkspaceNotFoundError when it does not exist."""
        refreshing = self._refreshing.get(workspace_id)
        if refreshing is not None:
            # asyncio.wait neither raises the rebuild's error nor cancels it on timeout.
            await asyncio.wait([refreshing], timeout=REFRESH_WAIT_S)
        live = self._live.get(workspace_id)
        if live is not None:
            return live
        return await self._building.run(workspace_id, lambda: self._build(workspace_id))

    async def _build(self, workspace_id: str) -> LiveWorkspace:
        return await self._start(await self._load(workspace_id))

    async def _load(self, workspace_id: str, current: WorkspaceRuntime | None = None) -> WorkspaceRuntime:
        """Build a runtime from the workspace's config; reuse `current`'s tools when its spec is unchanged."""
        config = await self._service.load_config(workspace_id)
        record = config.record
        if current is not None and record.spec is not None and record.spec == current.spec and record.settings == current.settings:
            # Blob keys are content hashes, so an equal spec reference means equal files, and
            # with equal settings they compile to the same tools. A secret or base URL change
            # then needs neither the blob store nor a compile, and works while S3 is down.
            return WorkspaceRuntime.build(config, current.compiled)
        compiled = await self._service.load_compiled(record)
        self._metrics.count("workspace_builds_total")
        return WorkspaceRuntime.build(config, compiled)

    async def _start(self, runtime: WorkspaceRuntime) -> LiveWorkspace:
        if self._task_group is None:
            raise RuntimeError("Registry is not attached to a task group; the app lifespan has not started")
        live = LiveWorkspace(runtime, self._settings, self._call)
        await self._task_group.start(live.run, name=f"mcp-manager-{runtime.workspace_id}")
        self._live[runtime.workspace_id] = live  # routable only once its manager runs
        logger.info("workspace %s is live with %d tools", runtime.workspace_id, len(runtime.tools))
        return live

    async def invalidate(self, workspace_id: str) -> None:
        """Called for every change of a workspace on any replica: refresh or remove it here."""
        if workspace_id not in self._live:
            return
        previous = self._refreshing.get(workspace_id)
        task = asyncio.create_task(self._refresh(workspace_id, previous), name=f"workspace-refresh-{workspace_id}")
        self._refreshing[workspace_id] = task
        self._refresh_tasks.add(task)
        task.add_done_callback(lambda done: self._refresh_done(workspace_id, done))

    def _refresh_done(self, workspace_id: str, task: asyncio.Task[None]) -> None:
        self._refresh_tasks.discard(task)
        if self._refreshing.get(workspace_id) is task:
            del self._refreshing[workspace_id]

    async def _refresh(self, workspace_id: str, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        live = self._live.get(workspace_id)
        if live is None:
            return
        try:
            runtime = await self._load(workspace_id, live.runtime)
        except WorkspaceNotFoundError:
            await self.remove(workspace_id)
            return
        except Exception:
            # Keep serving the last good runtime rather than failing every call.
            logger.exception("workspace %s changed but could not be rebuilt; still serving revision %d",
                             workspace_id, live.runtime.revision)
            return
        await live.swap(runtime)
        logger.info("workspace %s reloaded at revision %d", workspace_id, runtime.revision)

    async def remove(self, workspace_id: str) -> bool:
        """Unroutable first, then drain in-flight calls (bounded), then stop the manager."""
        live = self._live.pop(workspace_id, None)
        if live is None:
            return False
        await self._retire(live)
        logger.info("workspace %s removed from this replica", workspace_id)
        return True

    async def _retire(self, live: LiveWorkspace) -> None:
        with anyio.move_on_after(self._settings.drain_timeout_s):
            while live.inflight:
                await anyio.sleep(0.02)
        if live.inflight:
            logger.warning("workspace %s stopped with %d calls still in flight after %.0f s",
                           live.workspace_id, live.inflight, self._settings.drain_timeout_s)
        live.stopped.set()

    async def close(self) -> None:
        for task in list(self._refresh_tasks):
            task.cancel()
        for workspace_id in list(self._live):
            live = self._live.pop(workspace_id)
            live.stopped.set()

