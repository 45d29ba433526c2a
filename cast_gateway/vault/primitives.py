"""The three primitives the vault is built from, each behind one small function.

Tests drive these same functions with the Wycheproof vectors, so the known-answer
checks cover the exact code path that `Vault` runs, including its own input checks
(a nonce of exactly 12 bytes, a tag of at least 16 bytes).
"""

from __future__ import annotations

import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import DecryptionError, KeyConfigError

__all__ = [
    "KEY_BYTES",
    "NONCE_BYTES",
    "TAG_BYTES",
    "MIN_MAC_TAG_BYTES",
    "HKDF_MAX_BYTES",
    "aead_seal",
    "aead_open",
    "open_with_raw_key",
    "hmac_sha256",
    "hmac_sha256_verify",
    "hkdf_sha256",
]

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# A MAC tag shorter than 128 bits is rejected: a truncated tag is easier to forge.
MIN_MAC_TAG_BYTES = 16
# RFC 5869: HKDF output is at most 255 blocks of the hash length.
HKDF_MAX_BYTES = 255 * hashlib.sha256().digest_size

RAW_CONTEXT = "(raw)"


def aead_seal(aead: AESGCM, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt with AES-GCM; returns ciphertext followed by the 16-byte tag."""
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"AES-GCM nonce has {len(nonce)} bytes; the vault uses exactly {NONCE_BYTES}")
    return aead.encrypt(nonce, plaintext, aad)


def aead_open(aead: AESGCM, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes, failure: DecryptionError) -> bytes:
    """Decrypt with AES-GCM, raising `failure` for a bad nonce length, a short input or a tag mismatch.

    Only 96-bit nonces are accepted: other lengths go through GHASH, where the counter-wrap
    class of bugs lives, and the vault never writes them.
    """
    if len(nonce) != NONCE_BYTES or len(ciphertext_and_tag) < TAG_BYTES:
        raise failure
    try:
        return aead.decrypt(nonce, ciphertext_and_tag, aad)
    except InvalidTag:
        raise failure from None


def open_with_raw_key(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, aad: bytes) -> bytes:
    """Test hook: `aead_open` under a raw 32-byte key, failing with the vault's `DecryptionError`."""
    if len(key) != KEY_BYTES:
        raise KeyConfigError(f"AES-256 key has {len(key)} bytes; it needs exactly {KEY_BYTES}")
    return aead_open(AESGCM(key), nonce, ciphertext_and_tag, aad, DecryptionError(RAW_CONTEXT, RAW_CONTEXT))


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def hmac_sha256_verify(key: bytes, data: bytes, tag: bytes) -> bool:
    """Check a full or truncated (leftmost bytes, at least 16) HMAC-SHA256 tag in constant time."""
    if not MIN_MAC_TAG_BYTES <= len(tag) <= hashlib.sha256().digest_size:
        return False
    return hmac.compare_digest(hmac_sha256(key, data)[: len(tag)], tag)


def hkdf_sha256(ikm: bytes, *, salt: bytes | None, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869). An empty salt is the same as no salt: both mean a zero block."""
    if not 0 < length <= HKDF_MAX_BYTES:
        raise KeyConfigError(f"HKDF-SHA256 output length {length} is out of range; use 1 to {HKDF_MAX_BYTES} bytes")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)
