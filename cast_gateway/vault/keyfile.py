"""Key sources for the vault: a local key file and the `CAST_VAULT_KEYS` environment variable.

`CAST_VAULT_KEYS` holds either a map of key id to base64 key (`{"1": "<base64>"}`, with
`CAST_VAULT_PRIMARY`, `CAST_VAULT_MIN_KEY_ID` and `CAST_VAULT_HASH_KEY_ID` beside it),
or a whole ring document (see `ring.py`).
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Mapping

import orjson

from .errors import KeyConfigError
from .primitives import KEY_BYTES
from .ring import KeyRing
from .vault import Vault

__all__ = [
    "load_key_file",
    "load_ring_file",
    "create_key_file",
    "write_key_file",
    "ring_from_env",
    "keys_from_env",
    "vault_from_sources",
    "ENV_KEYS",
    "ENV_PRIMARY",
    "ENV_MIN_KEY_ID",
    "ENV_HASH_KEY_ID",
]

logger = logging.getLogger(__name__)

ENV_KEYS = "CAST_VAULT_KEYS"
ENV_PRIMARY = "CAST_VAULT_PRIMARY"
ENV_MIN_KEY_ID = "CAST_VAULT_MIN_KEY_ID"
ENV_HASH_KEY_ID = "CAST_VAULT_HASH_KEY_ID"
KEY_FILE_MODE = 0o600


def load_ring_file(path: Path) -> KeyRing:
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
    return KeyRing.from_document(document, f"key file {str(path)!r}")


def load_key_file(path: Path) -> Vault:
    return Vault.from_ring(load_ring_file(path))


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Replace the key file atomically with `ring`, mode 0600 from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, so the keys are never readable by others,
    # and os.replace means a reader sees the old ring or the new one, never half of one.
    fd, temp_name = tempfile.mkstemp(prefix=".vault-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps(ring.to_document(), option=orjson.OPT_INDENT_2))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, KEY_FILE_MODE)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def create_key_file(path: Path) -> KeyRing:
    """Write a new key file with one random key, mode 0600, failing if it already exists."""
    ring = KeyRing(keys={1: os.urandom(KEY_BYTES)}, primary=1, hash_key_id=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEY_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(orjson.dumps(ring.to_document(), option=orjson.OPT_INDENT_2))
    logger.warning("created vault key file %s: for local use only; production reads keys from %s", path, ENV_KEYS)
    return ring


def _env_int(environ: Mapping[str, str], name: str) -> int | None:
    raw = environ.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise KeyConfigError(f"{name}={raw[:20]!r} is not an integer key id") from None


def ring_from_env(environ: Mapping[str, str]) -> KeyRing | None:
    """Build a ring from `CAST_VAULT_KEYS`, or None when it is unset."""
    raw = environ.get(ENV_KEYS)
    if not raw:
        return None
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise KeyConfigError(f'{ENV_KEYS} is not valid JSON; expected {{"1": "<base64 key>"}}') from None
    if not isinstance(parsed, dict):
        raise KeyConfigError(f'{ENV_KEYS} must be a JSON object such as {{"1": "<base64 key>"}}')
    document: dict[str, object] = dict(parsed) if "keys" in parsed else {"keys": parsed}
    for name, field in ((ENV_PRIMARY, "primary"), (ENV_MIN_KEY_ID, "min_key_id"), (ENV_HASH_KEY_ID, "hash_key_id")):
        value = _env_int(environ, name)
        if value is not None:
            document[field] = value
    return KeyRing.from_document(document, ENV_KEYS)


def keys_from_env(environ: Mapping[str, str]) -> Vault | None:
    """Build a vault from `CAST_VAULT_KEYS`, or None when unset."""
    ring = ring_from_env(environ)
    return Vault.from_ring(ring) if ring is not None else None


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
