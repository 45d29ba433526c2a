"""Build one exact upstream request from a tool and its arguments. Pure: no I/O, no event loop."""

from __future__ import annotations

import json
from typing import Any, Mapping

from cast_gateway.openapi.model import ParameterSpec, Tool

from .arguments import bounded_repr, effective_arguments
from .bodies import BoundaryFactory, _is_json_type, _random_boundary, encode_body
from .errors import ArgumentError, RequestBuildError
from .headers import IGNORED_HEADER_PARAMETERS, is_forbidden_argument_header, is_safe_value, is_token
from .model import UpstreamRequest
from .names import rename_to_wire
from .styles import cookie_value, expand_path_value, header_value, query_pairs
from .urls import expand_template, resolve_server

__all__ = ["build_request", "RequestBuildError", "ArgumentError"]


def build_request(
    tool: Tool, arguments: Mapping[str, Any], base_url: str, *, boundary: BoundaryFactory = _random_boundary
) -> UpstreamRequest:
    """Build the request for one call of `tool`.

    `base_url` is the workspace's upstream URL and may carry a base path, which is kept:
    the URL is the base URL without its trailing slash followed by the expanded operation
    path. A relative server of the tool resolves against it. Raises `ArgumentError` for a
    value that cannot be sent safely and `RequestBuildError` for a template or base URL
    that cannot give a safe request. No partial request is returned.
    """
    method = tool.method.upper()
    if not is_token(method):
        raise RequestBuildError(f"tool {tool.name!r}: method {tool.method[:40]!r} is not an HTTP method token")

    values = _wire_values(tool, effective_arguments(tool, arguments))
    origin = resolve_server(base_url, tool.servers)
    by_location: dict[str, list[ParameterSpec]] = {"path": [], "query": [], "header": [], "cookie": []}
    for parameter in tool.parameters:
        by_location.setdefault(parameter.location, []).append(parameter)

    path, literal_query = expand_template(tool.path, _path_expander(tool, by_location["path"], values))
    url = origin.prefix + path
    if not url.startswith(origin.prefix + "/"):
        raise RequestBuildError(f"tool {tool.name!r}: the built URL left the base path {origin.base_path!r}")

    query = [literal_query] if literal_query else []
    for parameter in by_location["query"]:
        if parameter.argument in values:
            query.extend(
                query_pairs(parameter.style or "form", parameter.explode, parameter.name, values[parameter.argument],
                            parameter.schema, parameter.allow_reserved)
            )
    if query:
        url += "?" + "&".join(query)

    headers = _header_parameters(by_location["header"], values)
    cookie = _cookie_header(by_location["cookie"], values)
    if cookie:
        headers.append(("Cookie", cookie))
    accept = getattr(tool, "accept", None)
    if accept:
        if not is_safe_value(accept):
            raise RequestBuildError(f"tool {tool.name!r}: response media type {accept[:80]!r} is not a valid Accept value")
        headers.append(("Accept", accept))

    body = encode_body(tool, values, boundary)
    if body is not None:
        headers.append(("Content-Type", body.content_type))
    return UpstreamRequest(method=method, url=url, headers=tuple(headers), body=None if body is None else body.data)


def _wire_values(tool: Tool, values: dict[str, Any]) -> dict[str, Any]:
    """Rename keys inside parameter values back to wire keys, and encode `content` parameters.

    A parameter declared with `content` instead of a schema is sent as one string in that
    media type (JSON for `application/json`), which then gets its location's escaping.
    """
    for parameter in tool.parameters:
        if parameter.argument not in values:
            continue
        value = rename_to_wire(values[parameter.argument], getattr(parameter, "names", None))
        content_type = getattr(parameter, "content_type", None)
        if content_type and _is_json_type(content_type):
            value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
        values[parameter.argument] = value
    return values


def _path_expander(tool: Tool, parameters: list[ParameterSpec], values: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    by_name = {parameter.name: parameter for parameter in parameters}

    def expand(placeholder: str) -> str:
        parameter = by_name.get(placeholder)
        if parameter is None:
            raise RequestBuildError(
                f"tool {tool.name!r}: path template {tool.path[:200]!r} names {placeholder!r}, which no path parameter "
                "declares; fix the spec"
            )
        name = parameter.argument
        if name not in values:
            raise ArgumentError(f"argument {name!r}: the path parameter {parameter.name!r} is required; pass a value")
        value = values[name]
        if value is None or value == "" or value == [] or value == {}:
            raise ArgumentError(f"argument {name!r}: a path parameter cannot be empty; pass a value")
        expanded = expand_path_value(parameter.style or "simple", parameter.explode, parameter.name, value, parameter.schema)
        if expanded in (".", "..") and expanded == value:
            # A literal dot segment is removed by URL normalisation (RFC 3986 section 5.2.4),
            # which would send the call and its credential to another endpoint. The
            # percent-encoded form is data, not a dot segment, and the client sends it as is.
            expanded = expanded.replace(".", "%2E")
        if expanded in (".", "..") or any(char in expanded for char in "/?#"):
            raise ArgumentError(f"argument {name!r}: {bounded_repr(value)} cannot be placed in the path safely")
        return expanded

    return expand


def _header_parameters(parameters: list[ParameterSpec], values: Mapping[str, Any]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for parameter in parameters:
        if parameter.argument not in values:
            continue
        lowered = parameter.name.lower()
        if lowered in IGNORED_HEADER_PARAMETERS or is_forbidden_argument_header(lowered):
            continue
        if not is_token(parameter.name):
            raise RequestBuildError(f"header parameter {parameter.name[:80]!r} is not a valid header name; fix the spec")
        text = header_value(parameter.explode, values[parameter.argument], parameter.schema)
        if not is_safe_value(text):
            raise ArgumentError(
                f"argument {parameter.argument!r}: a header value may hold only visible ASCII, spaces and tabs, "
                "with no line breaks or control characters"
            )
        headers.append((parameter.name, text))
    return headers


def _cookie_header(parameters: list[ParameterSpec], values: Mapping[str, Any]) -> str:
    pairs: list[str] = []
    for parameter in parameters:
        if parameter.argument not in values:
            continue
        if not is_token(parameter.name):
            raise RequestBuildError(f"cookie parameter {parameter.name[:80]!r} is not a valid cookie name; fix the spec")
        pairs.append(f"{parameter.name}={cookie_value(values[parameter.argument], parameter.schema)}")
    return "; ".join(pairs)
