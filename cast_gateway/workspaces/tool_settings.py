"""Per-tool settings of a workspace, applied to its compiled spec.

A workspace's `settings["tools"]` maps a tool's compiled name to its settings::

    {"enabled": false, "name": "find_orders", "description": "...", "fixed": {"region": "eu"}}

A disabled tool is left out. A renamed tool is served under its new name, and the
request it builds does not change. A fixed argument is removed from the input schema
(and from `required`), so the model is never shown it, and its value is merged into the
arguments of every call by `merge_fixed_arguments`.

Settings are checked against the spec strictly when they are set (`check_tool_settings`).
When a later spec upload makes them stale (a tool or argument gone, a new name that
clashes), `apply_tool_settings` skips the stale part with a `SpecWarning` instead of
failing, so that the workspace keeps serving.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import jsonschema

from ..openapi import CompiledSpec, SpecWarning, Tool

__all__ = [
    "ToolSettings",
    "ToolSettingsError",
    "parse_tool_settings",
    "apply_tool_settings",
    "check_tool_settings",
    "fixed_arguments",
    "merge_fixed_arguments",
    "TOOL_NAME_PATTERN",
    "MAX_DESCRIPTION_CHARS",
]

# The tool name rule of the strictest widely used MCP clients (64 characters of
# letters, digits, `_` and `-`), so a renamed tool works in all of them.
TOOL_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_DESCRIPTION_CHARS = 4096
SETTINGS_KEYS = frozenset({"enabled", "name", "description", "fixed"})


class ToolSettingsError(ValueError):
    """Tool settings that are malformed, or that do not fit the workspace's spec."""


@dataclass(frozen=True)
class ToolSettings:
    """The settings of one tool. The defaults leave the tool as compiled."""

    enabled: bool = True
    name: str | None = None
    description: str | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return self.enabled and self.name is None and self.description is None and not self.fixed

    @classmethod
    def from_json(cls, tool: str, data: Any) -> ToolSettings:
        """Read the JSON form, raising ToolSettingsError that names the tool and the key."""
        if not isinstance(data, Mapping):
            raise ToolSettingsError(f"settings of tool {tool!r} must be a JSON object")
        unknown = sorted(set(data) - SETTINGS_KEYS)
        if unknown:
            raise ToolSettingsError(
                f"settings of tool {tool!r}: unknown key {unknown[0][:64]!r}; use {', '.join(sorted(SETTINGS_KEYS))}"
            )
        enabled = data.get("enabled", True)
        name = data.get("name")
        description = data.get("description")
        fixed = data.get("fixed", {})
        if not isinstance(enabled, bool):
            raise ToolSettingsError(f"settings of tool {tool!r}: 'enabled' must be true or false")
        if name is not None and not (isinstance(name, str) and TOOL_NAME_PATTERN.fullmatch(name)):
            raise ToolSettingsError(
                f"settings of tool {tool!r}: name {str(name)[:80]!r} is invalid; "
                "use 1 to 64 letters, digits, '_' or '-'"
            )
        if description is not None and not isinstance(description, str):
            raise ToolSettingsError(f"settings of tool {tool!r}: 'description' must be a string")
        if description is not None and len(description) > MAX_DESCRIPTION_CHARS:
            raise ToolSettingsError(
                f"settings of tool {tool!r}: the description has {len(description)} characters; "
                f"the limit is {MAX_DESCRIPTION_CHARS}"
            )
        if not isinstance(fixed, Mapping):
            raise ToolSettingsError(f"settings of tool {tool!r}: 'fixed' must be a JSON object of argument values")
        return cls(enabled=enabled, name=name, description=description, fixed=dict(fixed))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if not self.enabled:
            data["enabled"] = False
        if self.name is not None:
            data["name"] = self.name
        if self.description is not None:
            data["description"] = self.description
        if self.fixed:
            data["fixed"] = dict(self.fixed)
        return data


def parse_tool_settings(settings: Mapping[str, Any] | None) -> dict[str, ToolSettings]:
    """Read `settings["tools"]` of a workspace into ToolSettings by compiled tool name."""
    raw = (settings or {}).get("tools") or {}
    if not isinstance(raw, Mapping):
        raise ToolSettingsError("workspace setting 'tools' must be a JSON object keyed by tool name")
    return {str(tool): ToolSettings.from_json(str(tool), data) for tool, data in raw.items()}


