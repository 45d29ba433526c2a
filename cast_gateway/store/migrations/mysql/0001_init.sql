-- Timestamps are epoch microseconds (UTC) in every table.
CREATE TABLE workspaces (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    spec_json TEXT,
    base_url TEXT,
    settings_json TEXT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE secrets (
    id CHAR(36) NOT NULL PRIMARY KEY,
    workspace_id VARCHAR(64) NOT NULL,
    name VARCHAR(191) NOT NULL,
    ciphertext BLOB NOT NULL,
    key_id INT UNSIGNED NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_used_at BIGINT,
    UNIQUE KEY secrets_by_name (workspace_id, name),
    KEY secrets_by_key (key_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE client_tokens (
    id CHAR(36) NOT NULL PRIMARY KEY,
    workspace_id VARCHAR(64) NOT NULL,
    token_hash VARBINARY(32) NOT NULL,
    label VARCHAR(191) NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    UNIQUE KEY client_tokens_by_hash (token_hash),
    KEY client_tokens_by_workspace (workspace_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_events (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    ts BIGINT NOT NULL,
    workspace_id VARCHAR(64) NOT NULL,
    tool VARCHAR(191) NOT NULL,
    status SMALLINT,
    latency_ms DOUBLE NOT NULL,
    client_id VARCHAR(64) NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    KEY audit_by_workspace (workspace_id, ts),
    KEY audit_by_time (ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE counters (
    name VARCHAR(191) NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
