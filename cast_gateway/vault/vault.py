"""AES-256-GCM envelopes with a key id, bound to their row by associated data.

Ciphertext format v1 (bytes)::

    0x01 | key_id (uint32, big-endian) | nonce (12 random bytes) | ciphertext | tag (16 bytes)

The associated data is a length-prefixed encoding of a label, the 5-byte header, the
purpose, the workspace id, the secret's immutable id and the field name. A ciphertext
copied to another row, workspace or purpose therefore fails its tag check.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from enum import Enum
from typing import Callable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import DecryptionError, KeyConfigError

__all__ = ["Purpose", "Vault", "FORMAT_VERSION", "KEY_BYTES", "NONCE_BYTES"]

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER = struct.Struct(">BI")
MIN_CIPHERTEXT_BYTES = HEADER.size + NONCE_BYTES + TAG_BYTES


class Purpose(str, Enum):
    """What a subkey is for. Each purpose gets its own HKDF subkey of the root key."""

    COLUMN = "column"  # secret values at rest in the store
    CACHE = "cache"  # workspace configs in the shared cache
    CLIENT_ID = "client-id"  # pseudonyms of MCP clients in audit rows
    TOKEN_HASH = "token-hash"  # keyed hashes of client tokens


def length_prefixed(*parts: bytes) -> bytes:
    """Encode parts so that no two different tuples give the same bytes."""
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


def derive_subkey(root: bytes, purpose: str, key_id: int) -> bytes:
    info = length_prefixed(b"cast/kdf/v1", purpose.encode(), str(key_id).encode())
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(root)


class Vault:
    """Encrypts and decrypts secrets with a ring of root keys, one of them primary.

    `keys` maps key ids to 32-byte root keys. Decryption uses exactly the key that the
    ciphertext names and never tries others. `hash_key_id` names the root key that keyed
    hashes (token hashes, client pseudonyms) derive from; it does not move when the
    primary rotates, so stored token hashes stay valid.
    """

    def __init__(
        self,
        keys: Mapping[int, bytes],
        primary: int,
        *,
        hash_key_id: int | None = None,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        if not keys:
            raise KeyConfigError("the vault has no keys; configure at least one 32-byte key")
        for key_id, key in keys.items():
            if not 0 < key_id < 2**32:
                raise KeyConfigError(f"key id {key_id!r} is out of range; use 1 to 4294967295")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"key {key_id} has {len(key)} bytes; AES-256 needs exactly {KEY_BYTES}")
        if primary not in keys:
            raise KeyConfigError(f"primary key id {primary} is not in the key ring {sorted(keys)}")
        hash_key_id = min(keys) if hash_key_id is None else hash_key_id
        if hash_key_id not in keys:
            raise KeyConfigError(f"hash key id {hash_key_id} is not in the key ring {sorted(keys)}")

        self._roots = dict(keys)
        self.primary = primary
        self.hash_key_id = hash_key_id
        self._random_bytes = random_bytes
        self._aeads: dict[tuple[str, int], AESGCM] = {}
        self._hash_keys: dict[str, bytes] = {}

    @property
    def key_ids(self) -> tuple[int, ...]:
        return tuple(sorted(self._roots))

    def encrypt(self, plaintext: bytes, *, purpose: Purpose, workspace_id: str, secret_id: str, field: str = "value") -> bytes:
        header = HEADER.pack(FORMAT_VERSION, self.primary)
        nonce = self._random_bytes(NONCE_BYTES)
        aad = self._aad(header, purpose, workspace_id, secret_id, field)
        return header + nonce + self._aead(purpose, self.primary).encrypt(nonce, plaintext, aad)

    def decrypt(self, ciphertext: bytes, *, purpose: Purpose, workspace_id: str, secret_id: str, field: str = "value") -> bytes:
        failure = DecryptionError(workspace_id, secret_id, field)
        if len(ciphertext) < MIN_CIPHERTEXT_BYTES:
            raise failure
        version, key_id = HEADER.unpack_from(ciphertext)
        if version != FORMAT_VERSION or key_id not in self._roots:
            raise failure

        header = ciphertext[: HEADER.size]
        nonce = ciphertext[HEADER.size : HEADER.size + NONCE_BYTES]
        aad = self._aad(header, purpose, workspace_id, secret_id, field)
        try:
            return self._aead(purpose, key_id).decrypt(nonce, ciphertext[HEADER.size + NONCE_BYTES :], aad)
        except InvalidTag:
            raise failure from None

    def keyed_hash(self, purpose: Purpose, data: bytes) -> bytes:
        """HMAC-SHA256 of `data` under the purpose's subkey of the hash key."""
        key = self._hash_keys.get(purpose.value)
        if key is None:
            key = derive_subkey(self._roots[self.hash_key_id], purpose.value, self.hash_key_id)
            self._hash_keys[purpose.value] = key
        return hmac.new(key, data, hashlib.sha256).digest()

    @staticmethod
    def key_id_of(ciphertext: bytes) -> int:
        """The key id a ciphertext names (for rotation bookkeeping; says nothing about validity)."""
        if len(ciphertext) < HEADER.size:
            raise ValueError(f"ciphertext of {len(ciphertext)} bytes is too short to carry a header")
        return int(HEADER.unpack_from(ciphertext)[1])

    def _aead(self, purpose: Purpose, key_id: int) -> AESGCM:
        cache_key = (purpose.value, key_id)
        aead = self._aeads.get(cache_key)
        if aead is None:
            aead = AESGCM(derive_subkey(self._roots[key_id], purpose.value, key_id))
            self._aeads[cache_key] = aead
        return aead

    @staticmethod
    def _aad(header: bytes, purpose: Purpose, workspace_id: str, secret_id: str, field: str) -> bytes:
        return length_prefixed(
            b"cast-aad/v1", header, purpose.value.encode(), workspace_id.encode(), secret_id.encode(), field.encode()
        )

    def __repr__(self) -> str:
        return f"Vault(key_ids={list(self.key_ids)}, primary={self.primary})"
