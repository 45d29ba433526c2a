"""Project Wycheproof vectors (C2SP/wycheproof, Apache-2.0) through the vault's own primitives.

The vector files live outside the repository, in `../shared/vectors/` relative to the
repository root; each test counts the vectors it ran so that a truncated file fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cast_gateway.vault import DecryptionError, KeyConfigError
from cast_gateway.vault.primitives import aead_seal, hkdf_sha256, hmac_sha256_verify, open_with_raw_key

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


def load_tests(name: str, **group_filter: int) -> list[dict[str, Any]]:
    document = json.loads((VECTORS / name).read_text())
    selected = []
    for group in document["testGroups"]:
        if all(group.get(key) == value for key, value in group_filter.items()):
            selected.extend({**test, "tagSize": group.get("tagSize")} for test in group["tests"])
    return selected


AES_GCM = load_tests("aes_gcm_test.json", keySize=256, ivSize=96, tagSize=128)
HMAC = load_tests("hmac_sha256_test.json")
HKDF = load_tests("hkdf_sha256_test.json")


def test_vector_counts_match_the_files() -> None:
    assert len(AES_GCM) == 66
    assert len(HMAC) == 174
    assert len(HKDF) == 86
    assert {t["result"] for t in AES_GCM + HMAC + HKDF} == {"valid", "invalid"}


@pytest.mark.parametrize("vector", AES_GCM, ids=lambda t: f"tc{t['tcId']}")
def test_aes_gcm_vector(vector: dict[str, Any]) -> None:
    key, iv, aad = bytes.fromhex(vector["key"]), bytes.fromhex(vector["iv"]), bytes.fromhex(vector["aad"])
    msg, sealed = bytes.fromhex(vector["msg"]), bytes.fromhex(vector["ct"] + vector["tag"])

    if vector["result"] == "valid":
        assert aead_seal(AESGCM(key), iv, msg, aad) == sealed
        assert open_with_raw_key(key, iv, sealed, aad) == msg
    else:
        with pytest.raises(DecryptionError) as caught:
            open_with_raw_key(key, iv, sealed, aad)
        assert vector["ct"] not in str(caught.value)


def test_aes_gcm_rejects_other_nonce_lengths() -> None:
    key = bytes(32)
    for length in (0, 8, 11, 13, 16):
        with pytest.raises(DecryptionError):
            open_with_raw_key(key, bytes(length), bytes(32), b"")


@pytest.mark.parametrize("vector", HMAC, ids=lambda t: f"tc{t['tcId']}-tag{t['tagSize']}")
def test_hmac_sha256_vector(vector: dict[str, Any]) -> None:
    key, msg, tag = bytes.fromhex(vector["key"]), bytes.fromhex(vector["msg"]), bytes.fromhex(vector["tag"])
    assert len(tag) * 8 == vector["tagSize"]

    assert hmac_sha256_verify(key, msg, tag) is (vector["result"] == "valid")


def test_hmac_rejects_tags_shorter_than_128_bits() -> None:
    valid = next(t for t in HMAC if t["result"] == "valid" and t["tagSize"] == 256)
    key, msg, tag = (bytes.fromhex(valid[name]) for name in ("key", "msg", "tag"))

    assert hmac_sha256_verify(key, msg, tag[:16]) is True
    assert hmac_sha256_verify(key, msg, tag[:15]) is False
    assert hmac_sha256_verify(key, msg, b"") is False


@pytest.mark.parametrize("vector", HKDF, ids=lambda t: f"tc{t['tcId']}")
def test_hkdf_sha256_vector(vector: dict[str, Any]) -> None:
    ikm, salt, info = (bytes.fromhex(vector[name]) for name in ("ikm", "salt", "info"))

    if vector["result"] == "valid":
        assert hkdf_sha256(ikm, salt=salt, info=info, length=vector["size"]).hex() == vector["okm"]
    else:
        with pytest.raises(KeyConfigError):
            hkdf_sha256(ikm, salt=salt, info=info, length=vector["size"])
