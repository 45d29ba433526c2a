"""Per-key encryption counters, kept in the store, that enforce the random-nonce limit.

NIST SP 800-38D section 8.3 caps one key at 2^32 encryptions when the 96-bit IV is
random, because the chance of a repeated IV grows with the square of the count and one
repeat exposes the GHASH key. Each HKDF subkey (a purpose under one root key id) counts
on its own. The vault warns at 2^30 and raises `KeyUsageLimitError` past 2^31, leaving
a margin for counts lost when a replica dies between encrypting and counting.
"""

from __future__ import annotations

import logging
from typing import Protocol

from .errors import KeyUsageLimitError
from .vault import Purpose

__all__ = ["EncryptionBudget", "CounterStore", "WARN_ENCRYPTIONS", "MAX_ENCRYPTIONS", "counter_name"]

logger = logging.getLogger(__name__)

WARN_ENCRYPTIONS = 2**30
MAX_ENCRYPTIONS = 2**31


class CounterStore(Protocol):
    async def add_to_counter(self, name: str, amount: int) -> int: ...

    async def get_counter(self, name: str) -> int: ...


def counter_name(purpose: Purpose, key_id: int) -> str:
    return f"vault.encryptions.{purpose.value}.{key_id}"


class EncryptionBudget:
    """Reserves encryptions against a key's counter before the vault performs them.

    `reserve` adds first and checks the new total, so concurrent replicas cannot both
    pass the limit. A refused reservation stays counted, which is harmless: that key is
    done and must be rotated anyway.
    """

    def __init__(self, counters: CounterStore, *, warn_at: int = WARN_ENCRYPTIONS, limit: int = MAX_ENCRYPTIONS) -> None:
        if not 0 < warn_at <= limit:
            raise ValueError(f"warn_at {warn_at} must be between 1 and the limit {limit}")
        self._counters = counters
        self.warn_at = warn_at
        self.limit = limit
        self._warned: set[str] = set()

    async def reserve(self, purpose: Purpose, key_id: int, count: int = 1) -> int:
        """Count `count` encryptions under (purpose, key_id); return the new total."""
        name = counter_name(purpose, key_id)
        total = await self._counters.add_to_counter(name, count)
        if total > self.limit:
            raise KeyUsageLimitError(purpose.value, key_id, total, self.limit)
        if total >= self.warn_at and name not in self._warned:
            # Once per process and key: the hot path must not log on every call.
            self._warned.add(name)
            logger.warning(
                "vault key %d (%s) has done %d encryptions; the limit is %d: rotate it with 'cast-gateway keys rotate'",
                key_id, purpose.value, total, self.limit,
            )
        return total

    async def used(self, purpose: Purpose, key_id: int) -> int:
        return await self._counters.get_counter(counter_name(purpose, key_id))
