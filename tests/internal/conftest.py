"""Fixtures of the internal API tests; they live in support/internal_api.py for reuse."""

from support.internal_api import internal_api, internal_secrets, max_body_bytes  # noqa: F401
