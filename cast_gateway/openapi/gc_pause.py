"""Pause Python's cyclic garbage collector while a spec compiles.

Parsing and converting a multi-megabyte spec allocates millions of dicts, lists and
strings that stay alive until the compile ends. Each allocation burst makes the collector
walk every tracked object of the older generations again, which cost more than half of the
compile time of a 4 MB YAML spec (measured with `bench/compile_specs.py`). The compiler
creates no reference cycles that need collecting during the compile, and reference
counting still frees everything else at once.

The collector is process-wide state shared by every thread, and compiles run in worker
threads, so the pause is counted: the collector comes back when the last compile ends,
and only if it was enabled when the first one started.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from typing import Iterator

__all__ = ["paused_gc"]

_lock = threading.Lock()
_active = 0
_was_enabled = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic garbage collector for the duration of the block, re-entrantly."""
    global _active, _was_enabled
    with _lock:
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:
                gc.enable()
