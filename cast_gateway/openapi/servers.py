"""Server URLs of a spec, with server variables filled in.

Variables take their `default`, or the first `enum` value when the default is missing, and
never a value from model arguments, because the server decides where credentials go. A
relative URL (`/api/v3`) stays relative: the request builder resolves it against the
workspace's base URL by concatenation, which keeps the base path.

A path-item or operation server on another host than the base URL would receive the
workspace's credentials, so `ServerHostPolicy` keeps it only when the workspace allows
that host.
"""

from __future__ import annotations

import re
from typing import Any, Sequence
from urllib.parse import urlsplit

from .loader import source_text

__all__ = ["expand_servers", "ServerHostPolicy", "rejected_server_message", "ALLOWED_SERVER_HOSTS_SETTING"]

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


ALLOWED_SERVER_HOSTS_SETTING = "allowed_server_hosts"
"""The workspace setting that lists hosts that path-item and operation servers may name."""


def _host_key(url: str) -> tuple[str, int | None] | None:
    """Return (lower-cased host name, explicit port or None) of an absolute URL; None for a relative one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ("", -1)  # an unparsable URL (`http://[::1`) matches no allowed host
    if not parts.netloc:
        return None
    try:
        port = parts.port
    except ValueError:
        port = -1  # an invalid port matches no allowed entry
    return (parts.hostname or "", port)


class ServerHostPolicy:
    """Decides which path-item and operation servers a tool may use.

    A server is allowed when it is relative (it resolves against the base URL), when its
    host is the host of the base URL, or when the workspace setting lists its host. An
    entry without a port allows every port of that host, and one with a port only that port.
    """

    def __init__(self, base_url: str | None, allowed_hosts: Sequence[str]) -> None:
        self._hosts: set[str] = set()
        self._host_ports: set[tuple[str, int]] = set()
        base = _host_key(base_url) if base_url else None
        if base is not None and base[0]:
            self._hosts.add(base[0])
        for entry in allowed_hosts:
            text = str(entry).strip().lower()
            key = _host_key(text if "//" in text else f"//{text}")
            if key is None or not key[0]:
                continue
            if key[1] is None:
                self._hosts.add(key[0])
            else:
                self._host_ports.add((key[0], key[1]))

    def allows(self, url: str) -> bool:
        key = _host_key(url)
        if key is None:
            return True
        host, port = key
        if not host or port == -1:
            return False
        return host in self._hosts or (port is not None and (host, port) in self._host_ports)

    def split(self, urls: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the allowed and the rejected servers of a list, each in spec order."""
        allowed = tuple(url for url in urls if self.allows(url))
        return allowed, tuple(url for url in urls if url not in allowed)


def rejected_server_message(url: str) -> str:
    key = _host_key(url)
    host = key[0] if key and key[0] else url
    return (
        f"server {url[:200]!r} is on host {host[:100]!r}, which the workspace does not allow, so the tool uses "
        f"the workspace base URL; add {host[:100]!r} to the workspace setting {ALLOWED_SERVER_HOSTS_SETTING!r} "
        "to send this operation's calls there"
    )
