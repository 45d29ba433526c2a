"""The verifier on its own: one test per rejection reason, and the nonce rules."""

from __future__ import annotations

import logging

import pytest

from cast_gateway.internal.errors import SignatureError
from cast_gateway.internal.keys import InternalSecrets, SigningKey
from cast_gateway.internal.nonces import MemoryNonceStore
from cast_gateway.internal.signing import RequestTarget, sign_request
from cast_gateway.internal.verifier import REJECTION_REASONS, RequestVerifier

NOW = 1_700_000_000
CURRENT = SigningKey.from_text("current-secret-" + "c" * 32)
PREVIOUS = SigningKey.from_text("previous-secret-" + "p" * 32)
TARGET = RequestTarget("PUT", "127.0.0.1:8090", "/internal/v1/workspaces/w1", "b=2&a=1", b'{"base_url": null}')


def make_verifier(secrets: InternalSecrets | None = None, nonces: MemoryNonceStore | None = None) -> RequestVerifier:
    return RequestVerifier(secrets or InternalSecrets(current=CURRENT), nonces or MemoryNonceStore(), clock=lambda: NOW)


def signed(key: SigningKey = CURRENT, target: RequestTarget = TARGET, *, timestamp: int = NOW, nonce: str = "n" * 22) -> list[tuple[str, str]]:
    return list(sign_request(target, key_id=key.key_id, secret=key.secret, timestamp=timestamp, nonce=nonce).items())


async def rejection(verifier: RequestVerifier, target: RequestTarget, headers: list[tuple[str, str]]) -> str:
    with pytest.raises(SignatureError) as caught:
        await verifier.verify(target, headers)
    return caught.value.reason


@pytest.mark.anyio
async def test_valid_request_returns_key_id() -> None:
    assert await make_verifier().verify(TARGET, signed()) == CURRENT.key_id


@pytest.mark.anyio
async def test_header_names_match_in_any_case() -> None:
    headers = [(name.lower(), value) for name, value in signed()]
    assert await make_verifier().verify(TARGET, headers) == CURRENT.key_id


@pytest.mark.anyio
async def test_replayed_nonce_is_rejected() -> None:
    verifier = make_verifier()
    await verifier.verify(TARGET, signed())
    assert await rejection(verifier, TARGET, signed()) == "replayed-nonce"


@pytest.mark.anyio
@pytest.mark.parametrize("header", ["X-Cast-Key-Id", "X-Cast-Timestamp", "X-Cast-Nonce", "X-Cast-Content-SHA256", "X-Cast-Signature"])
async def test_missing_header_is_rejected(header: str) -> None:
    headers = [(name, value) for name, value in signed() if name != header]
    assert await rejection(make_verifier(), TARGET, headers) == "missing-header"


@pytest.mark.anyio
async def test_duplicate_header_is_rejected() -> None:
    headers = signed() + [("x-cast-nonce", "m" * 22)]
    assert await rejection(make_verifier(), TARGET, headers) == "duplicate-header"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "header,value",
    [
        ("X-Cast-Timestamp", "+1700000000"),
        ("X-Cast-Timestamp", "1.7e9"),
        ("X-Cast-Nonce", "short"),
        ("X-Cast-Nonce", "n" * 65),
        ("X-Cast-Signature", "v2=" + "0" * 64),
        ("X-Cast-Signature", "v1=" + "A" * 64),
        ("X-Cast-Signature", "v1=" + "0" * 32),
        ("X-Cast-Content-SHA256", "0" * 63),
        ("X-Cast-Key-Id", "key id with spaces"),
    ],
)
async def test_malformed_header_is_rejected(header: str, value: str) -> None:
    headers = [(name, value if name == header else old) for name, old in signed()]
    assert await rejection(make_verifier(), TARGET, headers) == "malformed-header"


@pytest.mark.anyio
async def test_unknown_key_id_is_rejected() -> None:
    assert await rejection(make_verifier(), TARGET, signed(PREVIOUS)) == "unknown-key-id"


