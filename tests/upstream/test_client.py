"""The upstream client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from cast_gateway.request import UpstreamRequest
from cast_gateway.upstream import (
    BlockedDestinationError,
    EgressPolicy,
    UpstreamClient,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from support.resolver import RecordingResolver
from support.servers import free_port
from support.upstream import RecordingUpstream, Reply

pytestmark = pytest.mark.anyio

LOOPBACK = EgressPolicy(allow_private_networks=True, allow_http=True, allowed_ports=())


@pytest.fixture
async def upstream() -> AsyncIterator[RecordingUpstream]:
    async with RecordingUpstream() as server:
        yield server


async def open_client(policy: EgressPolicy = LOOPBACK, resolver: object = None, cap: int = 1024) -> UpstreamClient:
    client = UpstreamClient(policy, connect_timeout_s=0.5, total_timeout_s=0.5, max_response_bytes=cap, resolver=resolver)  # type: ignore[arg-type]
    await client.open()
    return client


async def test_url_is_sent_byte_for_byte(upstream: RecordingUpstream) -> None:
    client = await open_client()
    try:
        await client.send(UpstreamRequest("GET", f"{upstream.url}/items/%2E%2E/a%2Fb?x=%20y"))
    finally:
        await client.close()

    assert upstream.requests[0].raw_path == "/items/%2E%2E/a%2Fb?x=%20y"


async def test_redirect_is_returned_not_followed(upstream: RecordingUpstream) -> None:
    upstream.reply("/moved", Reply(status=302, headers={"Location": "http://169.254.169.254/latest"}))
    client = await open_client()
    try:
        response = await client.send(UpstreamRequest("GET", f"{upstream.url}/moved"))
    finally:
        await client.close()

    assert response.status == 302
    assert len(upstream.requests) == 1


async def test_body_past_cap_is_cut_and_counted(upstream: RecordingUpstream) -> None:
    upstream.reply("/big", Reply(body=b"x" * 5000, content_type="text/plain"))
    client = await open_client(cap=1000)
    try:
        response = await client.send(UpstreamRequest("GET", f"{upstream.url}/big"))
    finally:
        await client.close()

    assert len(response.body) == 1000
    assert response.truncated_bytes == 4000


async def test_hanging_upstream_raises_timeout(upstream: RecordingUpstream) -> None:
    upstream.reply("/slow", Reply(delay_s=2.0))
    client = await open_client()
    try:
        with pytest.raises(UpstreamTimeoutError) as raised:
            await client.send(UpstreamRequest("GET", f"{upstream.url}/slow?api_key=planted-key-123"))
    finally:
        await client.close()

    assert "planted-key-123" not in str(raised.value)


async def test_closed_port_is_unreachable() -> None:
    client = await open_client()
    try:
        with pytest.raises(UpstreamUnreachableError):
            await client.send(UpstreamRequest("GET", f"http://127.0.0.1:{free_port()}/x?token=planted"))
    finally:
        await client.close()


async def test_name_resolving_to_metadata_is_never_connected() -> None:
    resolver = RecordingResolver({"api.example.test": ["169.254.169.254"]})
    client = await open_client(EgressPolicy(), resolver)
    try:
        with pytest.raises(BlockedDestinationError):
            await client.send(UpstreamRequest("GET", "https://api.example.test/latest/meta-data"))
    finally:
        await client.close()

    assert resolver.lookups == ["api.example.test"]


@pytest.mark.parametrize("url", ["https://127.0.0.1/x", "https://[::1]/x", "https://10.0.0.1/x", "http://api.example.test/x"])
async def test_literal_private_address_or_plain_http_is_blocked(url: str) -> None:
    resolver = RecordingResolver({})
    client = await open_client(EgressPolicy(), resolver)
    try:
        with pytest.raises(BlockedDestinationError):
            await client.send(UpstreamRequest("GET", url))
    finally:
        await client.close()

    assert resolver.lookups == []
