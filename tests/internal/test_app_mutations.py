"""Property: any single-byte change to the signed parts of a request is rejected.

Requests go over a raw socket so that every byte, including the request line and header
names, can be changed. The changed parts are those the signature covers: the method,
the Host header, the raw path, the query, the five signature headers (names and values)
and the body. Changes that HTTP itself ignores (the case of a header name, whitespace
around a header value) are skipped, because they leave the request as it was.
"""

from __future__ import annotations

import asyncio

import orjson
import pytest
from support.internal_api import InternalApi, bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PATH = "/internal/v1/workspaces/shop"
QUERY = "b=2&a=1"
BODY = orjson.dumps({"settings": {"note": "changed"}})
RESPONSE_TIMEOUT_S = 10.0

Parts = dict[str, bytes]


def signed_parts(api: InternalApi) -> tuple[Parts, list[tuple[bytes, bytes]]]:
    client = api.client()
    _url, headers = client.signed_request("PATCH", PATH, body=BODY, query=[("b", "2"), ("a", "1")])
    host = headers.pop("Host").encode()
    headers.pop("Content-Type", None)
    parts = {"method": b"PATCH", "host": host, "path": PATH.encode(), "query": QUERY.encode(), "body": BODY}
    return parts, [(name.encode(), value.encode()) for name, value in headers.items()]


def raw_request(parts: Parts, signature_headers: list[tuple[bytes, bytes]]) -> bytes:
    lines = [parts["method"] + b" " + parts["path"] + b"?" + parts["query"] + b" HTTP/1.1", b"Host: " + parts["host"]]
    lines += [name + b": " + value for name, value in signature_headers]
    lines += [b"Content-Length: " + str(len(parts["body"])).encode(), b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n" + parts["body"]


async def status_of(api: InternalApi, request: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", api.port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), RESPONSE_TIMEOUT_S)
    finally:
        writer.close()
    if not status_line:
        return 0  # the server closed the connection without a response: rejected as malformed
    return int(status_line.split()[1])


def mutate(data: bytes, kind: str, position: int, byte: int) -> bytes:
    if kind == "insert":
        index = position % (len(data) + 1)
        return data[:index] + bytes([byte]) + data[index:]
    index = position % len(data)
    if kind == "delete":
        return data[:index] + data[index + 1 :]
    replacement = byte if byte != data[index] else (byte + 1) % 256
    return data[:index] + bytes([replacement]) + data[index + 1 :]


def same_field_value(changed: bytes, original: bytes) -> bool:
    """Whether two header values are equal once leading and trailing whitespace is dropped.

    HTTP does not count that whitespace as part of the value (RFC 9110, section 5.5), so
    adding or removing it leaves the request as it was.
    """
    return changed.strip(b" \t") == original


@pytest.fixture
async def shop(internal_api: InternalApi) -> InternalApi:
    async with internal_api.client() as client:
        await client.create_workspace("shop", bundle())
    return internal_api


@pytest.mark.anyio
async def test_unchanged_raw_request_is_accepted(shop: InternalApi) -> None:
    parts, headers = signed_parts(shop)
    assert await status_of(shop, raw_request(parts, headers)) == 200
    assert (await shop.backends.service.get_workspace("shop")).revision == 2


COMPONENTS = ["method", "host", "path", "query", "body"] + [f"header-name-{i}" for i in range(5)] + [f"header-value-{i}" for i in range(5)]


@pytest.mark.anyio
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    component=st.sampled_from(COMPONENTS),
    kind=st.sampled_from(["replace", "insert", "delete"]),
    position=st.integers(min_value=0, max_value=10_000),
    byte=st.integers(min_value=0, max_value=255),
)
async def test_single_byte_change_is_rejected(shop: InternalApi, component: str, kind: str, position: int, byte: int) -> None:
    parts, headers = signed_parts(shop)
    if component.startswith("header-"):
        _, which, index_text = component.split("-")
        index = int(index_text)
        name, value = headers[index]
        if which == "name":
            changed = mutate(name, kind, position, byte)
            # HTTP header names are case-insensitive, so a change of case leaves the request as it was.
            if changed.lower() == name.lower():
                return
            headers[index] = (changed, value)
        else:
            changed = mutate(value, kind, position, byte)
            if same_field_value(changed, value):
                return
            headers[index] = (name, changed)
    else:
        changed = mutate(parts[component], kind, position, byte)
        if component == "host" and same_field_value(changed, parts["host"]):
            return
        parts[component] = changed

    status = await status_of(shop, raw_request(parts, headers))

    assert not 200 <= status < 300, f"{component} {kind} at {position} with {byte}: accepted"
    assert (await shop.backends.service.get_workspace("shop")).revision == 1
