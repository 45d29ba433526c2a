"""Tool settings applied to a compiled spec: disable, rename, describe, fix arguments."""

from __future__ import annotations

import pytest

from cast_gateway.openapi import CompiledSpec, Tool
from cast_gateway.workspaces.tool_settings import (
    ToolSettings,
    ToolSettingsError,
    apply_tool_settings,
    check_tool_settings,
    fixed_arguments,
    merge_fixed_arguments,
    parse_tool_settings,
)


def make_tool(name: str, path: str) -> Tool:
    return Tool(
        name=name,
        description=f"{name} description",
        method="GET",
        path=path,
        input_schema={
            "type": "object",
            "properties": {"region": {"type": "string", "enum": ["eu", "us"]}, "limit": {"type": "integer"}},
            "required": ["region"],
            "additionalProperties": False,
        },
    )


COMPILED = CompiledSpec(
    title="Shop",
    version="1",
    openapi_version="3.1.0",
    tools=(make_tool("list_orders", "/orders"), make_tool("list_items", "/items"), make_tool("get_user", "/user")),
    security_schemes={},
    servers=("https://api.example.com",),
)


def tools_by_name(compiled: CompiledSpec) -> dict[str, Tool]:
    return {tool.name: tool for tool in compiled.tools}


def test_no_settings_returns_spec_unchanged() -> None:
    assert apply_tool_settings(COMPILED, {}) is COMPILED
    assert apply_tool_settings(COMPILED, None) is COMPILED


def test_disabled_tool_is_left_out() -> None:
    result = apply_tool_settings(COMPILED, {"tools": {"list_items": {"enabled": False}}})
    assert set(tools_by_name(result)) == {"list_orders", "get_user"}


def test_renamed_tool_keeps_its_request() -> None:
    result = tools_by_name(apply_tool_settings(COMPILED, {"tools": {"list_orders": {"name": "find_orders"}}}))
    assert "list_orders" not in result
    assert result["find_orders"].path == "/orders"
    assert result["find_orders"].method == "GET"


def test_description_override() -> None:
    result = tools_by_name(apply_tool_settings(COMPILED, {"tools": {"get_user": {"description": "Who am I"}}}))
    assert result["get_user"].description == "Who am I"


def test_fixed_argument_hidden_from_schema() -> None:
    result = tools_by_name(apply_tool_settings(COMPILED, {"tools": {"list_orders": {"fixed": {"region": "eu"}}}}))
    tool = result["list_orders"]
    assert "region" not in tool.input_schema["properties"]
    assert "required" not in tool.input_schema
    assert tool.input_schema["properties"]["limit"] == {"type": "integer"}
    assert fixed_arguments(tool) == {"region": "eu"}


def test_fixed_argument_leaves_compiled_schema_alone() -> None:
    apply_tool_settings(COMPILED, {"tools": {"list_orders": {"fixed": {"region": "eu"}}}})
    assert "region" in COMPILED.tools[0].input_schema["properties"]
    assert COMPILED.tools[0].input_schema["required"] == ["region"]


def test_merge_fixed_value_wins_over_model() -> None:
    tool = tools_by_name(apply_tool_settings(COMPILED, {"tools": {"list_orders": {"fixed": {"region": "eu"}}}}))["list_orders"]
    assert merge_fixed_arguments(tool, {"limit": 3}) == {"limit": 3, "region": "eu"}
    assert merge_fixed_arguments(tool, {"region": "us"}) == {"region": "eu"}


def test_stale_settings_warn_instead_of_failing() -> None:
    settings = {"tools": {"gone_tool": {"enabled": False}, "get_user": {"fixed": {"gone_argument": 1}}}}
    result = apply_tool_settings(COMPILED, settings)
    messages = [str(warning) for warning in result.warnings]

    assert len(result.tools) == 3
    assert any("/settings/tools/gone_tool" in message for message in messages)
    assert any("gone_argument" in message for message in messages)


def test_clashing_rename_is_undone_with_warning() -> None:
    settings = {"tools": {"list_orders": {"name": "get_user"}}}
    result = apply_tool_settings(COMPILED, settings)
    assert set(tools_by_name(result)) == {"list_orders", "list_items", "get_user"}
    assert any("is taken" in str(warning) for warning in result.warnings)


def test_chained_clashes_are_all_undone() -> None:
    settings = {"tools": {"list_orders": {"name": "x"}, "list_items": {"name": "x"}, "get_user": {"name": "list_orders"}}}
    names = [tool.name for tool in apply_tool_settings(COMPILED, settings).tools]
    assert sorted(names) == ["get_user", "list_items", "list_orders"]


def test_swapped_names_are_allowed() -> None:
    settings = {"tools": {"list_orders": {"name": "list_items"}, "list_items": {"name": "list_orders"}}}
    result = tools_by_name(apply_tool_settings(COMPILED, settings))
    assert result["list_items"].path == "/orders"
    assert result["list_orders"].path == "/items"


@pytest.mark.parametrize(
    "data,fragment",
    [
        ("off", "must be a JSON object"),
        ({"enable": False}, "unknown key 'enable'"),
        ({"enabled": "no"}, "'enabled' must be true or false"),
        ({"name": "has space"}, "is invalid"),
        ({"name": "x" * 65}, "is invalid"),
        ({"description": 3}, "'description' must be a string"),
        ({"description": "d" * 4097}, "the limit is 4096"),
        ({"fixed": ["region"]}, "'fixed' must be a JSON object"),
    ],
)
def test_malformed_settings_are_rejected(data: object, fragment: str) -> None:
    with pytest.raises(ToolSettingsError, match=fragment):
        parse_tool_settings({"tools": {"list_orders": data}})


def test_settings_round_trip_through_json() -> None:
    settings = ToolSettings(enabled=False, name="n", description="d", fixed={"a": 1})
    assert ToolSettings.from_json("t", settings.to_json()) == settings
    assert ToolSettings().to_json() == {}
    assert ToolSettings().is_default


def test_check_rejects_unknown_tool() -> None:
    with pytest.raises(ToolSettingsError, match="tool 'nope' not found"):
        check_tool_settings(COMPILED, "nope", ToolSettings(enabled=False), {})


def test_check_rejects_unknown_fixed_argument() -> None:
    with pytest.raises(ToolSettingsError, match="'colour' is not an argument"):
        check_tool_settings(COMPILED, "list_orders", ToolSettings(fixed={"colour": "red"}), {})


def test_check_rejects_value_against_schema() -> None:
    with pytest.raises(ToolSettingsError, match="does not match its schema"):
        check_tool_settings(COMPILED, "list_orders", ToolSettings(fixed={"region": "mars"}), {})


def test_check_rejects_taken_name() -> None:
    with pytest.raises(ToolSettingsError, match="is taken"):
        check_tool_settings(COMPILED, "list_orders", ToolSettings(name="get_user"), {})
    with pytest.raises(ToolSettingsError, match="is taken"):
        check_tool_settings(COMPILED, "list_orders", ToolSettings(name="y"), {"list_items": ToolSettings(name="y")})


def test_check_allows_name_freed_by_rename() -> None:
    others = {"get_user": ToolSettings(name="whoami")}
    check_tool_settings(COMPILED, "list_orders", ToolSettings(name="get_user"), others)
