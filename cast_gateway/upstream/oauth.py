"""OAuth 2.0 client-credentials tokens for upstreams that use them (RFC 6749 section 4.4).

The workspace stores `client_id:client_secret` as the scheme's secret. The gateway trades
it for an access token at the scheme's token URL, through the same egress policy as every
other upstream call, and caches the token until shortly before it expires.
"""

from __future__ import annotations

import base64
import hashlib
import time
import urllib.parse
from collections import OrderedDict
from typing import Callable

import orjson

from ..openapi import SecurityScheme
from ..request.errors import MissingCredentialError
from ..request.model import UpstreamRequest
from ..tasks import SingleFlight
from ..vault import SecretValue
from .client import UpstreamClient
from .errors import UpstreamError

__all__ = ["ClientCredentialsTokens", "OAuthTokenError", "REFRESH_MARGIN_S", "MAX_CACHED_TOKENS"]

REFRESH_MARGIN_S = 60.0
DEFAULT_EXPIRES_IN_S = 300.0
MAX_CACHED_TOKENS = 10_000


class OAuthTokenError(MissingCredentialError):
    """The token endpoint did not issue a token; names the scheme and status, never the credential."""


class ClientCredentialsTokens:
    """Access tokens by (workspace, scheme, credential), refreshed before expiry.

    The cache key includes a hash of the stored credential, so replacing the secret
    fetches a new token at once. Concurrent calls needing the same token share one
    request to the token endpoint.
    """

    def __init__(self, client: UpstreamClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._tokens: OrderedDict[tuple[str, str, bytes], tuple[float, SecretValue]] = OrderedDict()
        self._pending: SingleFlight[tuple[str, str, bytes], SecretValue] = SingleFlight()

    async def access_token(self, workspace_id: str, scheme: SecurityScheme, credential: SecretValue) -> SecretValue:
        key = (workspace_id, scheme.name, hashlib.sha256(credential.reveal().encode()).digest())
        cached = self._tokens.get(key)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        return await self._pending.run(key, lambda: self._fetch_and_cache(key, scheme, credential))

    async def _fetch_and_cache(self, key: tuple[str, str, bytes], scheme: SecurityScheme, credential: SecretValue) -> SecretValue:
        expires_at, token = await self._fetch(scheme, credential)
        self._tokens[key] = (expires_at, token)
        self._tokens.move_to_end(key)
        while len(self._tokens) > MAX_CACHED_TOKENS:
            self._tokens.popitem(last=False)
        return token

    def forget(self, workspace_id: str, scheme_name: str) -> None:
        """Drop the cached tokens of a scheme (after the upstream rejected one with 401)."""
        for key in [key for key in self._tokens if key[:2] == (workspace_id, scheme_name)]:
            del self._tokens[key]

    async def _fetch(self, scheme: SecurityScheme, credential: SecretValue) -> tuple[float, SecretValue]:
        if not scheme.token_url:
            raise OAuthTokenError(f"security scheme {scheme.name!r} has no clientCredentials token URL in the spec")
        client_id, separator, client_secret = credential.reveal().partition(":")
        if not separator or not client_id:
            raise OAuthTokenError(
                f"the secret of OAuth2 scheme {scheme.name!r} must be 'client_id:client_secret'; set it again"
            )
        form = {"grant_type": "client_credentials"}
        if scheme.scopes:
            form["scope"] = " ".join(scheme.scopes)
        # client_secret_basic (RFC 6749 section 2.3.1): both parts form-encoded, then base64.
        basic = base64.b64encode(
            f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}".encode()
        ).decode()
        request = UpstreamRequest(
            method="POST",
            url=scheme.token_url,
            headers=(("Authorization", f"Basic {basic}"), ("Content-Type", "application/x-www-form-urlencoded"),
                     ("Accept", "application/json")),
            body=urllib.parse.urlencode(form).encode(),
        )
        started = self._clock()
        try:
            response = await self._client.send(request)
        except UpstreamError as exc:
            raise OAuthTokenError(f"token request for scheme {scheme.name!r} failed: {exc}") from None
        finally:
            del request, basic
        if response.status != 200:
            raise OAuthTokenError(f"token endpoint of scheme {scheme.name!r} returned HTTP {response.status}")
        try:
            document = orjson.loads(response.body)
            token = document["access_token"]
            expires_in = float(document.get("expires_in", DEFAULT_EXPIRES_IN_S))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise OAuthTokenError(f"token endpoint of scheme {scheme.name!r} sent no usable access_token") from None
        if not isinstance(token, str) or not token:
            raise OAuthTokenError(f"token endpoint of scheme {scheme.name!r} sent an empty access_token")
        return started + max(0.0, expires_in - REFRESH_MARGIN_S), SecretValue(token)