@pytest.mark.anyio
async def test_wrong_secret_under_known_key_id_is_rejected() -> None:
    impostor = SigningKey(secret=b"w" * 32, key_id=CURRENT.key_id)
    assert await rejection(make_verifier(), TARGET, signed(impostor)) == "signature-mismatch"


@pytest.mark.anyio
async def test_timestamp_window_edges() -> None:
    verifier = make_verifier()
    assert await verifier.verify(TARGET, signed(timestamp=NOW - 300, nonce="a" * 22))
    assert await verifier.verify(TARGET, signed(timestamp=NOW + 300, nonce="b" * 22))
    assert await rejection(verifier, TARGET, signed(timestamp=NOW - 301)) == "stale-timestamp"
    assert await rejection(verifier, TARGET, signed(timestamp=NOW + 301)) == "future-timestamp"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "altered",
    [
        RequestTarget("POST", TARGET.host, TARGET.raw_path, TARGET.raw_query, TARGET.body),
        RequestTarget(TARGET.method, "127.0.0.1:8091", TARGET.raw_path, TARGET.raw_query, TARGET.body),
        RequestTarget(TARGET.method, TARGET.host, "/internal/v1/workspaces/w2", TARGET.raw_query, TARGET.body),
        RequestTarget(TARGET.method, TARGET.host, TARGET.raw_path, "b=2&a=2", TARGET.body),
    ],
    ids=["method", "host", "path", "query"],
)
async def test_altered_target_is_rejected(altered: RequestTarget) -> None:
    assert await rejection(make_verifier(), altered, signed()) == "signature-mismatch"


@pytest.mark.anyio
async def test_reordered_query_still_verifies() -> None:
    reordered = RequestTarget(TARGET.method, TARGET.host, TARGET.raw_path, "a=1&b=2", TARGET.body)
    assert await make_verifier().verify(reordered, signed()) == CURRENT.key_id


@pytest.mark.anyio
async def test_altered_body_is_rejected() -> None:
    altered = RequestTarget(TARGET.method, TARGET.host, TARGET.raw_path, TARGET.raw_query, b'{"base_url": 1}')
    assert await rejection(make_verifier(), altered, signed()) == "body-hash-mismatch"


@pytest.mark.anyio
async def test_rejected_signature_does_not_burn_nonce() -> None:
    nonces = MemoryNonceStore()
    verifier = make_verifier(nonces=nonces)
    impostor = SigningKey(secret=b"w" * 32, key_id=CURRENT.key_id)
    await rejection(verifier, TARGET, signed(impostor))
    assert len(nonces) == 0
    assert await verifier.verify(TARGET, signed()) == CURRENT.key_id


@pytest.mark.anyio
async def test_rotation_accepts_both_then_only_new() -> None:
    during = make_verifier(InternalSecrets(current=CURRENT, previous=PREVIOUS))
    assert await during.verify(TARGET, signed(CURRENT, nonce="a" * 22)) == CURRENT.key_id
    assert await during.verify(TARGET, signed(PREVIOUS, nonce="b" * 22)) == PREVIOUS.key_id

    after = make_verifier(InternalSecrets(current=CURRENT))
    assert await rejection(after, TARGET, signed(PREVIOUS, nonce="c" * 22)) == "unknown-key-id"


@pytest.mark.anyio
async def test_rejections_are_counted_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    verifier = make_verifier()
    caplog.set_level(logging.WARNING, logger="cast_gateway.internal.verifier")
    for _ in range(3):
        await rejection(verifier, TARGET, signed(timestamp=NOW - 1000))

    assert verifier.rejections["stale-timestamp"] == 3
    assert len([r for r in caplog.records if "stale-timestamp" in r.getMessage()]) == 1
    assert set(verifier.rejections) <= set(REJECTION_REASONS)


def test_skew_above_promise_is_rejected() -> None:
    with pytest.raises(ValueError, match="skew_s"):
        RequestVerifier(InternalSecrets(current=CURRENT), MemoryNonceStore(), skew_s=301)
