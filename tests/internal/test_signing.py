"""The signature scheme: known-answer vectors, canonical forms and header layout."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from cast_gateway.internal.signing import (
    HEADER_SIGNATURE,
    MAX_SKEW_S,
    NONCE_TTL_S,
    RequestTarget,
    canonical_query,
    new_nonce,
    sign_request,
    signature_matches,
    string_to_sign,
)

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "hmac_sha256_test.json"


def wycheproof_cases() -> list[tuple[int, int, bytes, bytes, bytes, str]]:
    data = json.loads(VECTORS.read_text())
    cases = []
    for group in data["testGroups"]:
        for test in group["tests"]:
            cases.append(
                (test["tcId"], group["tagSize"], bytes.fromhex(test["key"]), bytes.fromhex(test["msg"]),
                 bytes.fromhex(test["tag"]), test["result"])
            )
    return cases


def test_wycheproof_vectors_cover_every_test() -> None:
    assert len(wycheproof_cases()) == json.loads(VECTORS.read_text())["numberOfTests"] == 174


@pytest.mark.parametrize("tc_id,tag_bits,key,message,tag,result", wycheproof_cases(), ids=lambda v: str(v) if isinstance(v, int) else None)
def test_compare_path_agrees_with_wycheproof(tc_id: int, tag_bits: int, key: bytes, message: bytes, tag: bytes, result: str) -> None:
    accepted = signature_matches(key, message, tag)
    if tag_bits == 256:
        assert accepted == (result == "valid"), f"tcId {tc_id}"
    else:
        # The verifier takes only full 32-byte tags: a correct 128-bit prefix must not pass.
        assert not accepted, f"tcId {tc_id}"


def test_canonical_query_sorts_raw_fields() -> None:
    assert canonical_query("b=2&a=1&a=0") == "a=0&a=1&b=2"


def test_canonical_query_keeps_percent_encoding() -> None:
    assert canonical_query("a=%62") != canonical_query("a=b")


def test_canonical_query_of_empty_string() -> None:
    assert canonical_query("") == ""


def test_string_to_sign_layout() -> None:
    target = RequestTarget("PUT", "127.0.0.1:8090", "/internal/v1/workspaces/a%2Fb", "z=1&y=2", b"{}")
    expected = "\n".join(
        ["CAST1-HMAC-SHA256", "kid", "1700000000", "nonce-nonce-nonce", "PUT", "127.0.0.1:8090",
         "/internal/v1/workspaces/a%2Fb", "y=2&z=1", hashlib.sha256(b"{}").hexdigest()]
    ).encode()
    assert string_to_sign(target, key_id="kid", timestamp=1700000000, nonce="nonce-nonce-nonce") == expected


def test_sign_request_headers() -> None:
    secret = b"s" * 32
    target = RequestTarget("GET", "h", "/p", "", b"")
    headers = sign_request(target, key_id="kid", secret=secret, timestamp=1700000000, nonce="n" * 22)
    message = string_to_sign(target, key_id="kid", timestamp=1700000000, nonce="n" * 22)

    assert headers["X-Cast-Key-Id"] == "kid"
    assert headers["X-Cast-Timestamp"] == "1700000000"
    assert headers["X-Cast-Nonce"] == "n" * 22
    assert headers["X-Cast-Content-SHA256"] == hashlib.sha256(b"").hexdigest()
    assert headers[HEADER_SIGNATURE] == "v1=" + hmac.new(secret, message, hashlib.sha256).hexdigest()


def test_nonces_are_random_and_22_characters() -> None:
    nonces = {new_nonce() for _ in range(100)}
    assert len(nonces) == 100
    assert {len(nonce) for nonce in nonces} == {22}


def test_skew_window_and_nonce_lifetime() -> None:
    assert MAX_SKEW_S == 300
    assert NONCE_TTL_S == 600
