-- Timestamps are epoch microseconds (UTC) in every table.
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    spec_json TEXT,
    base_url TEXT,
    settings_json TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
);

CREATE TABLE secrets (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    name TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    key_id INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (workspace_id, name)
);

CREATE INDEX secrets_by_key ON secrets (key_id, id);

CREATE TABLE client_tokens (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE INDEX client_tokens_by_workspace ON client_tokens (workspace_id);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    workspace_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    status INTEGER,
    latency_ms REAL NOT NULL,
    client_id TEXT NOT NULL,
    outcome TEXT NOT NULL
);

CREATE INDEX audit_by_workspace ON audit_events (workspace_id, ts);

CREATE INDEX audit_by_time ON audit_events (ts);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
