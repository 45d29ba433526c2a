"""OAuth2 client-credentials tokens against a real token endpoint on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import urllib.parse
from typing import AsyncIterator

import pytest

from cast_gateway.openapi import SecurityScheme
from cast_gateway.upstream import EgressPolicy, UpstreamClient
from cast_gateway.upstream.oauth import ClientCredentialsTokens, OAuthTokenError
from cast_gateway.vault import SecretValue
from support.leaks import register_session_secret
from support.upstream import RecordedRequest, RecordingUpstream, Reply

pytestmark = pytest.mark.anyio

PLANTED_CLIENT_SECRET = "planted-oauth-client-secret-91c2"
register_session_secret(PLANTED_CLIENT_SECRET)


@pytest.fixture
async def endpoint() -> AsyncIterator[RecordingUpstream]:
    async with RecordingUpstream() as server:
        issued = iter(range(1, 1000))

        def token(request: RecordedRequest) -> Reply:
            return Reply(body=f'{{"access_token": "access-{next(issued)}", "expires_in": 3600}}'.encode())

        server.reply("/oauth/token", token)
        yield server


@pytest.fixture
async def client() -> AsyncIterator[UpstreamClient]:
    upstream = UpstreamClient(EgressPolicy(allow_private_networks=True, allow_http=True, allowed_ports=()),
                              connect_timeout_s=1.0, total_timeout_s=2.0, max_response_bytes=65536)
    await upstream.open()
    yield upstream
    await upstream.close()


def scheme(endpoint: RecordingUpstream) -> SecurityScheme:
    return SecurityScheme(name="oauth", type="oauth2", token_url=f"{endpoint.url}/oauth/token", scopes=("read", "write"))


async def test_token_request_is_client_credentials_grant(endpoint: RecordingUpstream, client: UpstreamClient) -> None:
    tokens = ClientCredentialsTokens(client)

    token = await tokens.access_token("alpha", scheme(endpoint), SecretValue(f"client-1:{PLANTED_CLIENT_SECRET}"))

    sent = endpoint.requests[0]
    assert token.reveal() == "access-1"
    assert sent.method == "POST"
    assert dict(urllib.parse.parse_qsl(sent.body.decode())) == {"grant_type": "client_credentials", "scope": "read write"}
    assert sent.header("authorization") == "Basic " + base64.b64encode(f"client-1:{PLANTED_CLIENT_SECRET}".encode()).decode()


async def test_token_is_cached_and_shared(endpoint: RecordingUpstream, client: UpstreamClient) -> None:
    tokens = ClientCredentialsTokens(client)
    credential = SecretValue(f"client-1:{PLANTED_CLIENT_SECRET}")

    first = await asyncio.gather(*(tokens.access_token("alpha", scheme(endpoint), credential) for _ in range(10)))
    again = await tokens.access_token("alpha", scheme(endpoint), credential)

    assert {token.reveal() for token in first} == {"access-1"}
    assert again.reveal() == "access-1"
    assert len(endpoint.requests) == 1


async def test_forget_and_new_secret_fetch_again(endpoint: RecordingUpstream, client: UpstreamClient) -> None:
    tokens = ClientCredentialsTokens(client)
    await tokens.access_token("alpha", scheme(endpoint), SecretValue("client-1:one"))

    tokens.forget("alpha", "oauth")
    after_forget = await tokens.access_token("alpha", scheme(endpoint), SecretValue("client-1:one"))
    after_rotation = await tokens.access_token("alpha", scheme(endpoint), SecretValue("client-1:two"))

    assert after_forget.reveal() == "access-2"
    assert after_rotation.reveal() == "access-3"


async def test_rejected_token_request_names_scheme_not_secret(endpoint: RecordingUpstream, client: UpstreamClient) -> None:
    endpoint.reply("/oauth/token", Reply(status=401, body=b'{"error": "invalid_client"}'))
    tokens = ClientCredentialsTokens(client)

    with pytest.raises(OAuthTokenError) as raised:
        await tokens.access_token("alpha", scheme(endpoint), SecretValue(f"client-1:{PLANTED_CLIENT_SECRET}"))

    assert "oauth" in str(raised.value)
    assert "401" in str(raised.value)
    assert PLANTED_CLIENT_SECRET not in str(raised.value)


async def test_malformed_credential_is_rejected_before_any_request(endpoint: RecordingUpstream, client: UpstreamClient) -> None:
    tokens = ClientCredentialsTokens(client)

    with pytest.raises(OAuthTokenError) as raised:
        await tokens.access_token("alpha", scheme(endpoint), SecretValue(PLANTED_CLIENT_SECRET))

    assert "client_id:client_secret" in str(raised.value)
    assert PLANTED_CLIENT_SECRET not in str(raised.value)
    assert endpoint.requests == []
