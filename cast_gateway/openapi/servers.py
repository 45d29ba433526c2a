"""Server URLs of a spec, with server variables filled in.

Variables take their `default`, or the first `enum` value when the default is missing, and
never a value from model arguments, because the server decides where credentials go. A
relative URL (`/api/v3`) stays relative: the request builder resolves it against the
workspace's base URL by concatenation, which keeps the base path.
"""

from __future__ import annotations

import re
from typing import Any

from .loader import source_text

__all__ = ["expand_servers"]

_VARIABLE = re.compile(r"\{([^{}]+)\}")


def _expand(server: dict[str, Any]) -> str | None:
    url = server.get("url")
    if not isinstance(url, str) or not url.strip():
        return None
    variables = server.get("variables") if isinstance(server.get("variables"), dict) else {}

    def value_of(match: re.Match[str]) -> str:
        spec = variables.get(match.group(1))
        if isinstance(spec, dict):
            if "default" in spec and spec["default"] is not None:
                return source_text(spec["default"])
            enum = spec.get("enum")
            if isinstance(enum, list) and enum:
                return source_text(enum[0])
        return match.group(0)

    expanded = _VARIABLE.sub(value_of, url.strip())
    if _VARIABLE.search(expanded):
        return None  # a variable without a value: unusable, the next server may do.
    return expanded


def expand_servers(servers: Any) -> tuple[str, ...]:
    """Return the usable server URLs of a `servers` list, in spec order, without duplicates."""
    if not isinstance(servers, list):
        return ()
    urls: list[str] = []
    for server in servers:
        if isinstance(server, dict):
            url = _expand(server)
            if url and url not in urls:
                urls.append(url)
    return tuple(urls)
