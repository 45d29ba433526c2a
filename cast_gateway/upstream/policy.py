"""The egress policy: which schemes, ports and addresses a tool call may reach.

Customers choose their upstream URLs, so without this check a workspace could aim the
gateway at its own network or a cloud metadata service. Every resolved address is
checked, and the connection goes to the checked address (see resolver.py).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .errors import BlockedDestinationError

__all__ = ["EgressPolicy", "is_globally_routable"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges that `is_global` lets through in some Python versions but that must never be an
# upstream: shared address space (carrier NAT), the AWS IPv6 metadata range, and IPv6
# transition prefixes that embed an arbitrary IPv4 address.
EXTRA_DENIED = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::/32",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
    )
)


def is_globally_routable(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in EXTRA_DENIED if network.version == address.version):
        return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class EgressPolicy:
    allow_private_networks: bool = False
    allow_http: bool = False
    allowed_ports: tuple[int, ...] = (443,)

    def check_url(self, scheme: str, host: str, port: int) -> None:
        if scheme == "http" and not self.allow_http:
            raise BlockedDestinationError(
                f"upstream {host}:{port} uses plain http; only https is allowed (setting upstream.allow_http)"
            )
        if scheme not in ("http", "https"):
            raise BlockedDestinationError(f"upstream scheme {scheme[:16]!r} is not allowed; use https")
        if self.allowed_ports and port not in self.allowed_ports:
            raise BlockedDestinationError(
                f"upstream {host}:{port} uses a port outside upstream.allowed_ports {list(self.allowed_ports)}"
            )

    def check_address(self, host: str, address: str) -> None:
        """Raise BlockedDestinationError unless `address` (an IP literal) may be reached."""
        try:
            parsed = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise BlockedDestinationError(f"upstream {host}: resolved to an unparseable address") from None
        if self.allow_private_networks:
            return
        if not is_globally_routable(parsed):
            raise BlockedDestinationError(
                f"upstream {host} resolves to {parsed}, which is not a public address "
                "(private, loopback, link-local and metadata ranges are blocked)"
            )
