"""Key sources for the vault: a local key file and the `CAST_VAULT_KEYS` environment variable."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
from pathlib import Path
from typing import Mapping

import orjson

from .errors import KeyConfigError
from .vault import KEY_BYTES, Vault

__all__ = ["load_key_file", "create_key_file", "keys_from_env", "vault_from_sources", "ENV_KEYS", "ENV_PRIMARY"]

logger = logging.getLogger(__name__)

ENV_KEYS = "CAST_VAULT_KEYS"
ENV_PRIMARY = "CAST_VAULT_PRIMARY"


def _decode_key(key_id: object, encoded: object, source: str) -> tuple[int, bytes]:
    try:
        number = int(str(key_id))
    except ValueError:
        raise KeyConfigError(f"{source}: key id {key_id!r} is not an integer") from None
    if not isinstance(encoded, str):
        raise KeyConfigError(f"{source}: key {number} must be a base64 string")
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise KeyConfigError(f"{source}: key {number} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigError(f"{source}: key {number} decodes to {len(key)} bytes; AES-256 needs {KEY_BYTES}")
    return number, key


def _parse_ring(document: object, source: str) -> tuple[dict[int, bytes], int, int | None]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), dict):
        raise KeyConfigError(f'{source}: expected a JSON object {{"keys": {{"1": "<base64>"}}, "primary": 1}}')
    keys = dict(_decode_key(k, v, source) for k, v in document["keys"].items())
    primary = document.get("primary", max(keys) if keys else 0)
    hash_key_id = document.get("hash_key_id")
    if not isinstance(primary, int) or (hash_key_id is not None and not isinstance(hash_key_id, int)):
        raise KeyConfigError(f"{source}: 'primary' and 'hash_key_id' must be integers")
    return keys, primary, hash_key_id


def load_key_file(path: Path) -> Vault:
    """Read a key ring file, rejecting one that group or others may read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyConfigError(f"key file {str(path)!r} not found; create it with 'cast-gateway keys init'") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyConfigError(
            f"key file {str(path)!r} has mode {stat.S_IMODE(mode):o}; it must be readable by its owner only (chmod 600)"
        )
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError:
        raise KeyConfigError(f"key file {str(path)!r} is not valid JSON") from None
    keys, primary, hash_key_id = _parse_ring(document, f"key file {str(path)!r}")
    return Vault(keys, primary, hash_key_id=hash_key_id)


def create_key_file(path: Path) -> None:
    """Write a new key file with one random key, mode 0600, failing if it already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"keys": {"1": base64.b64encode(os.urandom(KEY_BYTES)).decode()}, "primary": 1, "hash_key_id": 1}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    logger.warning("created vault key file %s: for local use only; production reads keys from %s", path, ENV_KEYS)


def keys_from_env(environ: Mapping[str, str]) -> Vault | None:
    """Build a vault from `CAST_VAULT_KEYS` (`{"1": "<base64>", ...}`), or None when unset."""
    raw = environ.get(ENV_KEYS)
    if not raw:
        return None
    try:
        mapping = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise KeyConfigError(f'{ENV_KEYS} is not valid JSON; expected {{"1": "<base64 key>"}}') from None
    if not isinstance(mapping, dict):
        raise KeyConfigError(f'{ENV_KEYS} must be a JSON object such as {{"1": "<base64 key>"}}')
    document: dict[str, object] = {"keys": mapping}
    if environ.get(ENV_PRIMARY):
        try:
            document["primary"] = int(environ[ENV_PRIMARY])
        except ValueError:
            raise KeyConfigError(f"{ENV_PRIMARY}={environ[ENV_PRIMARY]!r} is not an integer key id") from None
    keys, primary, hash_key_id = _parse_ring(document, ENV_KEYS)
    return Vault(keys, primary, hash_key_id=hash_key_id)


def vault_from_sources(key_file: Path | None, environ: Mapping[str, str], *, create_missing: bool) -> Vault:
    """Prefer the environment; else the key file, created on first start when allowed."""
    vault = keys_from_env(environ)
    if vault is not None:
        return vault
    if key_file is None:
        raise KeyConfigError(f"no vault keys: set {ENV_KEYS} or configure vault.key_file")
    if create_missing and not key_file.exists():
        create_key_file(key_file)
    return load_key_file(key_file)
