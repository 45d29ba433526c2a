"""An aiohttp resolver that checks every answer against the egress policy.

aiohttp connects to the addresses its resolver returns, so checking here means the
connection goes to exactly the address that passed: a second DNS answer (rebinding)
never reaches the socket. TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import socket
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from .errors import UpstreamUnreachableError
from .policy import EgressPolicy

__all__ = ["GuardedResolver"]


class GuardedResolver(AbstractResolver):
    def __init__(self, policy: EgressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        try:
            answers = await self._inner.resolve(host, port, family)
        except OSError as exc:
            raise UpstreamUnreachableError(f"upstream {host}: name resolution failed ({type(exc).__name__})") from None
        if not answers:
            raise UpstreamUnreachableError(f"upstream {host}: name resolution returned no address")
        # Every answer must pass: one blocked answer blocks the host, so a name cannot
        # mix a public and a private address and win a race.
        for answer in answers:
            self._policy.check_address(host, answer["host"])
        return answers

    async def close(self) -> None:
        await self._inner.close()

