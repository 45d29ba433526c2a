"""One Operation Object to one Tool: arguments, input schema, body, output schema, hints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .bodies import build_body
from .errors import OperationError
from .model import ParameterSpec, SecurityScheme, Tool, ToolHints
from .parameters import IGNORED_HEADERS, RawParameter, collect_parameters, style_of
from .refs import Location, RefResolver
from .responses import json_media, output_schema, success_response
from .schema import SchemaConverter, safe_key
from .security import parse_requirements, undefined_schemes
from .servers import ServerHostPolicy, expand_servers, rejected_server_message

__all__ = ["OperationContext", "OperationSource", "build_tool", "describe"]

_READ_ONLY = {"GET", "HEAD", "OPTIONS"}
_IDEMPOTENT = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"}


@dataclass
class OperationContext:
    """What every operation of one spec shares."""

    resolver: RefResolver
    converter: SchemaConverter
    schemes: dict[str, SecurityScheme]
    global_security: tuple[tuple[str, ...], ...]
    global_scopes: dict[str, tuple[str, ...]]
    problems: list[tuple[str, str]] = field(default_factory=list)
    server_policy: ServerHostPolicy = field(default_factory=lambda: ServerHostPolicy(None, ()))
    # (pointer, server URL) pairs already warned about: path-item servers apply to every
    # operation of the item but deserve one warning.
    warned_servers: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True)
class OperationSource:
    """An operation as found in the spec."""

    method: str
    path: str
    path_item: dict[str, Any]
    operation: dict[str, Any]
    path_at: Location
    at: Location


def describe(operation: dict[str, Any], method: str, path: str) -> str:
    """Return the tool description: summary and description, or method and path."""
    parts = []
    for key in ("summary", "description"):
        text = operation.get(key)
        if isinstance(text, str) and text.strip() and text.strip() not in parts:
            parts.append(text.strip())
    if not parts:
        parts.append(f"{method} {path}")
    if operation.get("deprecated") is True:
        parts.insert(0, "Deprecated.")
    return "\n\n".join(parts)


def _credential_parameters(security: tuple[tuple[str, ...], ...], schemes: dict[str, SecurityScheme]) -> set[tuple[str, str]]:
    """Return (name, in) of parameters that an apiKey scheme of the operation fills: the model must not set them."""
    taken: set[tuple[str, str]] = set()
    for alternative in security:
        for name in alternative:
            scheme = schemes.get(name)
            if scheme and scheme.type == "apiKey" and scheme.parameter_name and scheme.location:
                wire = scheme.parameter_name.lower() if scheme.location == "header" else scheme.parameter_name
                taken.add((wire, scheme.location))
    return taken


def _parameter_schema(parameter: RawParameter, context: OperationContext) -> tuple[dict[str, Any], str | None, dict[str, Any] | None]:
    value = parameter.value
    content_type = None
    raw_schema = value.get("schema")
    schema_at = parameter.at.child("schema")
    if raw_schema is None and isinstance(value.get("content"), dict) and value["content"]:
        content_type = str(next(iter(value["content"])))
        media = value["content"][content_type]
        raw_schema = media.get("schema") if isinstance(media, dict) else None
        schema_at = parameter.at.child("content", content_type, "schema")
    converted = context.converter.convert(raw_schema if raw_schema is not None else {}, schema_at, "input")
    schema = converted.schema
    description = value.get("description")
    if isinstance(description, str) and description.strip() and "description" not in schema:
        schema = {**schema, "description": description.strip()}
    if value.get("deprecated") is True and "deprecated" not in schema:
        schema = {**schema, "deprecated": True}
    return schema, content_type, converted.names


def build_tool(source: OperationSource, name: str, context: OperationContext) -> Tool:
    """Compile one operation. Raises OperationError (or RefError) when the operation must be skipped."""
    operation = source.operation
    method = source.method.upper()
    requirements = parse_requirements(operation.get("security"))
    if requirements is None:
        security, scopes = context.global_security, context.global_scopes
    else:
        security, scopes, problems = requirements
        problems += undefined_schemes(security, context.schemes)
        context.problems.extend((source.at.child("security").pointer, problem) for problem in problems)
    credential_slots = _credential_parameters(security, context.schemes)

    raw_parameters = collect_parameters(
        source.path_item.get("parameters"),
        operation.get("parameters"),
        source.path_at.child("parameters"),
        source.at.child("parameters"),
        context.resolver,
        context.problems,
    )
    kept: list[RawParameter] = []
    for parameter in raw_parameters:
        if parameter.location == "header" and parameter.name.lower() in IGNORED_HEADERS:
            continue
        if parameter.identity in credential_slots:
            continue
        kept.append(parameter)

    body = None
    if operation.get("requestBody") is not None:
        body = build_body(operation["requestBody"], source.at.child("requestBody"), context.resolver, context.converter)

    properties: dict[str, Any] = {}
    required: list[str] = []
    body_arguments = body.arguments if body else {}
    plain_names: dict[str, int] = {}
    for parameter in kept:
        plain_names[safe_key(parameter.name)] = plain_names.get(safe_key(parameter.name), 0) + 1

    specs: list[ParameterSpec] = []
    for parameter in kept:
        argument = safe_key(parameter.name)
        if argument in body_arguments or plain_names[argument] > 1:
            argument = safe_key(f"{parameter.name}__{parameter.location}")
        if argument in properties:
            raise OperationError(f"parameters {parameter.name!r} ({parameter.location}) share argument name {argument!r}")
        schema, content_type, names = _parameter_schema(parameter, context)
        style, explode = style_of(parameter)
        is_required = parameter.location == "path" or parameter.value.get("required") is True
        specs.append(
            ParameterSpec(
                name=parameter.name,
                location=parameter.location,  # type: ignore[arg-type]
                argument=argument,
                required=is_required,
                schema=schema,
                style=style,
                explode=explode,
                allow_reserved=parameter.value.get("allowReserved") is True,
                content_type=content_type,
                names=names,
            )
        )
        properties[argument] = schema
        if is_required and "default" not in schema:
            # A required parameter with a default may be omitted: the request builder sends
            # the default (see `cast_gateway.request.arguments.effective_arguments`).
            required.append(argument)
    for variable in _undeclared_path_variables(source.path, specs):
        # Real specs forget path parameters now and then; a string argument still lets the call work.
        context.problems.append((source.at.pointer, f"path variable {{{variable}}} has no path parameter; added as a string"))
        argument = variable if variable not in properties and variable not in body_arguments else f"{variable}__path"
        argument = safe_key(argument)
        schema = {"type": "string"}
        specs.append(ParameterSpec(name=variable, location="path", argument=argument, required=True, schema=schema))
        properties[argument] = schema
        required.append(argument)

    for argument, schema in body_arguments.items():
        properties[argument] = schema
    if body:
        required.extend(body.required)

    input_schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required

    success = success_response(operation.get("responses"), source.at.child("responses"), context.resolver)
    output = None
    accept = None
    if success is not None:
        response, response_at = success
        output = output_schema(response, response_at, context.converter)
        accept = json_media(response)
        if accept is None and isinstance(response.get("content"), dict) and response["content"]:
            accept = str(next(iter(response["content"])))

    servers = _tool_servers(source, context)
    summary = operation.get("summary")
    tags = operation.get("tags")
    return Tool(
        name=name,
        description=describe(operation, method, source.path),
        method=method,
        path=source.path,
        input_schema=input_schema,
        output_schema=output,
        hints=ToolHints(
            title=summary.strip() if isinstance(summary, str) and summary.strip() else None,
            read_only=method in _READ_ONLY,
            destructive=True if method == "DELETE" else (False if method in _READ_ONLY else None),
            idempotent=method in _IDEMPOTENT,
        ),
        parameters=tuple(specs),
        body=body.spec if body else None,
        security=security,
        servers=servers,
        operation_id=operation["operationId"] if isinstance(operation.get("operationId"), str) else None,
        pointer=source.at.pointer,
        scopes=scopes,
        accept=accept,
        deprecated=operation.get("deprecated") is True,
        tags=tuple(str(tag) for tag in tags) if isinstance(tags, list) else (),
    )


def _tool_servers(source: OperationSource, context: OperationContext) -> tuple[str, ...]:
    """Return the operation's own servers (or else the path item's) that the workspace allows.

    A rejected server gets a warning and is dropped. When none is left the tool has no
    servers of its own, so calls go to the workspace base URL.
    """
    urls = expand_servers(source.operation.get("servers"))
    at = source.at.child("servers")
    if not urls:
        urls = expand_servers(source.path_item.get("servers"))
        at = source.path_at.child("servers")
    allowed, rejected = context.server_policy.split(urls)
    for url in rejected:
        if (at.pointer, url) not in context.warned_servers:
            context.warned_servers.add((at.pointer, url))
            context.problems.append((at.pointer, rejected_server_message(url)))
    return allowed


def _undeclared_path_variables(path: str, specs: list[ParameterSpec]) -> list[str]:
    """Return the `{name}`s of a path template that no path parameter fills."""
    declared = {spec.name for spec in specs if spec.location == "path"}
    missing: list[str] = []
    position = 0
    while (start := path.find("{", position)) != -1:
        end = path.find("}", start)
        if end == -1:
            break
        variable = path[start + 1 : end]
        if variable and variable not in declared and variable not in missing:
            missing.append(variable)
        position = end + 1
    return missing

