"""The compiled form of an OpenAPI document: what the rest of the gateway reads.

Everything here is a frozen dataclass with no I/O, so that a compiled spec can be
cached, shared between tasks and compared in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

__all__ = [
    "SpecBundle",
    "ParameterSpec",
    "BodySpec",
    "ToolHints",
    "SecurityScheme",
    "Tool",
    "SpecWarning",
    "CompiledSpec",
]

ParameterLocation = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True)
class SpecBundle:
    """One uploaded spec: the main document and the files its relative `$ref`s may name.

    File names are relative paths as uploaded (`api.yaml`, `common/shared.yaml`).
    """

    main: str
    files: Mapping[str, bytes]

    @classmethod
    def single(cls, name: str, data: bytes) -> SpecBundle:
        return cls(main=name, files={name: data})


@dataclass(frozen=True)
class ParameterSpec:
    """A path, query, header or cookie parameter and the argument that feeds it."""

    name: str
    location: ParameterLocation
    argument: str
    required: bool
    schema: Mapping[str, Any]
    style: str = "simple"
    explode: bool = False
    allow_reserved: bool = False


@dataclass(frozen=True)
class BodySpec:
    """How the request body is assembled from the arguments.

    `properties` maps argument names to wire property names for a flattened object body;
    `argument` names the single argument that carries a non-object body.
    """

    media_type: str
    kind: Literal["json", "form", "multipart", "binary", "text"]
    required: bool
    properties: Mapping[str, str] = field(default_factory=dict)
    argument: str | None = None
    schema: Mapping[str, Any] = field(default_factory=dict)
    encoding: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolHints:
    """MCP tool annotations derived from the HTTP method and summary."""

    title: str | None = None
    read_only: bool | None = None
    destructive: bool | None = None
    idempotent: bool | None = None
    open_world: bool | None = True


@dataclass(frozen=True)
class SecurityScheme:
    """A security scheme of the spec, by the name the spec gives it.

    `location` and `parameter_name` apply to apiKey schemes, `http_scheme` to http ones
    (`bearer`, `basic`), `token_url` to OAuth2 client-credentials flows.
    """

    name: str
    type: str
    location: str | None = None
    parameter_name: str | None = None
    http_scheme: str | None = None
    token_url: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tool:
    """One operation of the spec, as an MCP tool plus the template of its upstream request.

    `security` lists the alternatives the spec allows; each alternative is a tuple of
    scheme names that must all be applied. An empty tuple means no credential is needed,
    and a tuple holding one empty alternative means the spec makes auth optional.
    """

    name: str
    description: str
    method: str
    path: str
    input_schema: Mapping[str, Any]
    output_schema: Mapping[str, Any] | None = None
    hints: ToolHints = field(default_factory=ToolHints)
    parameters: tuple[ParameterSpec, ...] = ()
    body: BodySpec | None = None
    security: tuple[tuple[str, ...], ...] = ()
    servers: tuple[str, ...] = ()
    operation_id: str | None = None
    pointer: str = ""
    # Argument values set by the workspace's tool settings. They are removed from
    # `input_schema`, so the model never sees them, and merged into the arguments of
    # every call (see `cast_gateway.workspaces.tool_settings.merge_fixed_arguments`).
    fixed_arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SpecWarning:
    """Something the compiler skipped or changed, with the JSON pointer where it sits."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.message}"


@dataclass(frozen=True)
class CompiledSpec:
    title: str
    version: str
    openapi_version: str
    tools: tuple[Tool, ...]
    security_schemes: Mapping[str, SecurityScheme]
    servers: tuple[str, ...]
    warnings: tuple[SpecWarning, ...] = ()

    def tool(self, name: str) -> Tool | None:
        for tool in self.tools:
            if tool.name == name:
                return tool
        return None
