"""Check the signature of an internal API request.

The checks run in a fixed order, and the nonce is stored only after the signature
matches, so that a rejected request leaves nothing behind:

1. every signature header present exactly once and well formed;
2. the key id names an accepted secret;
3. the timestamp within the skew window, checked in both directions;
4. the body hash header equal to the SHA-256 of the received body;
5. the HMAC equal to the expected one (constant-time compare);
6. the nonce not seen before.
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections import Counter
from typing import Callable, Iterable, Mapping

from .errors import SignatureError
from .keys import InternalSecrets
from .nonces import NonceStore
from .signing import (
    HEADER_CONTENT_SHA256,
    HEADER_KEY_ID,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_SKEW_S,
    NONCE_TTL_S,
    SIGNATURE_PATTERN,
    SIGNED_HEADERS,
    RequestTarget,
    body_sha256,
    signature_matches,
    string_to_sign,
)

__all__ = ["RequestVerifier", "REJECTION_REASONS"]

logger = logging.getLogger(__name__)

REJECTION_REASONS = (
    "missing-header",
    "duplicate-header",
    "malformed-header",
    "unknown-key-id",
    "stale-timestamp",
    "future-timestamp",
    "body-hash-mismatch",
    "signature-mismatch",
    "replayed-nonce",
)

KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
TIMESTAMP_PATTERN = re.compile(r"[0-9]{1,12}")
SHA256_PATTERN = re.compile(r"[0-9a-f]{64}")
# A flood of bad requests logs one line per reason in each window; the counters keep the rest.
REJECTION_LOG_INTERVAL_S = 60.0


class RequestVerifier:
    """Verify signed requests against the accepted secrets and a nonce store.

    `clock` returns Unix seconds; tests pass a fixed one. `rejections` counts each
    rejection reason for the metrics endpoint.
    """

    def __init__(
        self,
        secrets: InternalSecrets,
        nonces: NonceStore,
        *,
        skew_s: int = MAX_SKEW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 0 < skew_s <= MAX_SKEW_S:
            raise ValueError(f"skew_s = {skew_s!r} must be between 1 and {MAX_SKEW_S} seconds")
        self._accepted: Mapping[str, bytes] = secrets.accepted()
        self._nonces = nonces
        self._skew_s = skew_s
        self._clock = clock
        self.rejections: Counter[str] = Counter()
        self.accepted_by_key: Counter[str] = Counter()
        self._last_logged: dict[str, float] = {}

    async def verify(self, target: RequestTarget, headers: Iterable[tuple[str, str]]) -> str:
        """Return the key id that signed the request, or raise SignatureError."""
        try:
            key_id = await self._verify(target, headers)
        except SignatureError as exc:
            self._count_rejection(exc.reason)
            raise
        self.accepted_by_key[key_id] += 1
        return key_id

    async def _verify(self, target: RequestTarget, headers: Iterable[tuple[str, str]]) -> str:
        values = _signature_headers(headers)
        key_id = values[HEADER_KEY_ID]
        timestamp_text = values[HEADER_TIMESTAMP]
        nonce = values[HEADER_NONCE]
        content_sha256 = values[HEADER_CONTENT_SHA256]
        signature = SIGNATURE_PATTERN.fullmatch(values[HEADER_SIGNATURE])
        if (
            signature is None
            or not KEY_ID_PATTERN.fullmatch(key_id)
            or not TIMESTAMP_PATTERN.fullmatch(timestamp_text)
            or not NONCE_PATTERN.fullmatch(nonce)
            or not SHA256_PATTERN.fullmatch(content_sha256)
        ):
            raise SignatureError("malformed-header")

        secret = self._accepted.get(key_id)
        if secret is None:
            raise SignatureError("unknown-key-id")

        timestamp = int(timestamp_text)
        now = int(self._clock())
        if timestamp < now - self._skew_s:
            raise SignatureError("stale-timestamp")
        if timestamp > now + self._skew_s:
            raise SignatureError("future-timestamp")

        if not hmac.compare_digest(content_sha256.encode(), body_sha256(target.body).encode()):
            raise SignatureError("body-hash-mismatch")

        message = string_to_sign(target, key_id=key_id, timestamp=timestamp, nonce=nonce)
        if not signature_matches(secret, message, bytes.fromhex(signature.group(1))):
            raise SignatureError("signature-mismatch")

        # Only now, with the signature proven, may the request use up its nonce.
        if not await self._nonces.add_if_absent(f"{key_id}:{nonce}", NONCE_TTL_S):
            raise SignatureError("replayed-nonce")
        return key_id

    def _count_rejection(self, reason: str) -> None:
        self.rejections[reason] += 1
        now = time.monotonic()
        last = self._last_logged.get(reason)
        if last is None or now - last >= REJECTION_LOG_INTERVAL_S:
            self._last_logged[reason] = now
            logger.warning(
                "internal API request rejected: %s (%d rejections for this reason so far)", reason, self.rejections[reason]
            )


def _signature_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Pick the signature headers, each exactly once, from (name, value) pairs of any case."""
    wanted = {name.lower(): name for name in SIGNED_HEADERS}
    found: dict[str, str] = {}
    for name, value in headers:
        canonical = wanted.get(name.lower())
        if canonical is None:
            continue
        if canonical in found:
            raise SignatureError("duplicate-header")
        found[canonical] = value
    if len(found) != len(SIGNED_HEADERS):
        raise SignatureError("missing-header")
    return found
