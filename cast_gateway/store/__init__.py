"""Persistent state: workspaces, secret ciphertexts, client token hashes, audit rows.

Two implementations pass the same contract: SQLite (embedded default) and MySQL/MariaDB.

Exceptions::

    StoreError (Exception)
    ├── ConflictError (ValueError)        a row exists, or changed under a compare-and-set
    ├── SchemaVersionError (RuntimeError) the database schema is newer than this gateway
    └── StoreUnavailableError (ConnectionError)  the database cannot be reached
"""

from .errors import ConflictError, SchemaVersionError, StoreError, StoreUnavailableError
from .protocol import Store
from .records import AuditEvent, ClientTokenRecord, SecretRecord, SpecRef, WorkspaceRecord

__all__ = [
    "Store",
    "WorkspaceRecord",
    "SpecRef",
    "SecretRecord",
    "ClientTokenRecord",
    "AuditEvent",
    "StoreError",
    "ConflictError",
    "SchemaVersionError",
    "StoreUnavailableError",
]
