"""Rewrap: re-encrypt secret rows under the primary key while the gateway keeps serving.

Each row is written with compare-and-set on its old ciphertext, so a secret that is set
again during the rewrap keeps the new value (its row is counted as changed, not
overwritten). Rows move in batches ordered by id; the report's `last_id` lets an
interrupted run resume, and a plain rerun also resumes, because rewrapped rows no
longer match the old key ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol, Sequence

from ..store.records import SecretRecord
from .errors import DecryptionError
from .usage import EncryptionBudget
from .vault import Purpose, Vault

__all__ = ["RewrapReport", "RewrapFailure", "rewrap_secrets", "count_secrets_below", "REWRAP_BATCH_SIZE"]

logger = logging.getLogger(__name__)

REWRAP_BATCH_SIZE = 500


class RewrapStore(Protocol):
    async def list_secrets(self, workspace_id: str) -> list[SecretRecord]: ...

    async def list_secrets_by_key(self, key_ids: Sequence[int], limit: int, after_id: str = "") -> list[SecretRecord]: ...

    async def replace_secret_ciphertexts(self, changes: Sequence[tuple[str, bytes, bytes, int]]) -> int: ...


@dataclass(frozen=True)
class RewrapFailure:
    """A row that did not decrypt (key missing from the ring, retired, or a bad tag)."""

    workspace_id: str
    secret_id: str
    key_id: int


@dataclass(frozen=True)
class RewrapReport:
    scanned: int
    rewrapped: int
    changed_concurrently: int
    failures: tuple[RewrapFailure, ...]
    last_id: str

    @property
    def complete(self) -> bool:
        """Whether every scanned row now uses the primary key (so the floor may rise)."""
        return not self.failures


async def _next_batch(
    store: RewrapStore, stale_ids: Sequence[int], workspace_id: str | None, batch_size: int, after_id: str
) -> list[SecretRecord]:
    if workspace_id is None:
        return await store.list_secrets_by_key(stale_ids, batch_size, after_id)
    # One workspace has few secrets: list them all and filter, in id order like the full scan.
    rows = sorted(await store.list_secrets(workspace_id), key=lambda row: row.id)
    stale = set(stale_ids)
    return [row for row in rows if row.key_id in stale and row.id > after_id][:batch_size]


async def rewrap_secrets(
    store: RewrapStore,
    vault: Vault,
    budget: EncryptionBudget,
    *,
    workspace_id: str | None = None,
    batch_size: int = REWRAP_BATCH_SIZE,
    after_id: str = "",
    on_batch: Callable[[RewrapReport, frozenset[str]], Awaitable[None]] | None = None,
) -> RewrapReport:
    """Move every secret row not under the primary key to it.

    `on_batch` runs after each committed batch with the running report and the ids of
    the workspaces whose rows changed (the caller evicts their cached configs there).
    """
    if batch_size < 1:
        raise ValueError(f"batch size {batch_size} must be at least 1")
    primary = vault.primary
    # Rows under ids missing from the ring are not listed: no key can move them.
    stale_ids = [key_id for key_id in vault.key_ids if key_id != primary]
    scanned = rewrapped = changed = 0
    failures: list[RewrapFailure] = []

    while True:
        batch = await _next_batch(store, stale_ids, workspace_id, batch_size, after_id)
        if not batch:
            break
        after_id = batch[-1].id
        scanned += len(batch)
        await budget.reserve(Purpose.COLUMN, primary, len(batch))

        changes = []
        for row in batch:
            try:
                new = vault.rewrap(row.ciphertext, purpose=Purpose.COLUMN, workspace_id=row.workspace_id, secret_id=row.id)
            except DecryptionError:
                logger.warning(
                    "rewrap: secret %s of workspace %s under key %d does not decrypt; left as it is",
                    row.id, row.workspace_id, row.key_id,
                )
                failures.append(RewrapFailure(row.workspace_id, row.id, row.key_id))
                continue
            changes.append((row, new))

        replaced = await store.replace_secret_ciphertexts([(row.id, row.ciphertext, new, primary) for row, new in changes])
        rewrapped += replaced
        changed += len(changes) - replaced
        report = RewrapReport(scanned, rewrapped, changed, tuple(failures), after_id)
        if on_batch is not None:
            await on_batch(report, frozenset(row.workspace_id for row, _ in changes))

    return RewrapReport(scanned, rewrapped, changed, tuple(failures), after_id)


async def count_secrets_below(store: RewrapStore, vault: Vault, floor: int, *, limit: int = 1000) -> int:
    """Count rows under known key ids below `floor`, stopping at `limit`."""
    below = [key_id for key_id in vault.key_ids if key_id < floor]
    return len(await store.list_secrets_by_key(below, limit)) if below else 0
