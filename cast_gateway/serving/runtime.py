"""A workspace ready to serve: its compiled tools, base URL and secret ciphertexts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import mcp_types as types

from ..openapi import CompiledSpec, Tool
from ..store import SecretRecord, SpecRef
from ..workspaces.service import WorkspaceConfig

__all__ = ["WorkspaceRuntime", "to_mcp_tool"]


def to_mcp_tool(tool: Tool) -> types.Tool:
    hints = tool.hints
    return types.Tool(
        name=tool.name,
        title=hints.title,
        description=tool.description,
        input_schema=dict(tool.input_schema),
        output_schema=dict(tool.output_schema) if tool.output_schema else None,
        annotations=types.ToolAnnotations(
            title=hints.title,
            read_only_hint=hints.read_only,
            destructive_hint=hints.destructive,
            idempotent_hint=hints.idempotent,
            open_world_hint=hints.open_world,
        ),
    )


@dataclass(frozen=True)
class WorkspaceRuntime:
    """Immutable: a reload builds a new runtime and swaps it in whole."""

    workspace_id: str
    revision: int
    spec: SpecRef | None
    spec_sha256: str
    compiled: CompiledSpec
    tools: Mapping[str, Tool]
    mcp_tools: tuple[types.Tool, ...]
    base_url: str | None
    secrets: Mapping[str, SecretRecord]
    settings: Mapping[str, Any]

    @classmethod
    def build(cls, config: WorkspaceConfig, compiled: CompiledSpec) -> WorkspaceRuntime:
        record = config.record
        base_url = record.base_url or (compiled.servers[0] if compiled.servers else None)
        return cls(
            workspace_id=record.id,
            revision=record.revision,
            spec=record.spec,
            spec_sha256=record.spec.sha256 if record.spec else "",
            compiled=compiled,
            tools={tool.name: tool for tool in compiled.tools},
            mcp_tools=tuple(to_mcp_tool(tool) for tool in compiled.tools),
            base_url=base_url,
            secrets={secret.name: secret for secret in config.secrets},
            settings=dict(record.settings),
        )

    @property
    def drift_is_error(self) -> bool:
        return bool(self.settings.get("output_drift_is_error", False))

    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        tool = self.tools.get(name)
        return tool.input_schema if tool else None
