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
    """A path, query, header or cookie parameter and the argument that feeds it.

    - `name`: the wire name (as the spec spells it; for headers the spec's spelling).
    - `argument`: the key of the tool argument that contains the value. It is `name`, made
      client-safe if needed (see `schema.safe_key`), plus `__path`/`__query`/`__header`/
      `__cookie` when the same name is used in several locations of the operation.
    - `schema`: the converted JSON Schema 2020-12 of the value (the same object that sits
      under `input_schema["properties"][argument]`).
    - `style`/`explode`: the OpenAPI serialisation, with the spec's defaults filled in
      (path and header `simple`, query and cookie `form`; `explode` is true only for `form`
      unless the spec says otherwise). Swagger 2.0 `collectionFormat` maps to csv ->
      `form`/`simple` without explode, multi -> `form` with explode, ssv -> `spaceDelimited`,
      pipes -> `pipeDelimited`, tsv -> `tabDelimited` (a Swagger 2.0 only style: values
      joined by a tab).
    - `content_type`: set when the spec gives the parameter a `content` map instead of a
      schema; the value is then serialised as that media type (JSON for `application/json`).
    - `names`: the NameMap (see `BodySpec.names`) of renamed keys inside an object value.
    """

    name: str
    location: ParameterLocation
    argument: str
    required: bool
    schema: Mapping[str, Any]
    style: str = "simple"
    explode: bool = False
    allow_reserved: bool = False
    content_type: str | None = None
    names: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class BodySpec:
    """How the request body is assembled from the arguments.

    - `media_type`: the Content-Type to send (for multipart the builder adds the boundary).
    - `kind`: `json` (`application/json`, `+json`), `form` (`x-www-form-urlencoded`),
      `multipart` (`multipart/*`), `binary` (any other non-text type: the argument is base64
      and the decoded bytes are the body), `text` (`text/*` and XML: the argument is sent as
      UTF-8 text).
    - `required`: the spec marks the body required.
    - `properties`: for a flattened object body, argument name -> wire property name, in
      schema order. Empty when the body is one argument.
    - `argument`: the single argument that contains a non-flattened body (always `"body"`);
      None when `properties` is used.
    - `schema`: the converted JSON Schema of the whole body.
    - `encoding`: the OpenAPI Encoding Object by wire property name for form and multipart
      bodies (`contentType`, `style`, `explode`, `allowReserved`, `headers`), copied as
      plain data.
    - `files`: wire property names of multipart parts that carry files: their arguments are
      base64 strings (or arrays of them) to send as bytes with a filename and the content
      type from `encoding` (default `application/octet-stream`).
    - `names`: argument name -> NameMap for keys renamed inside argument values. A NameMap
      is a dict with optional entries `keys` ({client key: wire key} at this level),
      `properties` ({client key: NameMap} for nested objects), `items` (NameMap for array
      elements) and `additionalProperties` (NameMap for map values). The builder renames
      client keys back to wire keys while it walks a value; keys not listed are unchanged.
    """

    media_type: str
    kind: Literal["json", "form", "multipart", "binary", "text"]
    required: bool
    properties: Mapping[str, str] = field(default_factory=dict)
    argument: str | None = None
    schema: Mapping[str, Any] = field(default_factory=dict)
    encoding: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    names: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


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
    (`bearer`, `basic`, lower-cased), `token_url` and `scopes` (all the flow declares) to
    OAuth2 client-credentials flows; other OAuth2 flows have no `token_url`.
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

    `security` lists the alternatives the spec allows (operation `security` replaces the
    global one); each alternative is a sorted tuple of scheme names that must all be
    applied. An empty tuple means no credential is needed (`security: []` or none declared),
    and an empty alternative `()` among others means the spec makes auth optional.
    `scopes` gives the OAuth2 scopes this operation asks for, by scheme name.

    `path` is the spec's path template (`/pets/{petId}`), to append to the server URL.
    `servers` are the path-item or operation level server URLs, variables filled in; empty
    means the spec-level ones (`CompiledSpec.servers`). A relative URL stays relative.
    `accept` is the response media type to ask for (the JSON one of the success response
    when there is one). `operation_id` is the spec's operationId, unsanitised. `pointer` is
    the JSON pointer of the operation in the main file.
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
    scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    accept: str | None = None
    deprecated: bool = False
    tags: tuple[str, ...] = ()
    # Argument values set by the workspace's tool settings. They are removed from
    # `input_schema`, so they never reach the model, and merged into the arguments of
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
    """A compiled spec. `servers` are the spec-level server URLs with variables filled in,
    relative ones left relative. `warnings` lists what the compiler skipped or changed."""

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
