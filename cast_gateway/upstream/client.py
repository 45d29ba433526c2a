"""The pooled HTTP client that sends every upstream request."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl

import aiohttp
from yarl import URL

from ..request.model import UpstreamRequest, UpstreamResponse
from .errors import BlockedDestinationError, UpstreamTimeoutError, UpstreamUnreachableError
from .policy import EgressPolicy
from .resolver import GuardedResolver

__all__ = ["UpstreamClient", "USER_AGENT", "DISCARD_LIMIT_FACTOR"]

logger = logging.getLogger(__name__)

USER_AGENT = "cast-gateway/0.1"
# Past the size cap, the rest of a body is read and dropped only to report how much was
# cut, up to this many times the cap. A flood beyond that is cut off unread.
DISCARD_LIMIT_FACTOR = 8
READ_CHUNK_BYTES = 64 * 1024


class UpstreamClient:
    """One aiohttp session for every workspace: connections pool per upstream host.

    Redirects are never followed, because a redirect could carry the injected credential to
    another host or downgrade to http. The 3xx goes back to the caller as a response.
    """

    def __init__(
        self,
        policy: EgressPolicy,
        *,
        connect_timeout_s: float,
        total_timeout_s: float,
        max_response_bytes: int,
        pool_size: int = 100,
        resolver: aiohttp.abc.AbstractResolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.policy = policy
        self._timeout = aiohttp.ClientTimeout(total=total_timeout_s, sock_connect=connect_timeout_s)
        self._connect_timeout_s = connect_timeout_s
        self._total_timeout_s = total_timeout_s
        self._max_response_bytes = max_response_bytes
        self._pool_size = pool_size
        self._resolver = GuardedResolver(policy, resolver)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self._pool_size, limit_per_host=max(1, self._pool_size // 4), resolver=self._resolver, ssl=self._ssl,
            ttl_dns_cache=60,
        )
        # trust_env=False: proxy variables of the host must not reroute customer traffic.
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=self._timeout, trust_env=False, auto_decompress=True,
            headers={"User-Agent": USER_AGENT}, skip_auto_headers=("Content-Type",),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _check_destination(self, url: URL) -> None:
        host = url.raw_host or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        self.policy.check_url(url.scheme, host, port)
        # aiohttp skips the resolver for IP literals, so check those here.
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return
        self.policy.check_address(host, host.strip("[]"))

    async def send(self, request: UpstreamRequest) -> UpstreamResponse:
        if self._session is None:
            raise RuntimeError("UpstreamClient is not open; call open() first")
        url = URL(request.url, encoded=True)
        self._check_destination(url)
        where = f"{url.raw_host}:{url.port}"
        try:
            async with self._session.request(
                request.method, url, headers=list(request.headers), data=request.body, allow_redirects=False
            ) as response:
                body, truncated = await self._read_capped(response)
                return UpstreamResponse(
                    status=response.status,
                    content_type=response.headers.get("Content-Type"),
                    body=body,
                    truncated_bytes=truncated,
                    headers=tuple((k.lower(), v) for k, v in response.headers.items() if k.lower() in ("content-type", "location", "retry-after")),
                )
        except BlockedDestinationError:
            raise
        except UpstreamUnreachableError:
            raise
        except asyncio.TimeoutError:
            raise UpstreamTimeoutError(
                f"upstream {where} sent no response within {self._total_timeout_s:g} s (setting upstream.total_timeout_s)"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            if isinstance(cause, (BlockedDestinationError, UpstreamUnreachableError)):
                raise cause from None
            raise UpstreamUnreachableError(f"upstream {where} is unreachable ({type(cause).__name__})") from None
        except aiohttp.ClientResponseError as exc:
            raise UpstreamUnreachableError(f"upstream {where} sent an invalid HTTP response (status {exc.status})") from None
        except aiohttp.ClientError as exc:
            # The exception text can carry the full URL, query string included: name the type only.
            raise UpstreamUnreachableError(f"upstream {where} failed: {type(exc).__name__}") from None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> tuple[bytes, int]:
        cap = self._max_response_bytes
        chunks: list[bytes] = []
        kept = 0
        dropped = 0
        async for chunk in response.content.iter_chunked(READ_CHUNK_BYTES):
            if kept < cap:
                room = cap - kept
                chunks.append(chunk[:room])
                kept += min(room, len(chunk))
                dropped += max(0, len(chunk) - room)
            else:
                dropped += len(chunk)
            if dropped > cap * DISCARD_LIMIT_FACTOR:
                response.close()
                break
        if dropped and response.content_length is not None:
            dropped = max(dropped, response.content_length - kept)
        return b"".join(chunks), dropped
