"""`tools preview`: compile a spec and print its tools, without starting or storing anything."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from ..openapi import SpecError, Tool, compile_spec
from .context import read_bundle

__all__ = ["register", "tool_summary"]

EXIT_INVALID_SPEC = 2


def register(subcommands: Any) -> None:
    tools = subcommands.add_parser("tools", help="inspect the tools a spec becomes")
    actions = tools.add_subparsers(dest="action", required=True, metavar="ACTION")
    preview = actions.add_parser("preview", help="compile a spec and print its tools; warnings go to stderr")
    preview.add_argument("spec", metavar="SPEC", help="the OpenAPI document (JSON or YAML)")
    preview.add_argument("spec_files", nargs="*", metavar="FILE", help="other files of the spec that relative $refs name")
    preview.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    preview.add_argument("--prefix-budget", type=int, default=0, metavar="N",
                         help="characters to keep free in each tool name for a client's prefix (default 0)")
    preview.set_defaults(handler=preview_command)


def tool_summary(tool: Tool) -> dict[str, Any]:
    hints = tool.hints
    annotations = {
        "title": hints.title,
        "readOnlyHint": hints.read_only,
        "destructiveHint": hints.destructive,
        "idempotentHint": hints.idempotent,
        "openWorldHint": hints.open_world,
    }
    return {
        "name": tool.name,
        "description": tool.description,
        "method": tool.method,
        "path": tool.path,
        "inputSchema": tool.input_schema,
        "outputSchema": tool.output_schema,
        "annotations": {key: value for key, value in annotations.items() if value is not None},
    }


def preview_command(args: argparse.Namespace) -> int:
    if not 0 <= args.prefix_budget < 60:
        raise ValueError(f"--prefix-budget {args.prefix_budget} is out of range; use 0 to 59")
    bundle = read_bundle(args.spec, args.spec_files)
    try:
        compiled = compile_spec(bundle, prefix_budget=args.prefix_budget)
    except SpecError as exc:
        print(f"cast-gateway: error: {exc}", file=sys.stderr)
        return EXIT_INVALID_SPEC

    for warning in compiled.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        sys.stdout.buffer.write(orjson.dumps([tool_summary(tool) for tool in compiled.tools], option=orjson.OPT_INDENT_2))
        sys.stdout.write("\n")
        return 0

    width = max((len(tool.name) for tool in compiled.tools), default=4)
    print(f"{compiled.title} {compiled.version} ({compiled.openapi_version}): {len(compiled.tools)} tools")
    for tool in compiled.tools:
        summary = tool.description.splitlines()[0][:80] if tool.description else ""
        print(f"  {tool.name:<{width}}  {tool.method.upper():<7} {tool.path}  {summary}")
    return 0
