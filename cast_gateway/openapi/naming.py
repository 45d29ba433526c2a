"""Tool names: deterministic, `^[a-zA-Z0-9_-]{1,64}$`, unique within a spec.

Clients such as Claude Desktop reject a whole tool list over one bad name, and many prefix
names themselves (`mcp__server__name`), so the budget for the name is 64 characters minus a
workspace-configured prefix budget. A name that must be shortened keeps its start and ends
in `_` plus eight hex digits of a hash of the full original, so that two long ids sharing
their first characters still get different names, the same on every compile.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = ["MAX_NAME_LENGTH", "MIN_NAME_LENGTH", "base_name", "fit_name", "NameAllocator"]

MAX_NAME_LENGTH = 64
MIN_NAME_LENGTH = 16
"""Shortest name budget a prefix budget may leave: room for a few characters and the hash."""

_INVALID = re.compile(r"[^a-zA-Z0-9_-]+")
_HASH_LENGTH = 8


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def _sanitize(text: str) -> str:
    # Accented Latin letters keep their base letter (`é` -> `e`); other scripts drop out.
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _INVALID.sub("_", folded).strip("_")


def base_name(operation_id: str | None, method: str, path: str) -> str:
    """Return the unshortened name: the sanitised operationId, or `method_path` without one.

    An operationId that sanitises to little of what it said (non-Latin text) falls back to
    method and path, which identify the operation as well and stay readable.
    """
    if isinstance(operation_id, str):
        cleaned = _sanitize(operation_id)
        if cleaned and len(cleaned) * 2 >= len(operation_id.strip()):
            return cleaned
    segments = [_sanitize(segment.strip("{}")) for segment in path.split("/")]
    tail = "_".join(segment for segment in segments if segment) or "root"
    return f"{method.lower()}_{tail}"


def fit_name(name: str, limit: int, original: str | None = None) -> str:
    """Shorten a name to `limit` characters, ending it in a hash of the original."""
    if len(name) <= limit:
        return name
    suffix = "_" + _digest(original or name)
    return name[: limit - len(suffix)].rstrip("_-") + suffix


class NameAllocator:
    """Hands out unique names. Names that differ only in `-` versus `_` or in case count as
    taken, because some clients fold them together."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._taken: set[str] = set()

    @staticmethod
    def _fold(name: str) -> str:
        return name.lower().replace("-", "_")

    def allocate(self, wanted: str, identity: str) -> str:
        """Return `wanted` shortened to fit, or a numbered variant if it is taken.

        A shortened name hashes the whole of `wanted`; a numbered variant that must be
        shortened hashes `identity` (method and path) instead. Numbers follow document order.
        """
        name = fit_name(wanted, self.limit)
        number = 2
        candidate = name
        while self._fold(candidate) in self._taken:
            suffix = f"_{number}"
            candidate = fit_name(name, self.limit - len(suffix), identity) + suffix
            number += 1
        self._taken.add(self._fold(candidate))
        return candidate
