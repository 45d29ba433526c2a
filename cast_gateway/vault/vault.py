"""AES-256-GCM envelopes with a key id, bound to their row by associated data.

Ciphertext format v1 (bytes)::

    0x01 | key_id (uint32, big-endian) | nonce (12 random bytes) | ciphertext | tag (16 bytes)

The associated data is a length-prefixed encoding of a label, the 5-byte header, the
purpose, the workspace id, the secret's immutable id and the field name. A ciphertext
copied to another row, workspace or purpose therefore fails its tag check.
"""

from __future__ import annotations

import os
import struct
from enum import Enum
from typing import Callable, Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .errors import DecryptionError
from .primitives import KEY_BYTES, NONCE_BYTES, TAG_BYTES, aead_open, aead_seal, hkdf_sha256, hmac_sha256, hmac_sha256_verify
from .ring import KeyRing

__all__ = [
    "Purpose",
    "Vault",
    "FORMAT_VERSION",
    "KEY_BYTES",
    "NONCE_BYTES",
    "TAG_BYTES",
    "HEADER",
    "MIN_CIPHERTEXT_BYTES",
    "derive_subkey",
    "length_prefixed",
    "associated_data",
]

FORMAT_VERSION = 1
HEADER = struct.Struct(">BI")
MIN_CIPHERTEXT_BYTES = HEADER.size + NONCE_BYTES + TAG_BYTES
_LENGTH = struct.Struct(">I")


class Purpose(str, Enum):
    """The use of a subkey. Each purpose gets its own HKDF subkey of the root key."""

    COLUMN = "column"  # secret values at rest in the store
    CACHE = "cache"  # workspace configs in the shared cache
    CLIENT_ID = "client-id"  # pseudonyms of MCP clients in audit rows
    TOKEN_HASH = "token-hash"  # keyed hashes of client tokens


def length_prefixed(*parts: bytes) -> bytes:
    """Encode parts so that no two different tuples give the same bytes."""
    return b"".join(_LENGTH.pack(len(part)) + part for part in parts)


def derive_subkey(root: bytes, purpose: str, key_id: int) -> bytes:
    """The 32-byte HKDF-SHA256 subkey of `root` for one purpose (no salt: the root is uniform)."""
    info = length_prefixed(b"cast/kdf/v1", purpose.encode(), str(key_id).encode())
    return hkdf_sha256(root, salt=None, info=info, length=KEY_BYTES)


# The constant parts of the associated data, encoded once: this runs on every
# encryption and decryption, and building it part by part cost a third of the time.
_AAD_PREFIX = length_prefixed(b"cast-aad/v1") + _LENGTH.pack(HEADER.size)
_PURPOSE_PARTS = {purpose: length_prefixed(purpose.value.encode()) for purpose in Purpose}


def associated_data(header: bytes, purpose: Purpose, workspace_id: str, secret_id: str, field: str) -> bytes:
    """`length_prefixed(b"cast-aad/v1", header, purpose, workspace_id, secret_id, field)`, built faster."""
    workspace, secret, field_name = workspace_id.encode(), secret_id.encode(), field.encode()
    return b"".join(
        (
            _AAD_PREFIX,
            header,
            _PURPOSE_PARTS[purpose],
            _LENGTH.pack(len(workspace)),
            workspace,
            _LENGTH.pack(len(secret)),
            secret,
            _LENGTH.pack(len(field_name)),
            field_name,
        )
    )


