"""`cast-gateway --remote URL ...`: the CLI's workspace operations over the internal API.

`RemoteOperations` has the methods of `WorkspaceService` that the commands call, with
results of the same shape, so a command runs unchanged against a running gateway. The
signing secret comes from `INTERNAL_MCP_SECRET`, the variable the gateway reads too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from ..config import InternalSettings
from ..internal.client import InternalClient
from ..internal.errors import InternalConfigError, RemoteNotFoundError
from ..internal.keys import SigningKey
from ..openapi import SpecBundle
from ..workspaces.service import SpecChange

__all__ = ["RemoteOperations", "RemoteWorkspace", "RemoteTools", "RemoteToken"]


@dataclass(frozen=True)
class RemoteWorkspace:
    """A workspace as the internal API returns it: the fields of a WorkspaceRecord the CLI shows."""

    id: str
    base_url: str | None
    settings: Mapping[str, Any]
    revision: int
    secret_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RemoteTool:
    name: str
    description: str
    method: str
    path: str


@dataclass(frozen=True)
class RemoteTools:
    """The served tools and compiler warnings: the parts of a CompiledSpec the CLI prints."""

    tools: tuple[RemoteTool, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class RemoteToken:
    """A new client token's record, as `create_token` returns it beside the plaintext."""

    id: str
    workspace_id: str
    label: str


def _workspace(data: Mapping[str, Any]) -> RemoteWorkspace:
    return RemoteWorkspace(
        id=data["id"],
        base_url=data.get("base_url"),
        settings=data.get("settings", {}),
        revision=data.get("revision", 0),
        secret_names=tuple(secret["name"] for secret in data.get("secrets", [])),
    )


def _tools(data: Mapping[str, Any]) -> RemoteTools:
    return RemoteTools(
        tools=tuple(
            RemoteTool(name=tool["name"], description=tool.get("description", ""), method=tool["method"], path=tool["path"])
            for tool in data.get("tools", [])
        ),
        warnings=tuple(data.get("warnings", [])),
    )


class RemoteOperations:
    """Workspace operations against a running gateway's internal API, signed with its secret."""

    def __init__(self, url: str, environ: Mapping[str, str] = os.environ, *, secret_env: str = InternalSettings.secret_env) -> None:
        secret = environ.get(secret_env, "")
        if not secret:
            raise InternalConfigError(
                f"--remote needs the gateway's internal API secret in {secret_env}; set it and run the command again"
            )
        try:
            key = SigningKey.from_text(secret)
        except InternalConfigError:
            raise InternalConfigError(f"{secret_env} is too short to be the gateway's internal API secret") from None
        self._client = InternalClient(url, key)

    async def close(self) -> None:
        await self._client.close()

    async def create_workspace(
        self, workspace_id: str, bundle: SpecBundle, *, base_url: str | None = None, settings: Mapping[str, Any] | None = None
    ) -> tuple[RemoteWorkspace, RemoteTools]:
        data = await self._client.create_workspace(workspace_id, bundle, base_url=base_url, settings=settings)
        return _workspace(data), _tools(data)

    async def get_workspace(self, workspace_id: str) -> RemoteWorkspace:
        return _workspace(await self._client.get_workspace(workspace_id))

    async def get_tools(self, workspace_id: str) -> RemoteTools:
        return _tools(await self._client.get_workspace(workspace_id))

    async def upload_spec(self, workspace_id: str, bundle: SpecBundle) -> tuple[SpecChange, RemoteTools]:
        data = await self._client.upload_spec(workspace_id, bundle)
        change = SpecChange(added=tuple(data["added"]), removed=tuple(data["removed"]), changed=tuple(data["changed"]))
        return change, _tools(data)

    async def delete_workspace(self, workspace_id: str) -> bool:
        """Soft-delete a workspace. False when there was no live workspace of that id."""
        try:
            await self._client.delete_workspace(workspace_id)
        except RemoteNotFoundError:
            return False
        return True

    async def set_secret(self, workspace_id: str, name: str, value: str) -> None:
        await self._client.set_secret(workspace_id, name, value)

    async def delete_secret(self, workspace_id: str, name: str) -> bool:
        try:
            await self._client.delete_secret(workspace_id, name)
        except RemoteNotFoundError:
            return False
        return True

    async def create_token(self, workspace_id: str, label: str = "") -> tuple[RemoteToken, str]:
        """Create a client token; the plaintext is returned this once."""
        data = await self._client.create_token(workspace_id, label)
        return RemoteToken(id=data["id"], workspace_id=workspace_id, label=data.get("label", "")), data["token"]

    async def revoke_token(self, workspace_id: str, token_id: str) -> bool:
        try:
            await self._client.revoke_token(workspace_id, token_id)
        except RemoteNotFoundError:
            return False
        return True

    async def reload_workspace(self, workspace_id: str) -> RemoteTools:
        return _tools(await self._client.reload_workspace(workspace_id))
