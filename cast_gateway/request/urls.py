"""Base URL, server URL and path template handling for the request builder."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, urljoin, urlsplit

from .errors import RequestBuildError

__all__ = ["Origin", "parse_base", "resolve_server", "expand_template", "PLACEHOLDER"]

PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")
# Literal template text keeps the RFC 3986 `pchar` set and `/` raw; anything else
# (spaces, non-ASCII, a stray `%`) is percent-encoded.
_LITERAL_SAFE = "/:@!$&'()*+,;=~"


@dataclass(frozen=True)
class Origin:
    """A base URL split into the part every request must start with and its base path."""

    scheme: str
    netloc: str
    base_path: str  # without a trailing "/"; "" for the root

    @property
    def prefix(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.base_path}"


def parse_base(url: str) -> Origin:
    if _CONTROL_OR_SPACE.search(url):
        raise RequestBuildError(f"base URL {url[:200]!r} contains spaces or control characters; fix the workspace base URL")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise RequestBuildError(f"base URL {url[:200]!r} must be an absolute http(s) URL such as 'https://api.example.com/v1'")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise RequestBuildError(
            f"base URL {url[:200]!r} must not carry a query, fragment or user info; put credentials in workspace secrets"
        )
    if "{" in url:
        raise RequestBuildError(f"base URL {url[:200]!r} has an unfilled server variable; set the full URL")
    return Origin(parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"))


def resolve_server(base_url: str, servers: tuple[str, ...]) -> Origin:
    """Return the origin of a tool: its own first server, resolved against the workspace base URL when relative."""
    if not servers:
        return parse_base(base_url)
    server = servers[0]
    if urlsplit(server).scheme:
        return parse_base(server)
    # A relative server URL is a URI reference (RFC 3986 section 5.2), so `/v2` replaces the
    # base path and `v2` extends it. The trailing slash makes `v2` extend a base without one.
    return parse_base(urljoin(base_url.rstrip("/") + "/", server))


def expand_template(template: str, expand: Callable[[str], str]) -> tuple[str, str]:
    """Expand a path template with `expand(placeholder) -> encoded text`; return the path and any literal query.

    Raises `RequestBuildError` if an expanded value changed the template's shape: a segment
    added or removed, a dot segment, or a `?` or `#`.
    """
    path_template, _, literal_query = template.partition("?")
    pieces: list[str] = []
    pattern: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(path_template):
        literal = quote(path_template[position : match.start()], safe=_LITERAL_SAFE)
        pieces.append(literal)
        pattern.append(re.escape(literal))
        pieces.append(expand(match.group(1)))
        pattern.append(r"[^/?#]*")
        position = match.end()
    tail = quote(path_template[position:], safe=_LITERAL_SAFE)
    pieces.append(tail)
    pattern.append(re.escape(tail))

    path = "".join(pieces)
    if not path.startswith("/"):
        path = "/" + path
        pattern.insert(0, "/")
    if re.fullmatch("".join(pattern), path) is None:
        raise RequestBuildError(f"path {path[:200]!r} does not match its template {template[:200]!r}; no request was sent")
    template_dots = [segment for segment in path_template.split("/") if segment in (".", "..")]
    path_dots = [segment for segment in path.split("/") if segment in (".", "..")]
    if len(path_dots) != len(template_dots):
        raise RequestBuildError(f"path {path[:200]!r} gained a dot segment; no request was sent")
    return path, quote(literal_query, safe="=&:/@!$'()*+,;~")
