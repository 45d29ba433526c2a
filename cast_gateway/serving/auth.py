"""Client-token authentication for `/w/{workspace}/mcp`.

A token is looked up by its keyed hash, so the lookup itself compares nothing secret;
the workspace check that follows uses a constant-time comparison. Every failure gives
the same 401, for existing and unknown workspaces alike, so ids cannot be probed.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

from ..store import ClientTokenRecord, StoreError
from ..vault import Purpose, Vault
from ..workspaces.service import WorkspaceService
from ..workspaces.tokens import token_hash

__all__ = ["TokenAuthenticator", "Principal", "TOKEN_CACHE_TTL_S", "TOKEN_CACHE_MAX"]

logger = logging.getLogger(__name__)

# Positive and negative lookups are cached briefly. Revoking a token or deleting its
# workspace evicts the workspace, which drops its cached tokens on every replica at once;
# the TTL bounds staleness if an eviction is lost. The size bound keeps a flood of
# random tokens from growing the cache.
TOKEN_CACHE_TTL_S = 10.0
TOKEN_CACHE_MAX = 10_000
MAX_TOKEN_CHARS = 256


@dataclass(frozen=True)
class Principal:
    token_id: str
    workspace_id: str
    client_id: str  # keyed pseudonym of the token id, for audit rows


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    return token


class TokenAuthenticator:
    def __init__(self, service: WorkspaceService, vault: Vault, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._vault = vault
        self._clock = clock
        self._cache: OrderedDict[bytes, tuple[float, ClientTokenRecord | None]] = OrderedDict()

    async def authenticate(self, authorization: str | None, workspace_id: str) -> Principal | None:
        token = bearer_token(authorization)
        if token is None:
            return None
        digest = token_hash(self._vault, token)
        record = await self._lookup(digest)
        if record is None:
            return None
        if not hmac.compare_digest(record.workspace_id.encode(), workspace_id.encode()):
            return None
        pseudonym = self._vault.keyed_hash(Purpose.CLIENT_ID, record.id.encode()).hex()[:32]
        return Principal(token_id=record.id, workspace_id=record.workspace_id, client_id=pseudonym)

    async def _lookup(self, digest: bytes) -> ClientTokenRecord | None:
        now = self._clock()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            record = await self._service.store.find_client_token(digest)
        except StoreError:
            if cached is None:
                raise
            # The database is down: keep warm clients working on their last good lookup.
            # Revocations still arrive through cache evictions, which need no database.
            logger.warning("token lookup failed; using the cached result until the store is back")
            return cached[1]
        self._cache[digest] = (now + TOKEN_CACHE_TTL_S, record)
        self._cache.move_to_end(digest)
        while len(self._cache) > TOKEN_CACHE_MAX:
            self._cache.popitem(last=False)
        return record

    async def forget_workspace(self, workspace_id: str) -> None:
        """Drop cached lookups of a workspace's tokens; called for every change of it on any replica."""
        stale = [digest for digest, (_expires, record) in self._cache.items()
                 if record is not None and record.workspace_id == workspace_id]
        for digest in stale:
            del self._cache[digest]
