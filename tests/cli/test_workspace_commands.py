"""The operator commands, run as processes against the embedded backends."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

GOOD_SPEC = """openapi: 3.0.3
info: {title: T, version: "1"}
servers: [{url: "https://api.example.test"}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
security: [{key: []}]
"""

PLANTED_KEY = "planted-cli-api-key-4e1d"


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    config = tmp_path / "cast.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path}/cast.db"\n[blobs]\npath = "{tmp_path}/specs"\n'
        f'[vault]\nkey_file = "{tmp_path}/vault.key"\ncreate_key_file = true\n'
    )

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cast_gateway", "--config", str(config), *args],
                              input=stdin, capture_output=True, text=True, timeout=60, cwd=tmp_path)

    return run


def test_broken_spec_fails_and_stores_nothing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /x:\n    get: [unclosed\n")

    result = cli("workspace", "create", "shop", "--spec", str(broken))

    errors = [line for line in result.stderr.splitlines() if line.startswith("cast-gateway: error:")]
    assert result.returncode == 2
    assert len(errors) == 1
    assert "broken.yaml" in errors[0]
    assert "line" in result.stderr or "/" in result.stderr
    rows = sqlite3.connect(tmp_path / "cast.db").execute("SELECT COUNT(*) FROM workspaces").fetchone()
    assert rows == (0,)
    assert not (tmp_path / "specs" / "workspaces" / "shop").exists()


def test_spec_without_operations_is_rejected(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.yaml"
    empty.write_text("openapi: 3.1.0\ninfo: {title: T, version: '1'}\npaths: {}\n")

    result = cli("workspace", "create", "shop", "--spec", str(empty))

    assert result.returncode == 2
    assert "empty.yaml" in result.stderr
    assert "no operations" in result.stderr


def test_missing_spec_file_names_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("workspace", "create", "shop", "--spec", str(tmp_path / "nope.yaml"))

    assert result.returncode != 0
    assert "nope.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_create_secret_token_and_audit_flow(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "good.yaml"
    spec.write_text(GOOD_SPEC)

    created = cli("workspace", "create", "shop", "--spec", str(spec))
    secret = cli("secret", "set", "shop", "key", stdin=PLANTED_KEY + "\n")
    token = cli("token", "create", "shop", "--label", "ci")
    audit = cli("audit", "tail", "shop", "-n", "5")
    duplicate = cli("workspace", "create", "shop", "--spec", str(spec))

    assert created.returncode == 0, created.stderr
    assert "1 tool" in created.stdout
    assert secret.returncode == 0, secret.stderr
    assert token.returncode == 0, token.stderr
    issued = json.loads(token.stdout)
    assert issued["token"].startswith("cgw_")
    assert audit.returncode == 0 and audit.stdout == ""
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    stored = sqlite3.connect(tmp_path / "cast.db").execute("SELECT ciphertext FROM secrets").fetchone()[0]
    assert PLANTED_KEY.encode() not in stored
    for output in (created, secret, token, audit, duplicate):
        assert PLANTED_KEY not in output.stdout + output.stderr


def test_secret_value_is_never_an_argument(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("secret", "set", "shop", "key", PLANTED_KEY)

    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_busy_port_is_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "busy.toml"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config.write_text(f'[server]\nbind = "127.0.0.1:{port}"\n[store]\npath = "{tmp_path}/cast.db"\n'
                          f'[vault]\nkey_file = "{tmp_path}/vault.key"\ncreate_key_file = true\n')
        result = subprocess.run([sys.executable, "-m", "cast_gateway", "--config", str(config), "serve"],
                                capture_output=True, text=True, timeout=60, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"cast-gateway: error: cannot listen on 127.0.0.1:{port} (server.bind): Address already in use; "
        "stop the process using it or change server.bind"
    ]
