"""`cast-gateway keys`: the two-step rotation, rewrap with the floor, and the env source's output file."""

from __future__ import annotations

import argparse
import asyncio
import base64
import stat
from pathlib import Path

import orjson
import pytest

from cast_gateway.cli import keys
from cast_gateway.store.sqlite import SqliteStore
from cast_gateway.vault import Vault
from cast_gateway.vault.keyfile import load_ring_file
from vault_helpers import seed_secrets


def run_keys(config: Path, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="cast-gateway")
    parser.add_argument("--config")
    keys.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--config", str(config), "keys", *argv])
    return int(args.handler(args))


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CAST_VAULT_KEYS", raising=False)
    path = tmp_path / "cast.toml"
    path.write_text(
        f'[store]\nbackend = "sqlite"\npath = "{tmp_path / "cast.db"}"\n'
        f'[blobs]\npath = "{tmp_path / "specs"}"\n'
        f'[vault]\nkey_file = "{tmp_path / "vault.key"}"\nsource = "file"\n'
    )
    return path


def seed(tmp_path: Path, count: int) -> None:
    async def main() -> None:
        store = SqliteStore(tmp_path / "cast.db")
        await store.open()
        await store.migrate()
        await seed_secrets(store, Vault.from_ring(load_ring_file(tmp_path / "vault.key")), ["wsa"], count)
        await store.close()

    asyncio.run(main())


def test_rotation_adds_then_promotes(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "vault.key"
    assert run_keys(config, "init") == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    assert run_keys(config, "rotate") == 0
    added = load_ring_file(key_file)
    assert (added.key_ids, added.primary) == ((1, 2), 1)
    assert "deploy the ring to every replica" in capsys.readouterr().out

    assert run_keys(config, "rotate") == 0
    promoted = load_ring_file(key_file)
    assert (promoted.key_ids, promoted.primary, promoted.hash_key_id) == ((1, 2), 2, 1)


def test_rewrap_raises_the_floor(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_file = tmp_path / "vault.key"
    run_keys(config, "init")
    seed(tmp_path, 12)
    run_keys(config, "rotate", "--now")
    capsys.readouterr()

    with pytest.raises(ValueError, match="keys rewrap"):
        run_keys(config, "floor")
    assert run_keys(config, "rewrap", "--batch-size", "5", "--raise-floor") == 0

    output = capsys.readouterr().out
    assert "rewrapped 12" in output
    assert "floor raised to 2" in output
    assert load_ring_file(key_file).min_key_id == 2
    assert run_keys(config, "status") == 0
    assert "secrets under keys below the primary: 0" in capsys.readouterr().out


def test_floor_never_exceeds_the_primary(config: Path, tmp_path: Path) -> None:
    run_keys(config, "init")
    run_keys(config, "add")

    with pytest.raises(ValueError, match="above the primary"):
        run_keys(config, "floor", "2")


def test_env_source_writes_the_new_ring_to_a_file(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = base64.b64encode(bytes(32)).decode()
    monkeypatch.setenv("CAST_VAULT_KEYS", orjson.dumps({"1": key}).decode())
    config.write_text(config.read_text().replace('source = "file"', 'source = "env"'))

    with pytest.raises(ValueError, match="--output"):
        run_keys(config, "add")
    output = tmp_path / "ring.json"
    assert run_keys(config, "add", "--output", str(output)) == 0

    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert load_ring_file(output).key_ids == (1, 2)
    assert key not in capsys.readouterr().out
