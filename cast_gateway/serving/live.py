"""One workspace's MCP server: a low-level SDK `Server` and its session manager.

The runtime (tools, secrets, base URL) is swapped in place on reload, so connected
sessions survive a spec change and receive `tools/list_changed`.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import NotificationOptions, Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError

from ..config import ServerSettings
from .runtime import WorkspaceRuntime

__all__ = ["LiveWorkspace", "CallHandler", "CLIENT_ID_KEY"]

logger = logging.getLogger(__name__)

CallHandler = Callable[[WorkspaceRuntime, str, "dict[str, Any] | None", str], Awaitable["types.CallToolResult | types.ErrorData"]]

# The ASGI scope key under which the endpoint leaves the caller's audit pseudonym.
CLIENT_ID_KEY = "cast.client_id"


class _GatewayServer(Server[Any]):
    """Advertises `tools.listChanged` to handshake-era clients, which the manager does not request by itself."""

    def create_initialization_options(self, notification_options=None, experimental_capabilities=None, extensions=None):  # type: ignore[no-untyped-def]
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True), experimental_capabilities, extensions
        )


class LiveWorkspace:
    def __init__(self, runtime: WorkspaceRuntime, settings: ServerSettings, call: CallHandler) -> None:
        self.runtime = runtime
        self.workspace_id = runtime.workspace_id
        self.inflight = 0
        self.stopped = anyio.Event()
        self._call = call
        self._bus = InMemorySubscriptionBus()
        # Handshake-era sessions by session id, to send list_changed on reload. The SDK builds
        # a session object per request; any one of them reaches the connection's standalone
        # stream, so the latest per id is kept.
        self._sessions: dict[str, Any] = {}

        self.server = _GatewayServer(
            f"cast-{runtime.workspace_id}",
            version="0.1.0",
            instructions=f"Tools of the API described by {runtime.compiled.title!r} (workspace {runtime.workspace_id}).",
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
            on_subscriptions_listen=ListenHandler(self._bus),
            get_tool_input_schema=lambda name: self.runtime.input_schema(name),
        )
        self.server.middleware.append(self._remember_session)
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=list(settings.allowed_hosts),
            allowed_origins=list(settings.allowed_origins),
        )
        self.manager = StreamableHTTPSessionManager(
            self.server,
            json_response=settings.json_response,
            stateless=settings.stateless,
            security_settings=security,
            session_idle_timeout=settings.session_idle_timeout_s,
            max_request_body_size=settings.max_request_body_bytes,
        )

    async def _remember_session(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        # The request header names the session; the initialize request has none yet, and
        # every later request of the session carries it.
        session_id = ctx.request.headers.get("mcp-session-id") if ctx.request is not None else None
        if session_id is not None and ctx.session is not None:
            self._sessions[session_id] = ctx.session
        return await call_next(ctx)

    def _open_sessions(self) -> list[Any]:
        # NOTE: the manager's session table is private (`_server_instances`, SDK 2.3.0); it is
        # read only to forget ended sessions, and a missing table keeps every remembered one.
        table = getattr(self.manager, "_server_instances", None)
        if table is not None:
            for ended in [session_id for session_id in self._sessions if session_id not in table]:
                del self._sessions[ended]
        return list(self._sessions.values())

    async def _list_tools(self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=list(self.runtime.mcp_tools))

    async def _call_tool(self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        client_id = ""
        if ctx.request is not None:
            client_id = ctx.request.scope.get(CLIENT_ID_KEY, "")
        result = await self._call(self.runtime, params.name, params.arguments, client_id)
        if isinstance(result, types.ErrorData):
            raise MCPError(code=result.code, message=result.message)  # a JSON-RPC error, not a tool result
        return result

    async def swap(self, runtime: WorkspaceRuntime) -> None:
        """Serve `runtime` from now on; tell sessions when the tool list changed."""
        before = [tool.model_dump(by_alias=True, exclude_none=True) for tool in self.runtime.mcp_tools]
        self.runtime = runtime
        after = [tool.model_dump(by_alias=True, exclude_none=True) for tool in runtime.mcp_tools]
        if before == after:
            return
        await self._bus.publish(ToolsListChanged())
        for session in self._open_sessions():
            try:
                await session.send_tool_list_changed()
            except Exception:  # A closing session cannot receive it, and its client lists the tools again on reconnect.
                logger.debug("list_changed not delivered to a closing session of %s", self.workspace_id)

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run the session manager until `stopped` is set (one dedicated task: anyio scopes demand it)."""
        async with self.manager.run():
            task_status.started()
            await self.stopped.wait()

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        post = scope["method"] == "POST"
        self.inflight += post
        try:
            await self.manager.handle_request(scope, receive, send)
        finally:
            self.inflight -= post
