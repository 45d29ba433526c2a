"""Header names and values that may reach the upstream, per RFC 9110."""

from __future__ import annotations

import re

__all__ = [
    "is_token",
    "is_safe_value",
    "is_forbidden_argument_header",
    "IGNORED_HEADER_PARAMETERS",
]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Visible ASCII with inner spaces or tabs: no CR, LF, NUL, DEL or non-ASCII, which could
# split the header or be read differently by each hop.
_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?")

# OpenAPI 3: header parameters with these names SHALL be ignored; the request builder
# and the credential step set them.
IGNORED_HEADER_PARAMETERS = frozenset({"accept", "content-type", "authorization"})

# Headers that route, frame or authenticate the request. A tool argument must never set
# them: they would let the model redirect a call or override the injected credential.
_FORBIDDEN = frozenset(
    {
        "host",
        "authorization",
        "cookie",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "forwarded",
        "x-real-ip",
        "expect",
    }
)
_FORBIDDEN_PREFIXES = ("proxy-", "x-forwarded-")


def is_token(name: str) -> bool:
    return _TOKEN.fullmatch(name) is not None


def is_safe_value(value: str) -> bool:
    return _VALUE.fullmatch(value) is not None


def is_forbidden_argument_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in _FORBIDDEN or lowered.startswith(_FORBIDDEN_PREFIXES)
