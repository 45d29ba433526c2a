"""Bounded polling for conditions that another process makes true."""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

__all__ = ["POLL_INTERVAL_S", "eventually"]

POLL_INTERVAL_S = 0.02


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str, timeout_s: float = 10.0) -> None:
    """Poll `check` until it returns True; raise TimeoutError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        outcome = check()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout_s} s")
        await asyncio.sleep(POLL_INTERVAL_S)
