"""The interface every store implements; contract tests run it against each backend."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, Sequence

from .records import AuditEvent, ClientTokenRecord, SecretRecord, WorkspaceRecord

__all__ = ["Store"]


class Store(Protocol):
    async def open(self) -> None:
        """Connect and check the schema version (raises SchemaVersionError when it is newer)."""

    async def close(self) -> None: ...

    async def migrate(self) -> list[int]:
        """Apply pending migrations in order; return the versions applied (empty when current)."""

    # Workspaces. Deleted workspaces stay as rows with `deleted_at` until purged.
    async def create_workspace(self, record: WorkspaceRecord) -> None:
        """Insert; ConflictError when the id exists (deleted but unpurged ids included)."""

    async def get_workspace(self, workspace_id: str, *, include_deleted: bool = False) -> WorkspaceRecord | None: ...

    async def list_workspaces(self, *, include_deleted: bool = False) -> list[WorkspaceRecord]: ...

    async def update_workspace(self, record: WorkspaceRecord, *, expected_revision: int) -> WorkspaceRecord:
        """Write `record` with revision `expected_revision + 1`; ConflictError when the stored revision differs."""

    async def touch_workspace(self, workspace_id: str, *, at: datetime) -> bool:
        """Raise the revision of a live workspace whose secrets or tokens changed."""

    async def workspace_revisions(self, workspace_ids: Sequence[str]) -> dict[str, int]:
        """Return the revisions of those of `workspace_ids` that are live (deleted ones are left out)."""

    async def delete_workspace(self, workspace_id: str, *, at: datetime) -> bool:
        """Soft-delete; also revokes its tokens. False when there was no live workspace."""

    async def purge_workspaces(self, deleted_before: datetime) -> list[str]:
        """Remove soft-deleted workspaces, with their secrets and tokens; return their ids."""

    # Secrets: ciphertext only, unique by (workspace_id, name).
    async def put_secret(self, record: SecretRecord) -> None:
        """Insert, or replace the ciphertext of the secret with the same workspace and name (keeping its id)."""

    async def get_secret(self, workspace_id: str, name: str) -> SecretRecord | None: ...

    async def list_secrets(self, workspace_id: str) -> list[SecretRecord]: ...

    async def delete_secret(self, workspace_id: str, name: str) -> bool: ...

    async def replace_secret_ciphertext(self, secret_id: str, old: bytes, new: bytes, new_key_id: int) -> bool:
        """Compare-and-set for rewrap: write `new` only while the row still contains `old`."""

    async def replace_secret_ciphertexts(self, changes: Sequence[tuple[str, bytes, bytes, int]]) -> int:
        """`replace_secret_ciphertext` for each (secret_id, old, new, new_key_id) in one transaction.

        Every change must carry the same `new_key_id`. Returns how many rows were replaced.
        """

    async def list_secrets_by_key(self, key_ids: Sequence[int], limit: int, after_id: str = "") -> list[SecretRecord]:
        """Secrets encrypted under any of `key_ids`, ordered by id, for resumable rewrap."""

    async def mark_secrets_used(self, secret_ids: Sequence[str], at: datetime) -> None: ...

    # Client tokens, looked up by keyed hash.
    async def add_client_token(self, record: ClientTokenRecord) -> None: ...

    async def find_client_token(self, token_hash: bytes) -> ClientTokenRecord | None: ...

    async def list_client_tokens(self, workspace_id: str) -> list[ClientTokenRecord]: ...

    async def revoke_client_token(self, workspace_id: str, token_id: str, *, at: datetime) -> bool: ...

    # Audit.
    async def insert_audit(self, events: Sequence[AuditEvent]) -> None: ...

    async def list_audit(self, workspace_id: str, limit: int) -> list[AuditEvent]:
        """Return the newest `limit` events, newest first."""

    async def delete_audit_before(self, cutoff: datetime) -> int: ...

    # Counters (vault encryptions per key id, and the like).
    async def add_to_counter(self, name: str, amount: int) -> int:
        """Add to a named counter and return its new value."""

    async def get_counter(self, name: str) -> int: ...
