"""The store's queries, written once for every SQL backend.

A backend subclass supplies a connection-level `Session` (execute, fetch, transaction)
and its migration folder. Queries use `?` placeholders; backends that want `%s`
rewrite them in their session.
"""

from __future__ import annotations

import abc
import contextlib
from datetime import datetime
from importlib import resources
from typing import Any, Sequence

import orjson

from .errors import ConflictError, SchemaVersionError
from .records import (
    AuditEvent,
    ClientTokenRecord,
    SecretRecord,
    SpecRef,
    WorkspaceRecord,
    from_micros,
    to_micros,
    utc_now,
)

__all__ = ["SqlStore", "Session", "load_migrations"]

Row = Sequence[Any]


class Session(abc.ABC):
    """One connection, possibly inside a transaction."""

    @abc.abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement and return the affected row count."""

    @abc.abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None


def load_migrations(dialect: str) -> list[tuple[int, list[str]]]:
    """Migrations of a dialect as (version, statements), oldest first."""
    folder = resources.files("cast_gateway.store.migrations").joinpath(dialect)
    migrations = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".sql"):
            continue
        version = int(entry.name.split("_", 1)[0])
        text = "\n".join(line for line in entry.read_text().splitlines() if not line.lstrip().startswith("--"))
        statements = [part.strip() for part in text.split(";") if part.strip()]
        migrations.append((version, statements))
    return migrations


WORKSPACE_COLUMNS = "id, spec_json, base_url, settings_json, revision, created_at, updated_at, deleted_at"
# Rows per compare-and-set statement: 4 parameters a row stays far below the
# placeholder limits of SQLite (32766) and MySQL (65535).
CAS_CHUNK_ROWS = 250
SECRET_COLUMNS = "id, workspace_id, name, ciphertext, key_id, created_at, updated_at, last_used_at"
TOKEN_COLUMNS = "id, workspace_id, token_hash, label, created_at, revoked_at"
AUDIT_COLUMNS = "ts, workspace_id, tool, status, latency_ms, client_id, outcome"


def _workspace(row: Row) -> WorkspaceRecord:
    return WorkspaceRecord(
        id=row[0],
        spec=SpecRef.from_json(orjson.loads(row[1])) if row[1] else None,
        base_url=row[2],
        settings=orjson.loads(row[3]),
        revision=int(row[4]),
        created_at=from_micros(row[5]) or utc_now(),
        updated_at=from_micros(row[6]) or utc_now(),
        deleted_at=from_micros(row[7]),
    )


def _workspace_params(record: WorkspaceRecord) -> list[Any]:
    return [
        orjson.dumps(record.spec.to_json()).decode() if record.spec else None,
        record.base_url,
        orjson.dumps(dict(record.settings)).decode(),
    ]


def _secret(row: Row) -> SecretRecord:
    return SecretRecord(
        id=row[0],
        workspace_id=row[1],
        name=row[2],
        ciphertext=bytes(row[3]),
        key_id=int(row[4]),
        created_at=from_micros(row[5]) or utc_now(),
        updated_at=from_micros(row[6]) or utc_now(),
        last_used_at=from_micros(row[7]),
    )


def _token(row: Row) -> ClientTokenRecord:
    return ClientTokenRecord(
        id=row[0],
        workspace_id=row[1],
        token_hash=bytes(row[2]),
        label=row[3],
        created_at=from_micros(row[4]) or utc_now(),
        revoked_at=from_micros(row[5]),
    )


def _audit(row: Row) -> AuditEvent:
    return AuditEvent(
        timestamp=from_micros(row[0]) or utc_now(),
        workspace_id=row[1],
        tool=row[2],
        status=row[3],
        latency_ms=float(row[4]),
        client_id=row[5],
        outcome=row[6],
    )


class SqlStore(abc.ABC):
    """Every store operation, over an abstract `Session`."""

    dialect: str

    @abc.abstractmethod
    def session(self) -> contextlib.AbstractAsyncContextManager[Session]:
        """Open a session outside any transaction (autocommit)."""

    @abc.abstractmethod
    def transaction(self) -> contextlib.AbstractAsyncContextManager[Session]:
        """Open a session whose statements commit together, or roll back on an exception."""

    @abc.abstractmethod
    def is_integrity_error(self, exc: BaseException) -> bool: ...

    # --- schema

    async def schema_version(self) -> int:
        async with self.session() as session:
            await session.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)")
            row = await session.fetchone("SELECT MAX(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    async def check_schema(self) -> None:
        current = await self.schema_version()
        known = max(version for version, _ in load_migrations(self.dialect))
        if current > known:
            raise SchemaVersionError(
                f"database schema version {current} is newer than this gateway's {known}; upgrade the gateway"
            )

    async def migrate(self) -> list[int]:
        await self.check_schema()
        current = await self.schema_version()
        applied = []
        for version, statements in load_migrations(self.dialect):
            if version <= current:
                continue
            # NOTE: MySQL commits DDL implicitly, so a migration that fails halfway is not
            # rolled back there; each migration file is kept to statements safe to rerun by hand.
            async with self.transaction() as session:
                for statement in statements:
                    await session.execute(statement)
                await session.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", [version, to_micros(utc_now())])
            applied.append(version)
        return applied

    # --- workspaces

    async def create_workspace(self, record: WorkspaceRecord) -> None:
        params = [record.id, *_workspace_params(record), record.revision, to_micros(record.created_at), to_micros(record.updated_at), None]
        try:
            async with self.session() as session:
                await session.execute(f"INSERT INTO workspaces ({WORKSPACE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", params)
        except Exception as exc:
            if self.is_integrity_error(exc):
                raise ConflictError(f"workspace {record.id!r} already exists") from None
            raise

    async def get_workspace(self, workspace_id: str, *, include_deleted: bool = False) -> WorkspaceRecord | None:
        sql = f"SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?"
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        async with self.session() as session:
            row = await session.fetchone(sql, [workspace_id])
        return _workspace(row) if row else None

    async def list_workspaces(self, *, include_deleted: bool = False) -> list[WorkspaceRecord]:
        sql = f"SELECT {WORKSPACE_COLUMNS} FROM workspaces"
        if not include_deleted:
            sql += " WHERE deleted_at IS NULL"
        async with self.session() as session:
            rows = await session.fetchall(sql + " ORDER BY id")
        return [_workspace(row) for row in rows]

    async def update_workspace(self, record: WorkspaceRecord, *, expected_revision: int) -> WorkspaceRecord:
        updated_at = utc_now()
        params = [*_workspace_params(record), expected_revision + 1, to_micros(updated_at), record.id, expected_revision]
        async with self.session() as session:
            count = await session.execute(
                "UPDATE workspaces SET spec_json = ?, base_url = ?, settings_json = ?, revision = ?, updated_at = ? "
                "WHERE id = ? AND revision = ? AND deleted_at IS NULL",
                params,
            )
        if count != 1:
            raise ConflictError(
                f"workspace {record.id!r} changed since revision {expected_revision} or no longer exists; read it again and retry"
            )
        return WorkspaceRecord(
            id=record.id,
            spec=record.spec,
            base_url=record.base_url,
            settings=record.settings,
            revision=expected_revision + 1,
            created_at=record.created_at,
            updated_at=updated_at,
        )

    async def touch_workspace(self, workspace_id: str, *, at: datetime) -> bool:
        async with self.session() as session:
            count = await session.execute(
                "UPDATE workspaces SET revision = revision + 1, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
                [to_micros(at), workspace_id],
            )
        return count == 1

    async def workspace_revisions(self, workspace_ids: Sequence[str]) -> dict[str, int]:
        revisions: dict[str, int] = {}
        for start in range(0, len(workspace_ids), 500):
            chunk = list(workspace_ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            async with self.session() as session:
                rows = await session.fetchall(
                    f"SELECT id, revision FROM workspaces WHERE id IN ({marks}) AND deleted_at IS NULL", chunk
                )
            revisions.update((row[0], int(row[1])) for row in rows)
        return revisions

    async def delete_workspace(self, workspace_id: str, *, at: datetime) -> bool:
        async with self.transaction() as session:
            count = await session.execute(
                "UPDATE workspaces SET deleted_at = ?, revision = revision + 1 WHERE id = ? AND deleted_at IS NULL",
                [to_micros(at), workspace_id],
            )
            await session.execute(
                "UPDATE client_tokens SET revoked_at = ? WHERE workspace_id = ? AND revoked_at IS NULL",
                [to_micros(at), workspace_id],
            )
        return count == 1

    async def purge_workspaces(self, deleted_before: datetime) -> list[str]:
        async with self.transaction() as session:
            rows = await session.fetchall(
                "SELECT id FROM workspaces WHERE deleted_at IS NOT NULL AND deleted_at < ?", [to_micros(deleted_before)]
            )
            ids = [row[0] for row in rows]
            for workspace_id in ids:
                await session.execute("DELETE FROM secrets WHERE workspace_id = ?", [workspace_id])
                await session.execute("DELETE FROM client_tokens WHERE workspace_id = ?", [workspace_id])
                await session.execute("DELETE FROM workspaces WHERE id = ?", [workspace_id])
        return ids

    # --- secrets

    async def put_secret(self, record: SecretRecord) -> None:
        now = to_micros(record.updated_at)
        for _attempt in range(2):
            async with self.transaction() as session:
                count = await session.execute(
                    "UPDATE secrets SET ciphertext = ?, key_id = ?, updated_at = ? WHERE workspace_id = ? AND name = ? AND id = ?",
                    [record.ciphertext, record.key_id, now, record.workspace_id, record.name, record.id],
                )
                if count == 1:
                    return
                existing = await session.fetchone(
                    "SELECT id FROM secrets WHERE workspace_id = ? AND name = ?", [record.workspace_id, record.name]
                )
                if existing is not None:
                    # The ciphertext's associated data names its secret id, so a replacement
                    # must be encrypted for the id already stored.
                    raise ConflictError(
                        f"secret {record.name!r} of workspace {record.workspace_id!r} exists with another id; "
                        "encrypt the new value for the stored id"
                    )
                try:
                    await session.execute(
                        f"INSERT INTO secrets ({SECRET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [record.id, record.workspace_id, record.name, record.ciphertext, record.key_id,
                         to_micros(record.created_at), now, None],
                    )
                    return
                except Exception as exc:
                    if not self.is_integrity_error(exc):
                        raise
        raise ConflictError(f"secret {record.name!r} of workspace {record.workspace_id!r} was written concurrently; retry")

    async def get_secret(self, workspace_id: str, name: str) -> SecretRecord | None:
        async with self.session() as session:
            row = await session.fetchone(
                f"SELECT {SECRET_COLUMNS} FROM secrets WHERE workspace_id = ? AND name = ?", [workspace_id, name]
            )
        return _secret(row) if row else None

    async def list_secrets(self, workspace_id: str) -> list[SecretRecord]:
        async with self.session() as session:
            rows = await session.fetchall(
                f"SELECT {SECRET_COLUMNS} FROM secrets WHERE workspace_id = ? ORDER BY name", [workspace_id]
            )
        return [_secret(row) for row in rows]

    async def delete_secret(self, workspace_id: str, name: str) -> bool:
        async with self.session() as session:
            count = await session.execute("DELETE FROM secrets WHERE workspace_id = ? AND name = ?", [workspace_id, name])
        return count == 1

    async def replace_secret_ciphertext(self, secret_id: str, old: bytes, new: bytes, new_key_id: int) -> bool:
        async with self.session() as session:
            count = await session.execute(
                "UPDATE secrets SET ciphertext = ?, key_id = ? WHERE id = ? AND ciphertext = ?",
                [new, new_key_id, secret_id, old],
            )
        return count == 1

    async def replace_secret_ciphertexts(self, changes: Sequence[tuple[str, bytes, bytes, int]]) -> int:
        # One statement per chunk, in one transaction: a round trip or a commit per row
        # would bound a rewrap by latency or by the database's flush rate. The WHERE
        # clause keeps each row's compare-and-set on its old ciphertext.
        replaced = 0
        async with self.transaction() as session:
            for offset in range(0, len(changes), CAS_CHUNK_ROWS):
                chunk = changes[offset : offset + CAS_CHUNK_ROWS]
                cases = " ".join("WHEN ? THEN ?" for _ in chunk)
                pairs = ", ".join("(?, ?)" for _ in chunk)
                params: list[Any] = []
                for secret_id, _old, new, _key_id in chunk:
                    params += [secret_id, new]
                params.append(chunk[0][3])
                for secret_id, old, _new, _key_id in chunk:
                    params += [secret_id, old]
                replaced += await session.execute(
                    f"UPDATE secrets SET ciphertext = CASE id {cases} END, key_id = ? WHERE (id, ciphertext) IN ({pairs})",
                    params,
                )
        return replaced

    async def list_secrets_by_key(self, key_ids: Sequence[int], limit: int, after_id: str = "") -> list[SecretRecord]:
        if not key_ids:
            return []
        marks = ", ".join("?" for _ in key_ids)
        async with self.session() as session:
            rows = await session.fetchall(
                f"SELECT {SECRET_COLUMNS} FROM secrets WHERE key_id IN ({marks}) AND id > ? ORDER BY id LIMIT ?",
                [*key_ids, after_id, limit],
            )
        return [_secret(row) for row in rows]

    async def mark_secrets_used(self, secret_ids: Sequence[str], at: datetime) -> None:
        if not secret_ids:
            return
        marks = ", ".join("?" for _ in secret_ids)
        async with self.session() as session:
            await session.execute(f"UPDATE secrets SET last_used_at = ? WHERE id IN ({marks})", [to_micros(at), *secret_ids])

    # --- client tokens

    async def add_client_token(self, record: ClientTokenRecord) -> None:
        async with self.session() as session:
            await session.execute(
                f"INSERT INTO client_tokens ({TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [record.id, record.workspace_id, record.token_hash, record.label, to_micros(record.created_at), None],
            )

    async def find_client_token(self, token_hash: bytes) -> ClientTokenRecord | None:
        async with self.session() as session:
            row = await session.fetchone(
                f"SELECT {TOKEN_COLUMNS} FROM client_tokens WHERE token_hash = ? AND revoked_at IS NULL", [token_hash]
            )
        return _token(row) if row else None

    async def list_client_tokens(self, workspace_id: str) -> list[ClientTokenRecord]:
        async with self.session() as session:
            rows = await session.fetchall(
                f"SELECT {TOKEN_COLUMNS} FROM client_tokens WHERE workspace_id = ? ORDER BY created_at", [workspace_id]
            )
        return [_token(row) for row in rows]

    async def revoke_client_token(self, workspace_id: str, token_id: str, *, at: datetime) -> bool:
        async with self.session() as session:
            count = await session.execute(
                "UPDATE client_tokens SET revoked_at = ? WHERE workspace_id = ? AND id = ? AND revoked_at IS NULL",
                [to_micros(at), workspace_id, token_id],
            )
        return count == 1

    # --- audit

    async def insert_audit(self, events: Sequence[AuditEvent]) -> None:
        if not events:
            return
        marks = ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in events)
        params: list[Any] = []
        for event in events:
            params += [to_micros(event.timestamp), event.workspace_id, event.tool, event.status,
                       event.latency_ms, event.client_id, event.outcome]
        async with self.session() as session:
            await session.execute(f"INSERT INTO audit_events ({AUDIT_COLUMNS}) VALUES {marks}", params)

    async def list_audit(self, workspace_id: str, limit: int) -> list[AuditEvent]:
        async with self.session() as session:
            rows = await session.fetchall(
                f"SELECT {AUDIT_COLUMNS} FROM audit_events WHERE workspace_id = ? ORDER BY ts DESC, id DESC LIMIT ?",
                [workspace_id, limit],
            )
        return [_audit(row) for row in rows]

    async def delete_audit_before(self, cutoff: datetime) -> int:
        async with self.session() as session:
            return await session.execute("DELETE FROM audit_events WHERE ts < ?", [to_micros(cutoff)])

    # --- counters

    async def add_to_counter(self, name: str, amount: int) -> int:
        for _attempt in range(2):
            async with self.transaction() as session:
                count = await session.execute("UPDATE counters SET value = value + ? WHERE name = ?", [amount, name])
                if count == 0:
                    try:
                        await session.execute("INSERT INTO counters (name, value) VALUES (?, ?)", [name, amount])
                    except Exception as exc:
                        if not self.is_integrity_error(exc):
                            raise
                        continue
                row = await session.fetchone("SELECT value FROM counters WHERE name = ?", [name])
                return int(row[0]) if row else amount
        raise ConflictError(f"counter {name!r} was created concurrently; retry")

    async def get_counter(self, name: str) -> int:
        async with self.session() as session:
            row = await session.fetchone("SELECT value FROM counters WHERE name = ?", [name])
        return int(row[0]) if row else 0
