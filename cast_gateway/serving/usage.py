"""Records when secrets were last used, in batches off the tool-call path."""

from __future__ import annotations

from ..store import Store
from ..store.records import utc_now

__all__ = ["SecretUsage", "USAGE_FLUSH_INTERVAL_S"]

# "Last used" is a date for owners auditing their credentials, so minute precision is
# enough, and it costs one UPDATE a minute instead of one per call.
USAGE_FLUSH_INTERVAL_S = 60.0


class SecretUsage:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._used: set[str] = set()

    def note(self, secret_id: str) -> None:
        self._used.add(secret_id)

    async def flush(self) -> None:
        if not self._used:
            return
        used, self._used = self._used, set()
        try:
            await self._store.mark_secrets_used(sorted(used), utc_now())
        except BaseException:
            self._used |= used  # keep them for the next flush
            raise
