"""Command helpers: settings, the event loop, and the operations a command runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, TypeVar

from ..backends import open_backends
from ..config import Settings, load_settings
from ..openapi import SpecBundle

__all__ = ["settings_of", "run", "local_service", "operations", "read_bundle", "read_secret_value"]

T = TypeVar("T")

MAX_SPEC_FILE_BYTES = 32 * 1024 * 1024


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(Path(args.config) if args.config else None)


def run(coroutine: Awaitable[T]) -> T:
    return asyncio.run(coroutine)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def local_service(args: argparse.Namespace) -> AsyncIterator[Any]:
    settings = settings_of(args)
    async with open_backends(settings, migrate=settings.store.backend == "sqlite") as backends:
        yield backends.service


@contextlib.asynccontextmanager
async def operations(args: argparse.Namespace) -> AsyncIterator[Any]:
    """Yield the workspace service, or with `--remote URL` a signed client of a running gateway."""
    if getattr(args, "remote", None):
        from .remote import RemoteOperations

        remote = RemoteOperations(args.remote)
        try:
            yield remote
        finally:
            await remote.close()
        return
    async with local_service(args) as service:
        yield service


def read_bundle(spec: str, companions: list[str] | None = None) -> SpecBundle:
    """The main spec file plus files its relative `$ref`s name, keyed relative to the main file."""
    main = Path(spec)
    files = {main.name: _read_file(main)}
    for companion in companions or []:
        path = Path(companion)
        try:
            name = str(path.resolve().relative_to(main.resolve().parent))
        except ValueError:
            raise ValueError(f"spec file {companion!r} must sit in or below the folder of {spec!r}") from None
        files[name] = _read_file(path)
    return SpecBundle(main=main.name, files=files)


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FileNotFoundError(f"spec file {str(path)!r} not found") from None
    if size > MAX_SPEC_FILE_BYTES:
        raise ValueError(f"spec file {str(path)!r} is {size} bytes; the limit is {MAX_SPEC_FILE_BYTES}")
    return path.read_bytes()


def read_secret_value(value_file: str | None) -> str:
    """Read a secret from a file or standard input, never from the command line (argv is visible to other users)."""
    if value_file:
        raw = Path(value_file).read_text()
    else:
        if sys.stdin.isatty():
            import getpass

            raw = getpass.getpass("secret value: ")
        else:
            raw = sys.stdin.read()
    value = raw.rstrip("\r\n")
    if not value:
        raise ValueError("the secret value is empty; pass it on standard input or with --value-file")
    return value
