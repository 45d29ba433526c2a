"""Gateway replicas as real `cast-gateway serve` processes over shared MariaDB, Redis and S3.

`Backing` names the shared servers; `settings_data` turns it into the settings mapping
that every replica (and the test process, through `open_backends`) reads. Each replica
is a child process with its own TOML file, port and log file, stopped by its PID.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping

import redis

from cast_gateway.config import Settings, settings_from_mapping

from support.servers import AWS_TEST_ENV, MariaDb, ServerProcess, free_port, wait_until

__all__ = [
    "Backing",
    "Replica",
    "PASSWORD_ENV",
    "REDIS_URL_ENV",
    "new_vault_keys",
    "settings_data",
    "settings_for",
    "backing_environ",
    "migrate",
    "start_replicas",
    "subscriber_count",
]

PASSWORD_ENV = "CAST_REPLICA_TEST_MYSQL_PASSWORD"
REDIS_URL_ENV = "CAST_REPLICA_TEST_REDIS_URL"
REPLICA_START_TIMEOUT_S = 60.0
CLI_TIMEOUT_S = 60.0


def new_vault_keys() -> str:
    """A `CAST_VAULT_KEYS` value: key id 1 with a fresh 32-byte key."""
    return '{"1": "%s"}' % base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Backing:
    """The servers a group of replicas shares, and the secrets that reach them through the environment."""

    database: MariaDb
    redis_url: str = field(repr=False)
    s3_endpoint: str
    bucket: str
    channel: str
    vault_keys: str = field(repr=False)


def settings_data(backing: Backing, port: int) -> dict[str, dict[str, Any]]:
    """The settings of one replica listening on `port`; only the port differs between replicas."""
    database = backing.database
    return {
        "server": {"bind": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}", "drain_timeout_s": 2.0,
                   "log_level": "INFO"},
        "store": {"backend": "mysql", "host": database.host, "port": database.port, "user": database.user,
                  "password_env": PASSWORD_ENV, "database": database.database, "pool_size": 4,
                  "tls_required": True, "tls_ca": str(database.ca_path), "connect_timeout_s": 2.0},
        "blobs": {"backend": "s3", "bucket": backing.bucket, "endpoint_url": backing.s3_endpoint},
        "cache": {"backend": "redis", "url_env": REDIS_URL_ENV, "channel": backing.channel, "pool_size": 4},
        "vault": {"source": "env", "key_file": ""},
        "upstream": {"allow_private_networks": True, "allow_http": True, "allowed_ports": [],
                     "connect_timeout_s": 2.0, "total_timeout_s": 5.0},
        "audit": {"flush_interval_s": 0.05},
    }


def settings_for(backing: Backing, port: int = 0) -> Settings:
    return settings_from_mapping(settings_data(backing, port), "replica test settings")


def backing_environ(backing: Backing) -> dict[str, str]:
    """The environment variables that carry the backing's secrets (and moto's dummy AWS keys)."""
    return {
        PASSWORD_ENV: backing.database.password,
        REDIS_URL_ENV: backing.redis_url,
        "CAST_VAULT_KEYS": backing.vault_keys,
        **AWS_TEST_ENV,
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def write_config(path: Path, data: Mapping[str, Mapping[str, Any]]) -> Path:
    lines: list[str] = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    path.write_text("\n".join(lines))
    return path


def cli_argv(config: Path, *command: str) -> list[str]:
    """The operator's command line: `python -m cast_gateway --config FILE COMMAND...`."""
    return [sys.executable, "-m", "cast_gateway", "--config", str(config), *command]


def _child_environ(backing: Backing, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = {**os.environ, **backing_environ(backing), **(extra or {})}
    # Replica log lines must go to the log file as they happen, not when a buffer fills.
    environ["PYTHONUNBUFFERED"] = "1"
    return environ


def migrate(backing: Backing, folder: Path) -> None:
    """Run `cast-gateway db migrate` as an operator would before starting replicas."""
    config = write_config(folder / "migrate.toml", settings_data(backing, free_port()))
    result = subprocess.run(
        cli_argv(config, "db", "migrate"),
        env=_child_environ(backing), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=CLI_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RuntimeError(f"cast-gateway db migrate exited with {result.returncode}:\n{result.stdout.decode()[-2000:]}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1.0) as response:
            return int(response.status) == 200
    except urllib.error.URLError:
        return False


class Replica:
    """One `cast-gateway serve` process."""

    def __init__(self, name: str, backing: Backing, folder: Path, extra_env: Mapping[str, str] | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = write_config(folder / f"{name}.toml", settings_data(backing, self.port))
        argv = cli_argv(self.config_path, "serve")
        self.process = ServerProcess(f"replica {name}", argv, folder / f"{name}.log",
                                     env=_child_environ(backing, extra_env))

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def mcp_url(self, workspace_id: str) -> str:
        return f"{self.url}/w/{workspace_id}/mcp"

    def start(self) -> None:
        self.process.start()

    def wait_ready(self) -> None:
        wait_until(lambda: _healthy(self.url), self.process, "answering /healthz", REPLICA_START_TIMEOUT_S)

    def stop(self) -> None:
        """SIGTERM to this PID, a bounded wait, then SIGKILL of the same PID."""
        self.process.stop()

    def log_text(self) -> str:
        try:
            return self.process.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


@contextlib.contextmanager
def start_replicas(backing: Backing, folder: Path, count: int = 2,
                   extra_env: Mapping[str, str] | None = None) -> Iterator[list[Replica]]:
    """Start `count` replicas side by side, wait until each passes /healthz, stop each by PID at the end."""
    replicas = [Replica(chr(ord("a") + index), backing, folder, extra_env) for index in range(count)]
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        yield replicas
    finally:
        for replica in replicas:
            replica.stop()


def subscriber_count(redis_url: str, channel: str) -> int:
    """How many connections listen on `channel` right now (PUBSUB NUMSUB)."""
    client = redis.Redis.from_url(redis_url, socket_timeout=2.0, socket_connect_timeout=2.0)
    try:
        [(_name, count)] = client.pubsub_numsub(channel)
        return int(count)
    finally:
        client.close()
