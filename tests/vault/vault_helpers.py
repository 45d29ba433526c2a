"""Helpers for vault tests: keys, a service over a given store and vault, bulk-seeded secrets."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from cast_gateway.blobs.local import LocalBlobStore
from cast_gateway.cache import MemoryCache
from cast_gateway.store import WorkspaceRecord
from cast_gateway.store.sql import SqlStore
from cast_gateway.vault import Purpose, Vault
from cast_gateway.workspaces.service import WorkspaceService

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(32, 64))


def make_service(store: SqlStore, vault: Vault, tmp_path: Path, cache: MemoryCache | None = None) -> WorkspaceService:
    return WorkspaceService(store, LocalBlobStore(tmp_path / "specs"), cache or MemoryCache(), vault)


def secret_value(workspace_id: str, index: int) -> str:
    return f"planted-{workspace_id}-{index:05d}"


async def seed_secrets(store: SqlStore, vault: Vault, workspace_ids: Sequence[str], per_workspace: int) -> None:
    """Insert workspaces and encrypted secrets in one transaction (fast enough for 10,000 rows)."""
    for workspace_id in workspace_ids:
        await store.create_workspace(WorkspaceRecord(id=workspace_id, spec=None))
    rows = []
    for workspace_id in workspace_ids:
        for index in range(per_workspace):
            secret_id = f"{workspace_id}-s{index:05d}"
            ciphertext = vault.encrypt(
                secret_value(workspace_id, index).encode(), purpose=Purpose.COLUMN, workspace_id=workspace_id,
                secret_id=secret_id,
            )
            rows.append([secret_id, workspace_id, f"scheme{index}", ciphertext, vault.primary, 0, 0, None])
    async with store.transaction() as session:
        for row in rows:
            await session.execute(
                "INSERT INTO secrets (id, workspace_id, name, ciphertext, key_id, created_at, updated_at, last_used_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