def check_tool_settings(compiled: CompiledSpec, tool_name: str, settings: ToolSettings, others: Mapping[str, ToolSettings]) -> None:
    """Check one tool's settings against the spec as compiled without settings.

    `others` are the settings of the other tools, for name clashes. Raises
    ToolSettingsError naming the tool, the offending key and the fix.
    """
    tool = compiled.tool(tool_name)
    if tool is None:
        known = ", ".join(sorted(t.name for t in compiled.tools)[:20])
        raise ToolSettingsError(f"tool {tool_name!r} not found in the workspace's spec; known tools: {known}")

    if settings.name is not None and settings.name != tool_name:
        taken = {t.name for t in compiled.tools if t.name != tool_name and not _renamed(others, t.name)}
        taken |= {s.name for name, s in others.items() if name != tool_name and s.name is not None}
        if settings.name in taken:
            raise ToolSettingsError(f"tool {tool_name!r}: name {settings.name!r} is taken by another tool; choose another")

    properties = tool.input_schema.get("properties", {})
    for argument, value in settings.fixed.items():
        if argument not in properties:
            raise ToolSettingsError(
                f"tool {tool_name!r}: fixed argument {argument[:64]!r} is not an argument of the tool; "
                f"its arguments are: {', '.join(sorted(properties)[:20])}"
            )
        validator = jsonschema.Draft202012Validator(properties[argument])
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            # The keyword and location only: the message would quote the value, and a fixed
            # value may be sensitive.
            location = "/".join(str(part) for part in error.absolute_path) or "(the value itself)"
            raise ToolSettingsError(
                f"tool {tool_name!r}: fixed argument {argument!r} does not match its schema "
                f"(keyword {error.validator!r} failed at {location}); fix the value"
            )


def apply_tool_settings(compiled: CompiledSpec, settings: Mapping[str, Any] | None) -> CompiledSpec:
    """Return the compiled spec with each tool's settings applied, stale parts skipped with a warning."""
    by_tool = parse_tool_settings(settings)
    if not by_tool:
        return compiled

    warnings = list(compiled.warnings)
    for tool_name in sorted(set(by_tool) - {tool.name for tool in compiled.tools}):
        warnings.append(SpecWarning(_pointer(tool_name), "the tool is not in the spec; its settings are ignored"))

    named: list[tuple[str, Tool]] = []
    for tool in compiled.tools:
        tool_settings = by_tool.get(tool.name)
        if tool_settings is None:
            named.append((tool.name, tool))
        elif tool_settings.enabled:
            named.append((tool.name, _apply(tool, tool_settings, warnings)))

    tools = _undo_clashing_renames(named, warnings)
    return replace(compiled, tools=tuple(tools), warnings=tuple(warnings))


def fixed_arguments(tool: Tool) -> Mapping[str, Any]:
    """Return the argument values that the tool's settings fix."""
    return tool.fixed_arguments


def merge_fixed_arguments(tool: Tool, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Return the call's arguments with the fixed values added.

    A fixed value wins over an argument of the same name, because the model must not be
    able to change what the workspace owner fixed.
    """
    return {**arguments, **tool.fixed_arguments}


def _apply(tool: Tool, settings: ToolSettings, warnings: list[SpecWarning]) -> Tool:
    schema = tool.input_schema
    fixed: dict[str, Any] = {}
    if settings.fixed:
        properties = schema.get("properties", {})
        for argument, value in settings.fixed.items():
            if argument in properties:
                fixed[argument] = value
            else:
                warnings.append(
                    SpecWarning(_pointer(tool.name), f"fixed argument {argument[:64]!r} is not an argument of the tool; ignored")
                )
        schema = _without_arguments(schema, fixed)
    return replace(
        tool,
        name=settings.name or tool.name,
        description=settings.description if settings.description is not None else tool.description,
        input_schema=schema,
        fixed_arguments=fixed,
    )


def _without_arguments(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    trimmed = copy.deepcopy(dict(schema))
    properties = trimmed.get("properties", {})
    for argument in arguments:
        properties.pop(argument, None)
    if "required" in trimmed:
        trimmed["required"] = [name for name in trimmed["required"] if name not in arguments]
        if not trimmed["required"]:
            del trimmed["required"]
    return trimmed


def _undo_clashing_renames(named: list[tuple[str, Tool]], warnings: list[SpecWarning]) -> list[Tool]:
    """Give its compiled name back to each renamed tool whose new name another tool also has.

    `named` pairs each tool's compiled name with the tool. Undoing one rename can make a new
    clash with a tool renamed to that compiled name, so this repeats until no clash is left.
    Compiled names are unique, so the loop ends with every name unique.
    """
    current = list(named)
    while True:
        counts: dict[str, int] = {}
        for _compiled_name, tool in current:
            counts[tool.name] = counts.get(tool.name, 0) + 1
        clashing = [
            index for index, (compiled_name, tool) in enumerate(current)
            if counts[tool.name] > 1 and tool.name != compiled_name
        ]
        if not clashing:
            return [tool for _compiled_name, tool in current]
        for index in clashing:
            compiled_name, tool = current[index]
            warnings.append(
                SpecWarning(_pointer(compiled_name), f"new name {tool.name!r} is taken by another tool; the rename is ignored")
            )
            current[index] = (compiled_name, replace(tool, name=compiled_name))


def _renamed(others: Mapping[str, ToolSettings], tool_name: str) -> bool:
    other = others.get(tool_name)
    return other is not None and other.name is not None and other.name != tool_name


def _pointer(tool_name: str) -> str:
    escaped = tool_name.replace("~", "~0").replace("/", "~1")
    return f"/settings/tools/{escaped}"
