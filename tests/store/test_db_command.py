"""`cast-gateway db migrate` against MariaDB over TLS, configured by a TOML file."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cast_gateway.cli.db import run_migrate, run_status
from cast_gateway.cli.main import CommandError
from support.servers import MariaDb


def write_config(tmp_path: Path, server: MariaDb, password_env: str) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        "[store]\n"
        'backend = "mysql"\n'
        f'host = "{server.host}"\n'
        f"port = {server.port}\n"
        f'user = "{server.user}"\n'
        f'database = "{server.database}"\n'
        f'password_env = "{password_env}"\n'
        f'tls_ca = "{server.ca_path}"\n'
    )
    return path


def test_db_migrate_twice(mariadb: MariaDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    database = mariadb.new_database()
    monkeypatch.setenv("CAST_TEST_MYSQL_PASSWORD", database.password)
    args = argparse.Namespace(config=str(write_config(tmp_path, database, "CAST_TEST_MYSQL_PASSWORD")))

    assert run_migrate(args) == 0
    assert "applied migrations 1" in capsys.readouterr().out
    assert run_migrate(args) == 0
    assert "schema is up to date" in capsys.readouterr().out
    assert run_status(args) == 0
    assert "database schema version 1" in capsys.readouterr().out


def test_db_migrate_rejects_plain_server(mariadb_plain: MariaDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAST_TEST_MYSQL_PASSWORD", mariadb_plain.password)
    args = argparse.Namespace(config=str(write_config(tmp_path, mariadb_plain, "CAST_TEST_MYSQL_PASSWORD")))

    with pytest.raises(CommandError, match="does not offer TLS"):
        run_migrate(args)


def test_db_migrate_missing_password_env(mariadb: MariaDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAST_TEST_MYSQL_PASSWORD", raising=False)
    args = argparse.Namespace(config=str(write_config(tmp_path, mariadb, "CAST_TEST_MYSQL_PASSWORD")))

    with pytest.raises(ValueError, match="CAST_TEST_MYSQL_PASSWORD"):
        run_migrate(args)
