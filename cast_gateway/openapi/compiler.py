"""compile_spec: a bundle of spec files to a CompiledSpec. Pure: no I/O, no network."""

from __future__ import annotations

import logging
import re
from typing import Any, Sequence

from .errors import MissingFileError, OperationError, SpecError
from .gc_pause import paused_gc
from .loader import MAX_SPEC_BYTES, parse_document, source_text
from .model import CompiledSpec, SpecBundle, SpecWarning, Tool
from .naming import MAX_NAME_LENGTH, MIN_NAME_LENGTH, NameAllocator, base_name
from .operations import OperationContext, OperationSource, build_tool
from .refs import Location, RefResolver, pointer_join
from .schema import SchemaConverter
from .security import parse_requirements, parse_schemes, undefined_schemes
from .servers import ALLOWED_SERVER_HOSTS_SETTING, ServerHostPolicy, expand_servers
from .swagger2 import Swagger2Document, convert_swagger2

__all__ = ["compile_spec", "METHODS"]

logger = logging.getLogger(__name__)

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
"""Path-item keys that are operations (`query` is new in OpenAPI 3.2)."""


def _check_size(bundle: SpecBundle, max_spec_bytes: int) -> None:
    total = sum(len(data) for data in bundle.files.values())
    if total > max_spec_bytes:
        raise SpecError(
            f"spec {bundle.main!r}: upload is {total} bytes, over the limit of {max_spec_bytes} bytes; "
            "raise the spec size limit setting or split the spec"
        )
    if bundle.main not in bundle.files:
        raise SpecError(f"spec {bundle.main!r}: the main file is not in the uploaded bundle")


_ACCEPTED_VERSIONS = "Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2 are accepted"
_SWAGGER_VERSION = re.compile(r"^2\.0$")
_OPENAPI_VERSION = re.compile(r"^3\.[0-2](?:\.[0-9]+)?(?:-[0-9A-Za-z.-]+)?$")


def _version(document: dict[str, Any], name: str) -> str:
    if "swagger" in document:
        version = source_text(document["swagger"])
        if not _SWAGGER_VERSION.match(version):
            raise SpecError(f"spec {name!r} at /swagger: version {version[:40]!r} is not supported; {_ACCEPTED_VERSIONS}")
        return version
    if "openapi" in document:
        version = source_text(document["openapi"])
        if not _OPENAPI_VERSION.match(version):
            raise SpecError(f"spec {name!r} at /openapi: version {version[:40]!r} is not supported; {_ACCEPTED_VERSIONS}")
        return version
    raise SpecError(
        f"spec {name!r} at /: neither 'openapi' nor 'swagger' is set, so this is not an OpenAPI document; "
        f"{_ACCEPTED_VERSIONS}"
    )


def _operations(document: dict[str, Any], resolver: RefResolver, main: str, problems: list[tuple[str, str]]):
    paths = document.get("paths")
    if paths is None:
        return
    if not isinstance(paths, dict):
        raise SpecError(f"spec {main!r} at /paths: 'paths' is {type(paths).__name__}, not an object")
    for path, raw_item in paths.items():
        path_at = Location(main, pointer_join("/paths", str(path)))
        if not isinstance(path, str) or not path.startswith("/"):
            problems.append((path_at.pointer, f"path {str(path)!r} does not start with '/'; its operations are skipped"))
            continue
        try:
            path_item, item_at = resolver.resolve(raw_item, path_at)
        except MissingFileError as exc:
            raise SpecError(f"spec {main!r} at {path_at.pointer}: {exc}") from exc
        except OperationError as exc:
            problems.append((path_at.pointer, f"path item skipped: {exc}"))
            continue
        if not isinstance(path_item, dict):
            problems.append((path_at.pointer, "path item is not an object; skipped"))
            continue
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            at = item_at.child(method)
            if not isinstance(operation, dict):
                problems.append((at.pointer, f"operation is {type(operation).__name__}, not an object; skipped"))
                continue
            yield OperationSource(method, path, path_item, operation, item_at, at)


