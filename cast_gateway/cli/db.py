"""`cast-gateway db migrate` and `db status`: the store's schema version."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from ..backends import build_store
from ..config import load_settings
from ..store import StoreError
from ..store.sql import load_migrations
from .main import CommandError

__all__ = ["register"]


def register(subcommands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subcommands.add_parser("db", help="manage the store's schema")
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    migrate = actions.add_parser("migrate", help="apply pending schema migrations (safe to run again)")
    migrate.set_defaults(handler=run_migrate)
    status = actions.add_parser("status", help="print the schema version of the database and of this gateway")
    status.set_defaults(handler=run_status)


def run_migrate(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)

    async def migrate() -> list[int]:
        store = build_store(settings)
        await store.open()
        try:
            return await store.migrate()
        finally:
            await store.close()

    try:
        applied = asyncio.run(migrate())
    except StoreError as exc:
        raise CommandError(f"db migrate failed: {exc}") from None
    if applied:
        print(f"applied migrations {', '.join(str(version) for version in applied)}")
    else:
        print("schema is up to date")
    return 0


def run_status(args: argparse.Namespace) -> int:
    settings = load_settings(Path(args.config) if args.config else None)
    store = build_store(settings)

    async def version() -> int:
        await store.open()
        try:
            return await store.schema_version()  # type: ignore[attr-defined, no-any-return]
        finally:
            await store.close()

    try:
        current = asyncio.run(version())
    except StoreError as exc:
        raise CommandError(f"db status failed: {exc}") from None
    known = max(number for number, _ in load_migrations(store.dialect))  # type: ignore[attr-defined]
    print(f"database schema version {current}; this gateway knows up to {known}")
    return 0 if current == known else 1
