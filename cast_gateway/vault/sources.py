"""Key ring sources that the ring is read from and written back to: key file, environment or AWS.

The `keys` commands change the ring through a `RingSource`. The environment cannot be
written, so its source writes the changed ring to a file (mode 0600) that the operator
deploys as the new `CAST_VAULT_KEYS`.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Mapping, Protocol

from .aws import AwsRingLocation, create_ring_in_aws, load_ring_from_aws, save_ring_to_aws
from .errors import KeyConfigError
from .keyfile import ENV_KEYS, load_ring_file, ring_from_env, write_key_file
from .primitives import KEY_BYTES
from .ring import KeyRing

__all__ = ["RingSource", "FileRingSource", "EnvRingSource", "AwsRingSource", "new_ring", "load_ring_blocking"]


class RingSource(Protocol):
    def describe(self) -> str: ...

    async def load(self) -> KeyRing: ...

    async def save(self, ring: KeyRing) -> str:
        """Store the ring; return where it went, for the operator."""

    async def create(self, ring: KeyRing) -> str:
        """Store a first ring, failing if one exists."""


def new_ring() -> KeyRing:
    return KeyRing(keys={1: os.urandom(KEY_BYTES)}, primary=1, hash_key_id=1)


class FileRingSource:
    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"key file {str(self.path)!r}"

    async def load(self) -> KeyRing:
        return load_ring_file(self.path)

    async def save(self, ring: KeyRing) -> str:
        write_key_file(self.path, ring)
        return self.describe()

    async def create(self, ring: KeyRing) -> str:
        if self.path.exists():
            raise KeyConfigError(f"{self.describe()} already exists; it is never overwritten by 'keys init'")
        write_key_file(self.path, ring)
        return self.describe()


class EnvRingSource:
    def __init__(self, environ: Mapping[str, str], output: Path | None) -> None:
        self.environ = environ
        self.output = output

    def describe(self) -> str:
        return ENV_KEYS

    async def load(self) -> KeyRing:
        ring = ring_from_env(self.environ)
        if ring is None:
            raise KeyConfigError(f"{ENV_KEYS} is not set; export the current key ring or choose another vault.source")
        return ring

    async def save(self, ring: KeyRing) -> str:
        if self.output is None:
            raise KeyConfigError(
                f"{ENV_KEYS} cannot be written from here; pass --output FILE to write the new ring, "
                f"then deploy its content as {ENV_KEYS}"
            )
        if self.output.exists():
            raise KeyConfigError(f"output file {str(self.output)!r} exists; choose a new path")
        write_key_file(self.output, ring)
        return f"{str(self.output)!r} (deploy its content as {ENV_KEYS})"

    async def create(self, ring: KeyRing) -> str:
        return await self.save(ring)


class AwsRingSource:
    def __init__(self, location: AwsRingLocation) -> None:
        self.location = location

    def describe(self) -> str:
        return self.location.describe()

    async def load(self) -> KeyRing:
        return await load_ring_from_aws(self.location)

    async def save(self, ring: KeyRing) -> str:
        await save_ring_to_aws(self.location, ring)
        return self.describe()

    async def create(self, ring: KeyRing) -> str:
        await create_ring_in_aws(self.location, ring)
        return self.describe()


def load_ring_blocking(source: RingSource, timeout_s: float = 60.0) -> KeyRing:
    """Load a ring from synchronous start-up code, even when an event loop is running.

    The load runs on its own loop in a worker thread: start-up code that builds the
    vault is synchronous and may be called from inside a running loop.
    """
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="vault-ring-load") as pool:
        return pool.submit(asyncio.run, source.load()).result(timeout=timeout_s)
