"""Handlers of `/internal/v1/`: workspaces, specs, secrets, client tokens, tool settings, reload.

Each handler parses its body, calls the WorkspaceService (which stores, then evicts the
cache), and then calls `on_change` with the workspace id. A handler's exception becomes
a JSON error response in `responses.response_for_exception`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from typing import Any, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..workspaces.service import WORKSPACE_PURGE_DAYS, WorkspaceService
from ..workspaces.tool_settings import ToolSettings, parse_tool_settings
from .payloads import optional_object, optional_string, parse_json_object, parse_spec_bundle, required_string
from .responses import NotFoundError, PayloadError, response_for_exception
from .views import secret_view, spec_change_view, token_view, tools_view, workspace_view

__all__ = ["internal_routes", "ChangeHook", "PREFIX"]

logger = logging.getLogger(__name__)

PREFIX = "/internal/v1"
MAX_LABEL_CHARS = 200
MAX_SECRET_NAME_CHARS = 191

ChangeHook = Callable[[str], Awaitable[None]]
Handler = Callable[["InternalHandlers", Request], Awaitable[Response]]


def _handled(route: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(self: InternalHandlers, request: Request) -> Response:
            try:
                return await handler(self, request)
            except Exception as exc:  # every failure becomes one JSON error response, logged once there
                return response_for_exception(exc, route=route)

        return wrapper

    return decorate


class InternalHandlers:
    def __init__(self, service: WorkspaceService, on_change: ChangeHook | None) -> None:
        self._service = service
        self._on_change = on_change

    async def _changed(self, workspace_id: str) -> None:
        if self._on_change is not None:
            await self._on_change(workspace_id)

    async def _body(self, request: Request) -> dict[str, Any]:
        return parse_json_object(await request.body())

    @_handled("create workspace")
    async def create_workspace(self, request: Request) -> Response:
        data = await self._body(request)
        workspace_id = required_string(data, "id", max_chars=63)
        bundle = parse_spec_bundle(data.get("spec"))
        settings = optional_object(data, "settings")
        if settings is not None:
            parse_tool_settings(settings)
        record, compiled = await self._service.create_workspace(
            workspace_id, bundle, base_url=optional_string(data, "base_url"), settings=settings
        )
        await self._changed(workspace_id)
        return JSONResponse(workspace_view(record, compiled=compiled), status_code=201)

    @_handled("read workspace")
    async def get_workspace(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        record = await self._service.get_workspace(workspace_id)
        compiled = await self._service.load_compiled(record)
        secrets = await self._service.list_secret_metadata(workspace_id)
        tokens = [token for token in await self._service.store.list_client_tokens(workspace_id) if token.revoked_at is None]
        return JSONResponse(workspace_view(record, compiled=compiled, secrets=secrets, tokens=tokens))

    @_handled("update workspace")
    async def update_workspace(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        data = await self._body(request)
        unknown = sorted(set(data) - {"base_url", "settings", "expected_revision"})
        if unknown:
            raise PayloadError(f"unknown field {unknown[0][:64]!r}; use base_url, settings or expected_revision")
        expected_revision = data.get("expected_revision")
        if expected_revision is not None and (not isinstance(expected_revision, int) or isinstance(expected_revision, bool)):
            raise PayloadError("field 'expected_revision' must be an integer")

        record = await self._service.get_workspace(workspace_id)
        changes = optional_object(data, "settings")
        settings = None
        if changes is not None:
            # A shallow merge: each given key replaces the stored one, and null removes it.
            settings = {key: value for key, value in {**record.settings, **changes}.items() if value is not None}
            parse_tool_settings(settings)
            # Compile with the new settings first, so that settings the spec cannot serve are never stored.
            await self._service.load_compiled(replace(record, settings=settings))
        updated = await self._service.update_workspace(
            workspace_id,
            base_url=optional_string(data, "base_url"),
            settings=settings,
            expected_revision=expected_revision if expected_revision is not None else record.revision,
        )
        await self._changed(workspace_id)
        return JSONResponse(workspace_view(updated, compiled=await self._service.load_compiled(updated)))

    @_handled("delete workspace")
    async def delete_workspace(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        if not await self._service.delete_workspace(workspace_id):
            raise NotFoundError(f"workspace {workspace_id!r} not found")
        await self._changed(workspace_id)
        return JSONResponse({"id": workspace_id, "deleted": True, "purge_after_days": WORKSPACE_PURGE_DAYS})

    @_handled("upload spec")
    async def upload_spec(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        bundle = parse_spec_bundle(await self._body(request), field="body")
        change, compiled = await self._service.upload_spec(workspace_id, bundle)
        await self._changed(workspace_id)
        return JSONResponse(spec_change_view(change, compiled))

    @_handled("set secret")
    async def set_secret(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        name = request.path_params["name"]
        if len(name) > MAX_SECRET_NAME_CHARS:
            raise PayloadError(f"secret name is longer than {MAX_SECRET_NAME_CHARS} characters")
        value = required_string(await self._body(request), "value", max_chars=16 * 1024)
        await self._service.set_secret(workspace_id, name, value)
        await self._changed(workspace_id)
        secrets = {secret.name: secret for secret in await self._service.list_secret_metadata(workspace_id)}
        return JSONResponse(secret_view(secrets[name]))

    @_handled("delete secret")
    async def delete_secret(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        name = request.path_params["name"]
        await self._service.get_workspace(workspace_id)
        if not await self._service.delete_secret(workspace_id, name):
            raise NotFoundError(f"secret {name[:80]!r} of workspace {workspace_id!r} not found")
        await self._changed(workspace_id)
        return JSONResponse({"name": name, "deleted": True})

    @_handled("create token")
    async def create_token(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        body = await request.body()
        label = (optional_string(parse_json_object(body), "label", max_chars=MAX_LABEL_CHARS) if body else None) or ""
        record, token = await self._service.create_token(workspace_id, label)
        await self._changed(workspace_id)
        # The only response that carries a token plaintext: it is not stored and cannot be shown again.
        return JSONResponse({**token_view(record), "token": token}, status_code=201)

    @_handled("revoke token")
    async def revoke_token(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        token_id = request.path_params["token_id"]
        await self._service.get_workspace(workspace_id)
        if not await self._service.revoke_token(workspace_id, token_id):
            raise NotFoundError(f"token {token_id[:80]!r} of workspace {workspace_id!r} not found or already revoked")
        await self._changed(workspace_id)
        return JSONResponse({"id": token_id, "revoked": True})

    @_handled("set tool settings")
    async def set_tool_settings(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        tool = request.path_params["tool"]
        settings = ToolSettings.from_json(tool, await self._body(request))
        compiled = await self._service.set_tool_settings(workspace_id, tool, settings)
        await self._changed(workspace_id)
        return JSONResponse(tools_view(compiled))

    @_handled("clear tool settings")
    async def clear_tool_settings(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        compiled = await self._service.set_tool_settings(workspace_id, request.path_params["tool"], None)
        await self._changed(workspace_id)
        return JSONResponse(tools_view(compiled))

    @_handled("reload workspace")
    async def reload_workspace(self, request: Request) -> Response:
        workspace_id = request.path_params["workspace_id"]
        await self._service.get_workspace(workspace_id)
        await self._service.cache.evict(workspace_id)
        # Rebuild now, so that a workspace that no longer compiles is reported to the caller
        # and not first to an MCP client.
        config = await self._service.load_config(workspace_id)
        compiled = await self._service.load_compiled(config.record)
        await self._changed(workspace_id)
        return JSONResponse({"id": workspace_id, "revision": config.record.revision, **tools_view(compiled)})

    @_handled("purge deleted workspaces")
    async def purge_deleted(self, request: Request) -> Response:
        purged = await self._service.purge_deleted()
        return JSONResponse({"purged": purged, "older_than_days": WORKSPACE_PURGE_DAYS})


def internal_routes(service: WorkspaceService, on_change: ChangeHook | None) -> list[Route]:
    handlers = InternalHandlers(service, on_change)
    workspace = PREFIX + "/workspaces/{workspace_id}"
    return [
        Route(PREFIX + "/workspaces", handlers.create_workspace, methods=["POST"]),
        Route(workspace, handlers.get_workspace, methods=["GET"]),
        Route(workspace, handlers.update_workspace, methods=["PATCH"]),
        Route(workspace, handlers.delete_workspace, methods=["DELETE"]),
        Route(workspace + "/spec", handlers.upload_spec, methods=["PUT"]),
        Route(workspace + "/secrets/{name:path}", handlers.set_secret, methods=["PUT"]),
        Route(workspace + "/secrets/{name:path}", handlers.delete_secret, methods=["DELETE"]),
        Route(workspace + "/tokens", handlers.create_token, methods=["POST"]),
        Route(workspace + "/tokens/{token_id}", handlers.revoke_token, methods=["DELETE"]),
        Route(workspace + "/tools/{tool}", handlers.set_tool_settings, methods=["PUT"]),
        Route(workspace + "/tools/{tool}", handlers.clear_tool_settings, methods=["DELETE"]),
        Route(workspace + "/reload", handlers.reload_workspace, methods=["POST"]),
        Route(PREFIX + "/maintenance/purge", handlers.purge_deleted, methods=["POST"]),
    ]
