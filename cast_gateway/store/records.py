"""Rows of the store as frozen dataclasses. Timestamps are timezone-aware UTC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

__all__ = ["SpecRef", "WorkspaceRecord", "SecretRecord", "ClientTokenRecord", "AuditEvent", "utc_now", "to_micros", "from_micros"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def to_micros(moment: datetime) -> int:
    """Epoch microseconds: the column format both SQLite and MySQL store."""
    return int(moment.timestamp() * 1_000_000)


def from_micros(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1_000_000, timezone.utc)


@dataclass(frozen=True)
class SpecRef:
    """Where a workspace's spec lives: the main file name and a blob key per uploaded file."""

    main: str
    files: Mapping[str, str]
    sha256: str = ""
    # The spec's security scheme names, so that a secret's name can be checked without
    # reading and compiling the spec again.
    security_schemes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"main": self.main, "files": dict(self.files), "sha256": self.sha256,
                "security_schemes": list(self.security_schemes)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SpecRef:
        return cls(main=data["main"], files=dict(data["files"]), sha256=data.get("sha256", ""),
                   security_schemes=tuple(data.get("security_schemes", ())))


@dataclass(frozen=True)
class WorkspaceRecord:
    """A workspace. `revision` grows by one on every change and guards compare-and-set updates."""

    id: str
    spec: SpecRef | None
    base_url: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    revision: int = 1
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    deleted_at: datetime | None = None


@dataclass(frozen=True)
class SecretRecord:
    """A secret's ciphertext. `id` is immutable and part of the ciphertext's associated data."""

    id: str
    workspace_id: str
    name: str
    ciphertext: bytes
    key_id: int
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    last_used_at: datetime | None = None

    def __repr__(self) -> str:
        return f"SecretRecord(id={self.id!r}, workspace_id={self.workspace_id!r}, name={self.name!r}, key_id={self.key_id})"


@dataclass(frozen=True)
class ClientTokenRecord:
    """A client token, known only by its keyed hash."""

    id: str
    workspace_id: str
    token_hash: bytes
    label: str = ""
    created_at: datetime = field(default_factory=utc_now)
    revoked_at: datetime | None = None

    def __repr__(self) -> str:
        return f"ClientTokenRecord(id={self.id!r}, workspace_id={self.workspace_id!r}, revoked={self.revoked_at is not None})"


@dataclass(frozen=True)
class AuditEvent:
    """One tools/call. Holds no arguments, bodies, headers or query strings by design."""

    timestamp: datetime
    workspace_id: str
    tool: str
    status: int | None
    latency_ms: float
    client_id: str
    outcome: str
