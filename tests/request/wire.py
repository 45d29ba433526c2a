"""Helpers for wire tests: compile a shared case spec and send a built request to the recording server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import yarl

from cast_gateway.openapi.compiler import compile_spec
from cast_gateway.openapi.model import CompiledSpec, SpecBundle, Tool
from cast_gateway.request.model import UpstreamRequest, UpstreamResponse

__all__ = ["CASES", "compile_case", "case_tool", "send", "query_pairs_of", "split_multipart"]

CASES = Path(__file__).resolve().parents[3] / "shared" / "cases"
SEND_TIMEOUT_S = 10.0


def compile_case(case: str) -> CompiledSpec:
    name = f"{case}.yaml"
    return compile_spec(SpecBundle.single(name, (CASES / name).read_bytes()))


def case_tool(case: str, name: str) -> Tool:
    tool = compile_case(case).tool(name)
    assert tool is not None, f"{case} has no tool {name!r}"
    return tool


async def send(request: UpstreamRequest) -> UpstreamResponse:
    """Send `request` byte for byte (no re-encoding, no redirects) and return what came back."""
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, skip_auto_headers=("Content-Type",)) as session:
        async with session.request(
            request.method, yarl.URL(request.url, encoded=True), headers=list(request.headers),
            data=request.body, allow_redirects=False,
        ) as response:
            body = await response.read()
            return UpstreamResponse(
                status=response.status,
                content_type=response.headers.get("Content-Type"),
                body=body,
                headers=tuple((key.lower(), value) for key, value in response.headers.items()),
            )


def query_pairs_of(query: str) -> list[tuple[str, str]]:
    return parse_qsl(query, keep_blank_values=True)


def split_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart body into (lower-cased part headers, content) pairs."""
    boundary = content_type.split("boundary=", 1)[1].strip('"')
    delimiter = b"--" + boundary.encode("ascii")
    assert body.rstrip(b"\r\n").endswith(delimiter + b"--"), "multipart body must end with the closing delimiter"
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in body.split(delimiter)[1:-1]:
        assert chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")
        head, _, content = chunk[2:-2].partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts
