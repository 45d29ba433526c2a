"""Parameter Objects of an operation: merging path-item and operation lists, styles, schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import OperationError
from .refs import Location, RefResolver

__all__ = ["RawParameter", "collect_parameters", "IGNORED_HEADERS", "default_style"]

IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
"""Header parameters OpenAPI says to ignore: the gateway sets these itself."""

_LOCATIONS = ("path", "query", "header", "cookie")
_STYLES = {
    "path": {"simple", "label", "matrix"},
    "query": {"form", "spaceDelimited", "pipeDelimited", "deepObject", "tabDelimited"},
    "header": {"simple"},
    "cookie": {"form"},
}


def default_style(location: str) -> str:
    return "form" if location in ("query", "cookie") else "simple"


@dataclass(frozen=True)
class RawParameter:
    """A resolved Parameter Object with where it came from."""

    name: str
    location: str
    value: dict[str, Any]
    at: Location

    @property
    def identity(self) -> tuple[str, str]:
        # Header names are case-insensitive, so `X-Trace-Id` and `x-trace-id` are one parameter.
        return (self.name.lower() if self.location == "header" else self.name, self.location)


def _resolve_list(raw: Any, at: Location, resolver: RefResolver, problems: list[tuple[str, str]]) -> list[RawParameter]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise OperationError(f"'parameters' at {at.pointer} is not a list")
    resolved: list[RawParameter] = []
    for index, item in enumerate(raw):
        value, where = resolver.resolve(item, at.child(index))
        name = value.get("name") if isinstance(value, dict) else None
        location = value.get("in") if isinstance(value, dict) else None
        if not isinstance(name, str) or not name or location not in _LOCATIONS:
            problems.append((where.pointer, f"parameter without a usable 'name' and 'in' ({name!r}, {location!r}); ignored"))
            continue
        resolved.append(RawParameter(name, location, value, where))
    return resolved


def collect_parameters(
    path_level: Any,
    operation_level: Any,
    path_at: Location,
    operation_at: Location,
    resolver: RefResolver,
    problems: list[tuple[str, str]],
) -> list[RawParameter]:
    """Return the operation's parameters: path-item ones, replaced by operation ones with the same (name, in)."""
    merged: dict[tuple[str, str], RawParameter] = {}
    for parameter in _resolve_list(path_level, path_at, resolver, problems):
        merged[parameter.identity] = parameter
    for parameter in _resolve_list(operation_level, operation_at, resolver, problems):
        merged.pop(parameter.identity, None)
        merged[parameter.identity] = parameter
    return list(merged.values())


def style_of(parameter: RawParameter) -> tuple[str, bool]:
    """Return the parameter's style and explode flag with OpenAPI's defaults."""
    style = parameter.value.get("style")
    if not isinstance(style, str) or style not in _STYLES[parameter.location]:
        style = default_style(parameter.location)
    explode = parameter.value.get("explode")
    if not isinstance(explode, bool):
        explode = style == "form"
    return style, explode
