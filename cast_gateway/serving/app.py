"""The public ASGI app: `/w/{workspace}/mcp`, health, readiness and metrics.

The lifespan opens every backend, the upstream client and the audit writer, and owns
the task group in which each workspace's session manager runs.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, AsyncIterator

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..audit import AuditWriter, retention_job
from ..backends import Backends, open_backends
from ..config import Settings
from ..store import StoreError
from ..tasks import PeriodicJob
from ..upstream import EgressPolicy, UpstreamClient
from ..workspaces.service import WorkspaceNotFoundError
from .auth import TokenAuthenticator
from .calls import ToolCaller
from .live import CLIENT_ID_KEY
from .metrics import Metrics
from .registry import Registry
from .usage import USAGE_FLUSH_INTERVAL_S
from .watcher import ChangeWatcher

__all__ = ["create_app", "Gateway"]

logger = logging.getLogger(__name__)

PURGE_INTERVAL_S = 3600.0

UNAUTHORIZED_BODY = {"error": "unauthorized", "message": "missing or invalid client token; send 'Authorization: Bearer <token>'"}


@dataclass
class Gateway:
    """Everything the running app holds; tests reach it as `app.state.gateway`."""

    settings: Settings
    backends: Backends
    client: UpstreamClient
    audit: AuditWriter
    registry: Registry
    auth: TokenAuthenticator
    metrics: Metrics
    caller: ToolCaller


def jsonrpc_error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}, status_code=status)


class MCPEndpoint:
    """Raw ASGI (a class instance, so Starlette passes every HTTP method through)."""

    def __init__(self, app: Starlette) -> None:
        self._app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        gateway: Gateway = self._app.state.gateway
        workspace_id = scope["path_params"]["workspace"]
        try:
            principal = await gateway.auth.authenticate(Headers(scope=scope).get("authorization"), workspace_id)
        except StoreError:
            logger.warning("client token of a request to %s could not be checked: store unavailable", workspace_id)
            gateway.metrics.count("store_unavailable_total")
            unavailable = jsonrpc_error(503, -32603, "The gateway cannot check client tokens right now; retry shortly.")
            return await unavailable(scope, receive, send)
        if principal is None:
            gateway.metrics.count("unauthorized_total")
            unauthorized = JSONResponse(
                UNAUTHORIZED_BODY, status_code=401, headers={"WWW-Authenticate": 'Bearer realm="cast-gateway"'}
            )
            return await unauthorized(scope, receive, send)

        try:
            live = await gateway.registry.get(workspace_id)
        except WorkspaceNotFoundError:
            return await jsonrpc_error(404, -32600, "Unknown workspace")(scope, receive, send)
        except Exception:
            logger.exception("workspace %s could not be loaded", workspace_id)
            gateway.metrics.count("workspace_load_failures_total")
            failed = jsonrpc_error(503, -32603, "The workspace cannot be loaded right now; retry shortly.")
            return await failed(scope, receive, send)

        scope[CLIENT_ID_KEY] = principal.client_id
        # With scope["user"] set, the SDK binds each session to this principal: another
        # token cannot take over a session id it learnt.
        scope["user"] = AuthenticatedUser(AccessToken(token=principal.token_id, client_id=principal.token_id, scopes=[]))
        await live.handle(scope, receive, send)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


async def readyz(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    try:
        await gateway.backends.store.get_counter("readiness-probe")
    except Exception:
        logger.warning("readiness check: store unreachable")
        return PlainTextResponse("store unreachable\n", status_code=503)
    return PlainTextResponse("ready\n")


async def metrics(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    return PlainTextResponse(gateway.metrics.render(), media_type="text/plain; version=0.0.4")


def create_app(settings: Settings, *, upstream_resolver: Any = None) -> Starlette:
    """Build the public app. `upstream_resolver` replaces DNS for tests of the egress policy."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        metrics_ = Metrics()
        async with contextlib.AsyncExitStack() as stack:
            backends = await stack.enter_async_context(open_backends(settings, migrate=settings.store.backend == "sqlite"))
            upstream = settings.upstream
            policy = EgressPolicy(upstream.allow_private_networks, upstream.allow_http, upstream.allowed_ports)
            if upstream.allow_private_networks:
                logger.warning("upstream.allow_private_networks is on: tool calls may reach private and loopback addresses")
            client = UpstreamClient(
                policy, connect_timeout_s=upstream.connect_timeout_s, total_timeout_s=upstream.total_timeout_s,
                max_response_bytes=upstream.max_response_bytes, pool_size=upstream.pool_size, resolver=upstream_resolver,
            )
            await client.open()
            stack.push_async_callback(client.close)

            audit = AuditWriter(backends.store, queue_size=settings.audit.queue_size, batch_size=settings.audit.batch_size,
                                flush_interval_s=settings.audit.flush_interval_s)
            audit.start()
            stack.push_async_callback(audit.stop)
            metrics_.gauge("audit_backlog", lambda: float(audit.backlog))
            metrics_.gauge("audit_dropped", lambda: float(audit.dropped))
            caller = ToolCaller(backends.service, client, audit, metrics_)
            jobs = [
                retention_job(backends.store, settings.audit.retention_days),
                # Soft-deleted workspaces are purged after WORKSPACE_PURGE_DAYS.
                PeriodicJob("workspace-purge", PURGE_INTERVAL_S, backends.service.purge_deleted),
                PeriodicJob("secret-usage", USAGE_FLUSH_INTERVAL_S, caller.usage.flush, run_at_start=False),
            ]
            for job in jobs:
                job.start()
                stack.push_async_callback(job.stop)
            stack.push_async_callback(caller.usage.flush)  # runs before the jobs stop: last uses are kept
            registry = Registry(backends.service, settings.server, caller.call, metrics_)
            auth = TokenAuthenticator(backends.service, backends.vault)
            backends.cache.on_invalidate(auth.forget_workspace)
            backends.cache.on_invalidate(registry.invalidate)
            app.state.gateway = Gateway(
                settings=settings, backends=backends, client=client, audit=audit, registry=registry,
                auth=auth, metrics=metrics_, caller=caller,
            )
            watcher = ChangeWatcher(backends.store, backends.cache, registry, settings.server.change_poll_s)
            watcher.start()
            stack.push_async_callback(watcher.stop)
            async with anyio.create_task_group() as task_group:
                registry.attach(task_group)
                logger.info("gateway ready")
                try:
                    yield
                finally:
                    await registry.close()
                    task_group.cancel_scope.cancel()

    app = Starlette(
        lifespan=lifespan,
        routes=[Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics)],
    )
    app.router.routes.append(Route("/w/{workspace}/mcp", MCPEndpoint(app)))
    return app
