"""Suite-wide fixtures. Helper modules live in tests/support/ (on sys.path through this folder)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings as hypothesis_settings

# CI replays the same examples on every run, so a submission never fails on a draw that a
# local run did not see; local runs keep exploring new examples.
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"

# Real servers on loopback (MariaDB with TLS, Redis, moto's S3); fields in support/servers.py.
from support.servers import (  # noqa: E402,F401
    mariadb,
    mariadb_factory,
    mariadb_plain,
    moto_endpoint,
    redis_factory,
    redis_server,
    redis_url,
)

# Planted-secret leak check on every test; how to plant values: support/leaks.py.
from support.leaks import leak_check, planted_secrets, pytest_runtest_makereport  # noqa: E402,F401