def compile_spec(
    bundle: SpecBundle,
    *,
    prefix_budget: int = 0,
    max_spec_bytes: int = MAX_SPEC_BYTES,
    allowed_server_hosts: Sequence[str] = (),
    base_url: str | None = None,
) -> CompiledSpec:
    """Compile a spec bundle into tools.

    `prefix_budget` is how many characters of the 64 a client may put before tool names.
    A path-item or operation server is kept only on the host of the base URL (`base_url`,
    the workspace's, or else the spec's first server) or on a host of `allowed_server_hosts`
    (`host` or `host:port`). Any other is dropped with a warning, so its tool calls the base URL.
    Raises SpecError when the spec as a whole cannot be used. A problem inside one
    operation skips that operation with a warning instead.
    """
    if isinstance(allowed_server_hosts, (str, bytes)) or not all(isinstance(host, str) for host in allowed_server_hosts):
        raise SpecError(
            f"workspace setting {ALLOWED_SERVER_HOSTS_SETTING!r} must be a list of host names such as "
            f"['uploads.example.com'], got {str(allowed_server_hosts)[:100]!r}"
        )
    with paused_gc():
        return _compile(
            bundle,
            prefix_budget=prefix_budget,
            max_spec_bytes=max_spec_bytes,
            allowed_server_hosts=allowed_server_hosts,
            base_url=base_url,
        )


def _compile(
    bundle: SpecBundle, *, prefix_budget: int, max_spec_bytes: int, allowed_server_hosts: Sequence[str], base_url: str | None
) -> CompiledSpec:
    limit = MAX_NAME_LENGTH - prefix_budget
    if prefix_budget < 0 or limit < MIN_NAME_LENGTH:
        raise SpecError(
            f"prefix budget {prefix_budget!r} is out of range: it must be between 0 and {MAX_NAME_LENGTH - MIN_NAME_LENGTH}"
        )
    _check_size(bundle, max_spec_bytes)
    main = bundle.main
    document = parse_document(main, bundle.files[main])
    if not isinstance(document, dict):
        raise SpecError(f"spec {main!r} at /: the document is {type(document).__name__}, not an object")
    version = _version(document, main)
    problems: list[tuple[str, str]] = []

    def load(name: str) -> Any:
        if name not in bundle.files:
            raise KeyError(name)
        return parse_document(name, bundle.files[name])

    swagger2: Swagger2Document | None = None
    if version.startswith("2"):
        swagger2 = convert_swagger2(document, main, problems)
        document = swagger2.document
    resolver = RefResolver(main, {main: document}, load)

    components = document.get("components") if isinstance(document.get("components"), dict) else {}
    schemes, scheme_problems = parse_schemes(components.get("securitySchemes"))
    problems.extend(("/components/securitySchemes", problem) for problem in scheme_problems)
    global_requirements = parse_requirements(document.get("security"))
    global_security, global_scopes = ((), {})
    if global_requirements is not None:
        global_security, global_scopes, requirement_problems = global_requirements
        requirement_problems += undefined_schemes(global_security, schemes)
        problems.extend(("/security", problem) for problem in requirement_problems)

    spec_servers = expand_servers(document.get("servers"))
    policy_base = base_url or (spec_servers[0] if spec_servers else None)
    context = OperationContext(
        resolver=resolver,
        converter=SchemaConverter(resolver, openapi30=not version.startswith(("3.1", "3.2")), problems=problems),
        schemes=schemes,
        global_security=global_security,
        global_scopes=dict(global_scopes),
        problems=problems,
        server_policy=ServerHostPolicy(policy_base, allowed_server_hosts),
    )
    names = NameAllocator(limit)
    tools: list[Tool] = []
    first_owner: dict[str, str] = {}
    for source in _operations(document, resolver, main, problems):
        wanted = base_name(source.operation.get("operationId"), source.method, source.path)
        try:
            tool_name = names.allocate(wanted, f"{source.method} {source.path}")
            tool = build_tool(source, tool_name, context)
        except MissingFileError as exc:
            message = f"spec {main!r} at {source.at.pointer}: {exc}"
            raise SpecError(swagger2.original_text(message) if swagger2 else message) from exc
        except (OperationError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            # Lenient by design: one broken spot costs only its operation.
            problems.append((source.at.pointer, f"operation {source.method.upper()} {source.path} skipped: {exc}"))
            continue
        if tool_name != wanted and wanted in first_owner:
            problems.append(
                (source.at.pointer, f"tool name {wanted!r} is already used by {first_owner[wanted]}; named {tool_name!r}")
            )
        first_owner.setdefault(wanted, f"{source.method.upper()} {source.path}")
        tools.append(tool)

    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    if swagger2 is not None:
        # Warnings name the pointers of the user's file, not those of the converted document.
        problems = [(swagger2.original_pointer(pointer), swagger2.original_text(message)) for pointer, message in problems]
    warnings = tuple(SpecWarning(pointer, message) for pointer, message in problems)
    for warning in warnings:
        logger.debug("spec %r: %s", main, warning)
    return CompiledSpec(
        title=source_text(info.get("title")) if info.get("title") is not None else "",
        version=source_text(info.get("version")) if info.get("version") is not None else "",
        openapi_version=version,
        tools=tuple(tools),
        security_schemes=schemes,
        servers=spec_servers,
        warnings=warnings,
    )
