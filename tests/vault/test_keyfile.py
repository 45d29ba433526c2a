"""Key ring sources: the key file (owner-only) and the CAST_VAULT_KEYS environment variable."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import orjson
import pytest

from cast_gateway.vault import KeyConfigError, KeyRing
from cast_gateway.vault.keyfile import (
    create_key_file,
    keys_from_env,
    load_ring_file,
    ring_from_env,
    vault_from_sources,
    write_key_file,
)

KEY_1 = base64.b64encode(bytes(range(32))).decode()
KEY_2 = base64.b64encode(bytes(range(32, 64))).decode()


def test_created_key_file_is_owner_only_and_loads(tmp_path: Path) -> None:
    path = tmp_path / "var" / "vault.key"
    created = create_key_file(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_ring_file(path)
    assert loaded.keys == created.keys
    assert (loaded.primary, loaded.min_key_id, loaded.hash_key_id) == (1, 1, 1)


def test_create_key_file_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    create_key_file(path)

    with pytest.raises(FileExistsError):
        create_key_file(path)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o620])
def test_key_file_readable_by_others_is_rejected(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "vault.key"
    create_key_file(path)
    os.chmod(path, mode)

    with pytest.raises(KeyConfigError, match="chmod 600"):
        load_ring_file(path)


def test_missing_key_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(KeyConfigError, match="keys init"):
        load_ring_file(tmp_path / "absent.key")


def test_write_key_file_round_trips_the_ring(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"
    ring = KeyRing.from_document({"keys": {"1": KEY_1, "2": KEY_2}, "primary": 2, "min_key_id": 2, "hash_key_id": 1}, "t")

    write_key_file(path, ring)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_ring_file(path) == ring
    assert [p.name for p in tmp_path.iterdir()] == ["vault.key"]


def test_env_map_with_primary() -> None:
    vault = keys_from_env(
        {"CAST_VAULT_KEYS": orjson.dumps({"1": KEY_1, "2": KEY_2}).decode(), "CAST_VAULT_PRIMARY": "2"}
    )

    assert vault is not None
    assert (vault.primary, vault.hash_key_id, vault.min_key_id) == (2, 1, 1)


def test_env_accepts_a_whole_ring_document() -> None:
    document = {"keys": {"1": KEY_1, "2": KEY_2}, "primary": 2, "min_key_id": 2, "hash_key_id": 1}
    ring = ring_from_env({"CAST_VAULT_KEYS": orjson.dumps(document).decode()})

    assert ring is not None
    assert ring.to_document() == document


def test_env_unset_falls_back_to_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "vault.key"

    vault = vault_from_sources(path, {}, create_missing=True)

    assert vault.key_ids == (1,)
    assert path.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not json", "not valid JSON"),
        ("[1]", "JSON object"),
        ('{"x": "AAAA"}', "not an integer"),
        ('{"1": "@@@"}', "not valid base64"),
        ('{"1": "AAAA"}', "decodes to 3 bytes"),
        ('{"keys": {"1": "%s"}, "primry": 1}' % KEY_1, "unknown field 'primry'"),
        ('{"keys": {"1": "%s"}, "primary": "1"}' % KEY_1, "'primary' must be an integer"),
    ],
)
def test_env_errors_name_the_problem(value: str, message: str) -> None:
    with pytest.raises(KeyConfigError, match=message) as caught:
        ring_from_env({"CAST_VAULT_KEYS": value})
    assert KEY_1 not in str(caught.value)
