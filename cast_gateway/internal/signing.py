"""The request signature scheme `CAST1-HMAC-SHA256`, shared by the client and the verifier.

The string to sign joins these lines with `\\n` (UTF-8, no trailing newline)::

    CAST1-HMAC-SHA256
    <key id>
    <timestamp: Unix seconds, decimal>
    <nonce>
    <method, exactly as sent>
    <Host header, exactly as sent>
    <raw path, exactly as sent: percent-encoded, no dot-segment removal>
    <canonical query: the raw `&`-separated fields of the query, sorted, joined by `&`>
    <lowercase hex SHA-256 of the raw body>

Every part is signed as the bytes on the wire, with no decoding or case folding, so two
requests that differ in any byte of these parts never share a signature. The query
fields are sorted without being decoded for the same reason: `a=%62` and `a=b` are
different requests to the verifier.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

__all__ = [
    "SCHEME",
    "SIGNATURE_VERSION",
    "HEADER_KEY_ID",
    "HEADER_TIMESTAMP",
    "HEADER_NONCE",
    "HEADER_CONTENT_SHA256",
    "HEADER_SIGNATURE",
    "SIGNED_HEADERS",
    "MAX_SKEW_S",
    "NONCE_TTL_S",
    "RequestTarget",
    "canonical_query",
    "string_to_sign",
    "compute_signature",
    "signature_matches",
    "body_sha256",
    "new_nonce",
    "sign_request",
]

SCHEME = "CAST1-HMAC-SHA256"
SIGNATURE_VERSION = "v1"

HEADER_KEY_ID = "X-Cast-Key-Id"
HEADER_TIMESTAMP = "X-Cast-Timestamp"
HEADER_NONCE = "X-Cast-Nonce"
HEADER_CONTENT_SHA256 = "X-Cast-Content-SHA256"
HEADER_SIGNATURE = "X-Cast-Signature"
SIGNED_HEADERS = (HEADER_KEY_ID, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_CONTENT_SHA256, HEADER_SIGNATURE)

# A signed request is accepted up to this many seconds away from the gateway's clock,
# in either direction.
MAX_SKEW_S = 300
# A nonce must be remembered for as long as its timestamp can still be accepted: from
# MAX_SKEW_S before the gateway's clock to MAX_SKEW_S after it.
NONCE_TTL_S = 2 * MAX_SKEW_S

NONCE_BYTES = 16
SIGNATURE_PATTERN = re.compile(r"v1=([0-9a-f]{64})")


@dataclass(frozen=True)
class RequestTarget:
    """The parts of a request that the signature covers, as they travel on the wire."""

    method: str
    host: str
    raw_path: str
    raw_query: str
    body: bytes


def canonical_query(raw_query: str) -> str:
    """Sort the raw `&`-separated fields of a query string, keeping their encoding."""
    if not raw_query:
        return ""
    return "&".join(sorted(raw_query.split("&")))


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def string_to_sign(target: RequestTarget, *, key_id: str, timestamp: int, nonce: str) -> bytes:
    lines = (
        SCHEME,
        key_id,
        str(timestamp),
        nonce,
        target.method,
        target.host,
        target.raw_path,
        canonical_query(target.raw_query),
        body_sha256(target.body),
    )
    return "\n".join(lines).encode()


def compute_signature(secret: bytes, message: bytes) -> bytes:
    return hmac.new(secret, message, hashlib.sha256).digest()


def signature_matches(secret: bytes, message: bytes, received: bytes) -> bool:
    """Compare a received HMAC-SHA256 tag with the expected one in constant time.

    Only a full 32-byte tag can match: a truncated tag is rejected even when it is a
    correct prefix.
    """
    return hmac.compare_digest(compute_signature(secret, message), received)


def new_nonce() -> str:
    """Return 16 random bytes as unpadded base64url (22 characters)."""
    return secrets.token_urlsafe(NONCE_BYTES)


def sign_request(
    target: RequestTarget, *, key_id: str, secret: bytes, timestamp: int, nonce: str | None = None
) -> dict[str, str]:
    """Return the five signature headers for a request."""
    nonce = nonce if nonce is not None else new_nonce()
    message = string_to_sign(target, key_id=key_id, timestamp=timestamp, nonce=nonce)
    return {
        HEADER_KEY_ID: key_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: nonce,
        HEADER_CONTENT_SHA256: body_sha256(target.body),
        HEADER_SIGNATURE: f"{SIGNATURE_VERSION}={compute_signature(secret, message).hex()}",
    }
