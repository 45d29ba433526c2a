"""Gateway settings: one TOML file, one frozen dataclass per section.

Unknown sections and keys are rejected with their name, so a misspelt setting never
silently keeps its default. Secrets are never written in the file: settings ending in
`_env` name the environment variable that contains them.
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

__all__ = [
    "ConfigError",
    "Settings",
    "ServerSettings",
    "StoreSettings",
    "BlobSettings",
    "CacheSettings",
    "VaultSettings",
    "UpstreamSettings",
    "AuditSettings",
    "InternalSettings",
    "load_settings",
    "settings_from_mapping",
    "replace_section",
]

LOCAL_HOSTS = ("127.0.0.1:*", "localhost:*", "[::1]:*")
LOCAL_ORIGINS = ("http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*")

UPSTREAM_CONNECT_TIMEOUT_S = 10.0
UPSTREAM_TOTAL_TIMEOUT_S = 30.0
UPSTREAM_MAX_RESPONSE_BYTES = 1024 * 1024
AUDIT_RETENTION_DAYS = 90
MAX_REQUEST_BODY_BYTES = 4 * 1024 * 1024


class ConfigError(ValueError):
    """A setting is missing, unknown or contradicts another."""


@dataclass(frozen=True)
class ServerSettings:
    bind: str = "127.0.0.1:8080"
    workers: int = 1
    public_url: str = "http://127.0.0.1:8080"
    allowed_hosts: tuple[str, ...] = LOCAL_HOSTS
    allowed_origins: tuple[str, ...] = LOCAL_ORIGINS
    stateless: bool = False
    json_response: bool = True
    max_request_body_bytes: int = MAX_REQUEST_BODY_BYTES
    drain_timeout_s: float = 10.0
    session_idle_timeout_s: float = 1800.0
    # How often live workspaces' revisions are compared with the store (0 turns it off).
    change_poll_s: float = 2.0
    # TLS on the MCP listener (TLS 1.2 or newer); both files or neither.
    tls_cert_file: str = ""
    tls_key_file: str = ""
    # A plain-HTTP listener that redirects every request to public_url's https origin.
    http_redirect_bind: str = ""
    log_level: str = "INFO"


@dataclass(frozen=True)
class StoreSettings:
    backend: str = "sqlite"
    path: str = "var/cast.db"
    host: str = "127.0.0.1"
    port: int = 3306
    user: str = "cast"
    password_env: str = "CAST_MYSQL_PASSWORD"
    database: str = "cast"
    pool_size: int = 10
    tls_ca: str = ""
    tls_required: bool = True
    connect_timeout_s: float = 5.0


@dataclass(frozen=True)
class BlobSettings:
    backend: str = "local"
    path: str = "var/specs"
    bucket: str = ""
    region: str = "us-east-1"
    endpoint_url: str = ""
    access_key_env: str = "AWS_ACCESS_KEY_ID"
    secret_key_env: str = "AWS_SECRET_ACCESS_KEY"


@dataclass(frozen=True)
class CacheSettings:
    backend: str = "memory"
    ttl_s: int = 3600
    url_env: str = "CAST_REDIS_URL"
    channel: str = "cast:invalidate"
    pool_size: int = 20


@dataclass(frozen=True)
class VaultSettings:
    key_file: str = "var/vault.key"
    create_key_file: bool = False
    source: str = "auto"
    aws_secret_id: str = ""
    aws_region: str = "us-east-1"
    aws_endpoint_url: str = ""


@dataclass(frozen=True)
class UpstreamSettings:
    connect_timeout_s: float = UPSTREAM_CONNECT_TIMEOUT_S
    total_timeout_s: float = UPSTREAM_TOTAL_TIMEOUT_S
    max_response_bytes: int = UPSTREAM_MAX_RESPONSE_BYTES
    allow_private_networks: bool = False
    allow_http: bool = False
    allowed_ports: tuple[int, ...] = (443,)
    pool_size: int = 100


@dataclass(frozen=True)
class AuditSettings:
    queue_size: int = 10_000
    batch_size: int = 500
    flush_interval_s: float = 1.0
    retention_days: int = AUDIT_RETENTION_DAYS


@dataclass(frozen=True)
class InternalSettings:
    bind: str = "127.0.0.1:8090"
    secret_env: str = "INTERNAL_MCP_SECRET"
    previous_secret_env: str = "INTERNAL_MCP_SECRET_PREVIOUS"
    skew_s: int = 300


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    blobs: BlobSettings = field(default_factory=BlobSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    vault: VaultSettings = field(default_factory=VaultSettings)
    upstream: UpstreamSettings = field(default_factory=UpstreamSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    internal: InternalSettings = field(default_factory=InternalSettings)
    source: str = "<defaults>"

    def path(self, value: str) -> Path:
        """Return a path setting made absolute against the working directory."""
        return Path(value).expanduser().resolve()


def _coerce(section: str, key: str, value: Any, annotation: Any) -> Any:
    name = f"{section}.{key}"
    origin = typing.get_origin(annotation)
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(annotation)
        if not isinstance(value, list):
            raise ConfigError(f"setting {name} must be a list, got {value!r}")
        return tuple(_coerce(section, key, item, item_type) for item in value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if annotation in (str, int, float, bool):
        if type(value) is not annotation:
            raise ConfigError(f"setting {name} must be {annotation.__name__}, got {value!r}")
        return value
    raise ConfigError(f"setting {name} has an unsupported type")  # pragma: no cover


def _section(cls: type, name: str, data: Any) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"section [{name}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown setting {name}.{unknown[0]}; known settings of [{name}]: {', '.join(sorted(known))}")
    return cls(**{key: _coerce(name, key, value, hints[key]) for key, value in data.items()})


def _validate(settings: Settings) -> None:
    choices = {
        "store.backend": (settings.store.backend, ("sqlite", "mysql")),
        "blobs.backend": (settings.blobs.backend, ("local", "s3")),
        "cache.backend": (settings.cache.backend, ("memory", "redis")),
        "vault.source": (settings.vault.source, ("auto", "env", "file", "aws")),
    }
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            raise ConfigError(f"setting {name} = {value!r} is invalid; use one of {', '.join(allowed)}")
    if settings.server.workers < 1:
        raise ConfigError(f"setting server.workers = {settings.server.workers} must be at least 1")
    if settings.server.workers > 1 and settings.cache.backend == "memory":
        raise ConfigError(
            "setting server.workers > 1 needs cache.backend = 'redis': with the in-process cache, "
            "a change made through one worker never reaches the others"
        )
    server = settings.server
    if bool(server.tls_cert_file) != bool(server.tls_key_file):
        raise ConfigError("settings server.tls_cert_file and server.tls_key_file must be set together")
    if server.http_redirect_bind and not server.tls_cert_file:
        raise ConfigError("setting server.http_redirect_bind needs TLS: set server.tls_cert_file and server.tls_key_file")
    if server.tls_cert_file and not server.public_url.startswith("https://"):
        raise ConfigError(f"setting server.public_url = {server.public_url!r} must start with https:// when TLS is on")
    if settings.blobs.backend == "s3" and not settings.blobs.bucket:
        raise ConfigError("setting blobs.bucket is required when blobs.backend = 's3'")
    positive = {
        "upstream.connect_timeout_s": settings.upstream.connect_timeout_s,
        "upstream.total_timeout_s": settings.upstream.total_timeout_s,
        "upstream.max_response_bytes": settings.upstream.max_response_bytes,
        "audit.queue_size": settings.audit.queue_size,
        "audit.batch_size": settings.audit.batch_size,
        "audit.retention_days": settings.audit.retention_days,
        "cache.ttl_s": settings.cache.ttl_s,
    }
    for name, number in positive.items():
        if number <= 0:
            raise ConfigError(f"setting {name} = {number!r} must be greater than 0")
    if settings.upstream.connect_timeout_s > settings.upstream.total_timeout_s:
        raise ConfigError("setting upstream.connect_timeout_s must not exceed upstream.total_timeout_s")


def settings_from_mapping(data: Mapping[str, Any], source: str = "<mapping>") -> Settings:
    sections = {f.name: f for f in dataclasses.fields(Settings) if f.name != "source"}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ConfigError(f"{source}: unknown section [{unknown[0]}]; known sections: {', '.join(sorted(sections))}")
    values: dict[str, Any] = {"source": source}
    for name, spec in sections.items():
        cls = spec.default_factory
        try:
            values[name] = _section(cls, name, data.get(name, {}))  # type: ignore[arg-type]
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    settings = Settings(**values)
    try:
        _validate(settings)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return settings


def load_settings(path: Path | None) -> Settings:
    """Read a TOML settings file; None gives the defaults."""
    if path is None:
        return settings_from_mapping({}, "<defaults>")
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"config file {str(path)!r} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    return settings_from_mapping(data, str(path))


def replace_section(settings: Settings, **sections: Any) -> Settings:
    """Return a copy of `settings` with whole sections replaced (used by tests and the demo)."""
    return dataclasses.replace(settings, **sections)

