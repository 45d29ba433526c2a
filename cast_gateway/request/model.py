"""The upstream request that the builder produces and the upstream client sends."""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["UpstreamRequest", "UpstreamResponse"]


@dataclass(frozen=True)
class UpstreamRequest:
    """An HTTP request, fully serialized.

    `url` is absolute and already percent-encoded: the client sends it byte for byte and
    must not normalize it (dot segments, `%2F`). Cookies travel in the `Cookie` header.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None

    def with_header(self, name: str, value: str) -> UpstreamRequest:
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=kept + ((name, value),))

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def __repr__(self) -> str:
        # Headers and body may carry credentials once injected: never show them.
        return f"UpstreamRequest(method={self.method!r}, headers={len(self.headers)}, body={0 if self.body is None else len(self.body)} bytes)"


@dataclass(frozen=True)
class UpstreamResponse:
    """What came back from the upstream, cut at the response size cap.

    `truncated_bytes` counts the bytes dropped past the cap (0 when the body is whole).
    `headers` holds only the headers the mapping needs, lower-cased.
    """

    status: int
    content_type: str | None
    body: bytes
    truncated_bytes: int = 0
    headers: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        return f"UpstreamResponse(status={self.status}, content_type={self.content_type!r}, body={len(self.body)} bytes)"
