"""Client tokens: 256 random bits, shown once, kept only as a keyed hash."""

from __future__ import annotations

import base64
import secrets

from ..vault import Purpose, Vault

__all__ = ["new_token", "token_hash", "TOKEN_PREFIX", "TOKEN_BYTES"]

TOKEN_PREFIX = "cgw_"
TOKEN_BYTES = 32


def new_token() -> str:
    # The prefix lets secret scanners recognise a leaked token.
    return TOKEN_PREFIX + base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def token_hash(vault: Vault, token: str) -> bytes:
    return vault.keyed_hash(Purpose.TOKEN_HASH, token.encode())