class Vault:
    """Encrypts and decrypts secrets with a ring of root keys, one of them primary.

    `keys` maps key ids to 32-byte root keys. Decryption uses exactly the key that the
    ciphertext names and never tries others; a key id below `min_key_id` (retired) or
    not in the ring fails like a bad tag. `hash_key_id` names the root key that keyed
    hashes (token hashes, client pseudonyms) derive from; it does not move when the
    primary rotates, so stored token hashes stay valid. `random_bytes` supplies nonces
    and is injectable for tests.
    """

    def __init__(
        self,
        keys: Mapping[int, bytes],
        primary: int,
        *,
        hash_key_id: int | None = None,
        min_key_id: int = 1,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.ring = KeyRing(keys=keys, primary=primary, min_key_id=min_key_id, hash_key_id=hash_key_id or 0)
        self._random_bytes = random_bytes
        self._aeads: dict[tuple[str, int], AESGCM] = {}
        self._hash_keys: dict[str, bytes] = {}

    @classmethod
    def from_ring(cls, ring: KeyRing, *, random_bytes: Callable[[int], bytes] = os.urandom) -> Vault:
        return cls(
            ring.keys, ring.primary, hash_key_id=ring.hash_key_id, min_key_id=ring.min_key_id, random_bytes=random_bytes
        )

    @property
    def primary(self) -> int:
        return self.ring.primary

    @property
    def hash_key_id(self) -> int:
        return self.ring.hash_key_id

    @property
    def min_key_id(self) -> int:
        return self.ring.min_key_id

    @property
    def key_ids(self) -> tuple[int, ...]:
        return self.ring.key_ids

    def encrypt(self, plaintext: bytes, *, purpose: Purpose, workspace_id: str, secret_id: str, field: str = "value") -> bytes:
        header = HEADER.pack(FORMAT_VERSION, self.ring.primary)
        nonce = self._random_bytes(NONCE_BYTES)
        aad = associated_data(header, purpose, workspace_id, secret_id, field)
        return header + nonce + aead_seal(self._aead(purpose, self.ring.primary), nonce, plaintext, aad)

    def decrypt(self, ciphertext: bytes, *, purpose: Purpose, workspace_id: str, secret_id: str, field: str = "value") -> bytes:
        failure = DecryptionError(workspace_id, secret_id, field)
        # Every check runs before AES and fails the same way, so no reason leaks out.
        if len(ciphertext) < MIN_CIPHERTEXT_BYTES:
            raise failure
        version, key_id = HEADER.unpack_from(ciphertext)
        if version != FORMAT_VERSION or not self.ring.accepts(key_id):
            raise failure

        header = ciphertext[: HEADER.size]
        nonce = ciphertext[HEADER.size : HEADER.size + NONCE_BYTES]
        aad = associated_data(header, purpose, workspace_id, secret_id, field)
        return aead_open(self._aead(purpose, key_id), nonce, ciphertext[HEADER.size + NONCE_BYTES :], aad, failure)

    def needs_rewrap(self, ciphertext: bytes) -> bool:
        """Return whether a ciphertext names a key other than the primary."""
        return len(ciphertext) < HEADER.size or self.key_id_of(ciphertext) != self.ring.primary

    def rewrap(self, ciphertext: bytes, *, purpose: Purpose, workspace_id: str, secret_id: str, field: str = "value") -> bytes:
        """Re-encrypt under the primary key; the plaintext never leaves this method."""
        plaintext = self.decrypt(ciphertext, purpose=purpose, workspace_id=workspace_id, secret_id=secret_id, field=field)
        return self.encrypt(plaintext, purpose=purpose, workspace_id=workspace_id, secret_id=secret_id, field=field)

    def keyed_hash(self, purpose: Purpose, data: bytes) -> bytes:
        """HMAC-SHA256 of `data` under the purpose's subkey of the hash key."""
        return hmac_sha256(self._hash_key(purpose), data)

    def verify_keyed_hash(self, purpose: Purpose, data: bytes, tag: bytes) -> bool:
        """Compare `tag` with the keyed hash of `data` in constant time."""
        return hmac_sha256_verify(self._hash_key(purpose), data, tag)

    @staticmethod
    def key_id_of(ciphertext: bytes) -> int:
        """Return the key id a ciphertext names, for rotation bookkeeping; validity is not checked."""
        if len(ciphertext) < HEADER.size:
            raise ValueError(f"ciphertext of {len(ciphertext)} bytes is too short to carry a header")
        return int(HEADER.unpack_from(ciphertext)[1])

    def _hash_key(self, purpose: Purpose) -> bytes:
        key = self._hash_keys.get(purpose.value)
        if key is None:
            hash_key_id = self.ring.hash_key_id
            key = derive_subkey(self.ring.keys[hash_key_id], purpose.value, hash_key_id)
            self._hash_keys[purpose.value] = key
        return key

    def _aead(self, purpose: Purpose, key_id: int) -> AESGCM:
        cache_key = (purpose.value, key_id)
        aead = self._aeads.get(cache_key)
        if aead is None:
            aead = AESGCM(derive_subkey(self.ring.keys[key_id], purpose.value, key_id))
            self._aeads[cache_key] = aead
        return aead

    def __repr__(self) -> str:
        ring = self.ring
        return f"Vault(key_ids={list(ring.key_ids)}, primary={ring.primary}, min_key_id={ring.min_key_id})"
