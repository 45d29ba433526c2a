"""Suite-wide fixtures. Helper modules live in tests/support/ (on sys.path through this folder)."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
