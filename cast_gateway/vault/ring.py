"""The key ring: root keys by id, the primary, the decryption floor and the hash key.

Its JSON document, as the key file, `CAST_VAULT_KEYS` and the AWS secret hold it::

    {"keys": {"1": "<base64 32 bytes>", "2": "..."},
     "primary": 2,          # new ciphertexts use this key
     "min_key_id": 2,       # the floor: ciphertexts under a lower id no longer decrypt
     "hash_key_id": 1}      # root of token hashes and client pseudonyms

`hash_key_id` never follows the primary: every stored client-token hash derives from
it, so moving it would lock every client out. It may sit below the floor, because the
floor limits decryption only.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from .errors import KeyConfigError
from .primitives import KEY_BYTES

__all__ = ["KeyRing", "MAX_KEY_ID"]

MAX_KEY_ID = 2**32 - 1  # the format stores the key id as an unsigned 32-bit integer


def _decode_key(key_id: object, encoded: object, source: str) -> tuple[int, bytes]:
    try:
        number = int(str(key_id))
    except ValueError:
        raise KeyConfigError(f"{source}: key id {str(key_id)[:20]!r} is not an integer") from None
    if not isinstance(encoded, str):
        raise KeyConfigError(f"{source}: key {number} must be a base64 string")
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise KeyConfigError(f"{source}: key {number} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigError(f"{source}: key {number} decodes to {len(key)} bytes; AES-256 needs {KEY_BYTES}")
    return number, key


def _optional_int(document: Mapping[str, Any], name: str, source: str) -> int | None:
    value = document.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise KeyConfigError(f"{source}: {name!r} must be an integer key id, got {str(value)[:20]!r}")
    return value


@dataclass(frozen=True)
class KeyRing:
    """Root keys by id, with the ids that mark how each is used. `repr` shows ids only."""

    keys: Mapping[int, bytes] = field(repr=False)
    primary: int
    min_key_id: int = 1
    hash_key_id: int = 0  # 0: the lowest key id

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("the key ring has no keys; add one with 'cast-gateway keys init'")
        for key_id, key in self.keys.items():
            if not 0 < key_id <= MAX_KEY_ID:
                raise KeyConfigError(f"key id {key_id!r} is out of range; use 1 to {MAX_KEY_ID}")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"key {key_id} has {len(key)} bytes; AES-256 needs exactly {KEY_BYTES}")
        object.__setattr__(self, "keys", dict(self.keys))
        if self.hash_key_id == 0:
            object.__setattr__(self, "hash_key_id", min(self.keys))
        ids = sorted(self.keys)
        if self.primary not in self.keys:
            raise KeyConfigError(f"primary key id {self.primary} is not in the key ring {ids}")
        if self.hash_key_id not in self.keys:
            raise KeyConfigError(f"hash key id {self.hash_key_id} is not in the key ring {ids}")
        if self.min_key_id > self.primary:
            raise KeyConfigError(
                f"min_key_id {self.min_key_id} is above the primary key id {self.primary}; "
                "new ciphertexts would not decrypt. Lower min_key_id or promote a newer key"
            )

    @property
    def key_ids(self) -> tuple[int, ...]:
        return tuple(sorted(self.keys))

    def accepts(self, key_id: int) -> bool:
        """Whether ciphertexts under `key_id` may be decrypted (known and not below the floor)."""
        return key_id in self.keys and key_id >= self.min_key_id

    def retired_ids(self) -> tuple[int, ...]:
        return tuple(key_id for key_id in self.key_ids if key_id < self.min_key_id)

    # --- rotation steps; each returns a new ring

    def with_new_key(self, random_bytes: Callable[[int], bytes] = os.urandom) -> tuple[KeyRing, int]:
        """Add a random key with the next id, not yet primary."""
        new_id = max(self.keys) + 1
        if new_id > MAX_KEY_ID:
            raise KeyConfigError(f"key id {new_id} would exceed {MAX_KEY_ID}")
        return replace(self, keys={**self.keys, new_id: random_bytes(KEY_BYTES)}), new_id

    def promoted(self, key_id: int) -> KeyRing:
        if key_id not in self.keys:
            raise KeyConfigError(f"key id {key_id} is not in the key ring {list(self.key_ids)}; add it first")
        if key_id < self.min_key_id:
            raise KeyConfigError(f"key id {key_id} is below the floor min_key_id {self.min_key_id}; it is retired")
        return replace(self, primary=key_id)

    def with_floor(self, min_key_id: int) -> KeyRing:
        return replace(self, min_key_id=min_key_id)

    # --- the JSON document

    @classmethod
    def from_document(cls, document: object, source: str) -> KeyRing:
        """Parse a ring document; `source` names where it came from in error messages."""
        if not isinstance(document, dict) or not isinstance(document.get("keys"), dict):
            raise KeyConfigError(f'{source}: expected a JSON object {{"keys": {{"1": "<base64>"}}, "primary": 1}}')
        unknown = sorted(set(document) - {"keys", "primary", "min_key_id", "hash_key_id"})
        if unknown:
            raise KeyConfigError(f"{source}: unknown field {unknown[0][:40]!r}; known: keys, primary, min_key_id, hash_key_id")
        keys = dict(_decode_key(k, v, source) for k, v in document["keys"].items())
        if not keys:
            raise KeyConfigError(f"{source}: 'keys' is empty; a ring needs at least one key")
        primary = _optional_int(document, "primary", source)
        min_key_id = _optional_int(document, "min_key_id", source)
        hash_key_id = _optional_int(document, "hash_key_id", source)
        try:
            return cls(
                keys=keys,
                primary=max(keys) if primary is None else primary,
                min_key_id=1 if min_key_id is None else min_key_id,
                hash_key_id=hash_key_id or 0,
            )
        except KeyConfigError as exc:
            raise KeyConfigError(f"{source}: {exc}") from None

    def to_document(self) -> dict[str, Any]:
        return {
            "keys": {str(key_id): base64.b64encode(self.keys[key_id]).decode() for key_id in self.key_ids},
            "primary": self.primary,
            "min_key_id": self.min_key_id,
            "hash_key_id": self.hash_key_id,
        }
