"""`cast-gateway`: the operator's command line.

Each command group lives in its own module with a `register(subcommands)` function that
adds its parsers and sets `handler` to a function taking the parsed arguments and
returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

__all__ = ["main", "CommandError"]

COMMAND_MODULES = (
    "cast_gateway.cli.serve",
    "cast_gateway.cli.workspace",
    "cast_gateway.cli.tools",
    "cast_gateway.cli.audit",
    "cast_gateway.cli.demo",
    "cast_gateway.cli.db",
    "cast_gateway.cli.keys",
)

EXIT_USAGE = 2


class CommandError(Exception):
    """A command failed in a way the operator can fix; printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cast-gateway", description="Cast gateway: OpenAPI specs served as MCP servers.")
    parser.add_argument("--config", help="settings file (TOML); default: the built-in defaults")
    parser.add_argument("--remote", metavar="URL", help="run the command against a running gateway's internal API")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of our output went away (as `| head` does): nothing left to tell it.
        sys.stderr.close()
        return 0
    except (CommandError, ValueError, LookupError, OSError, PermissionError) as exc:
        # Every such error carries a message made for the operator; no traceback.
        print(f"cast-gateway: error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, (ValueError, CommandError)) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
