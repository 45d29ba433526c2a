"""JSON views of workspaces, tools, secrets and tokens for internal API responses.

Secret views carry names and dates only, and token views never carry a hash or a
plaintext: the one exception, the plaintext of a new token, is added by its handler.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from ..openapi import CompiledSpec, Tool
from ..store import ClientTokenRecord, WorkspaceRecord
from ..workspaces.service import SecretMetadata, SpecChange

__all__ = ["workspace_view", "tool_view", "tools_view", "secret_view", "token_view", "spec_change_view"]


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def tool_view(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "description": tool.description,
        "method": tool.method,
        "path": tool.path,
        "input_schema": tool.input_schema,
        # Names only: a fixed value is for the upstream call, not for every reader of the API.
        "fixed_arguments": sorted(tool.fixed_arguments),
    }


def tools_view(compiled: CompiledSpec) -> dict[str, Any]:
    return {
        "tools": [tool_view(tool) for tool in compiled.tools],
        "warnings": [str(warning) for warning in compiled.warnings],
    }


def secret_view(secret: SecretMetadata) -> dict[str, Any]:
    return {
        "name": secret.name,
        "created_at": _time(secret.created_at),
        "updated_at": _time(secret.updated_at),
        "last_used_at": _time(secret.last_used_at),
    }


def token_view(token: ClientTokenRecord) -> dict[str, Any]:
    return {
        "id": token.id,
        "label": token.label,
        "created_at": _time(token.created_at),
        "revoked_at": _time(token.revoked_at),
    }


def workspace_view(
    record: WorkspaceRecord,
    *,
    compiled: CompiledSpec | None = None,
    secrets: Sequence[SecretMetadata] = (),
    tokens: Sequence[ClientTokenRecord] = (),
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "base_url": record.base_url,
        "settings": dict(record.settings),
        "revision": record.revision,
        "created_at": _time(record.created_at),
        "updated_at": _time(record.updated_at),
        "spec": (
            {"main": record.spec.main, "files": sorted(record.spec.files), "sha256": record.spec.sha256}
            if record.spec is not None
            else None
        ),
        "secrets": [secret_view(secret) for secret in secrets],
        "tokens": [token_view(token) for token in tokens],
    }
    if compiled is not None:
        view.update(tools_view(compiled))
    return view


def spec_change_view(change: SpecChange, compiled: CompiledSpec) -> dict[str, Any]:
    return {
        "added": list(change.added),
        "removed": list(change.removed),
        "changed": list(change.changed),
        **tools_view(compiled),
    }
