"""The egress policy decides on addresses alone; no connection is ever opened here."""

from __future__ import annotations

import ipaddress
import pytest

from cast_gateway.upstream import BlockedDestinationError, EgressPolicy
from cast_gateway.upstream.policy import is_globally_routable
from cast_gateway.upstream.resolver import GuardedResolver
from support.resolver import RecordingResolver

pytestmark = pytest.mark.anyio

BLOCKED = [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "::1", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2001:0:4136:e378::1", "224.0.0.1", "ff02::1",
]
ALLOWED = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:93.184.215.14"]


@pytest.mark.parametrize("address", BLOCKED)
def test_private_and_metadata_addresses_are_blocked(address: str) -> None:
    assert not is_globally_routable(ipaddress.ip_address(address))
    with pytest.raises(BlockedDestinationError):
        EgressPolicy().check_address("api.example.test", address)


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_pass(address: str) -> None:
    EgressPolicy().check_address("api.example.test", address)


def test_private_networks_setting_lets_loopback_through() -> None:
    EgressPolicy(allow_private_networks=True).check_address("localhost", "127.0.0.1")


@pytest.mark.parametrize("scheme, port", [("http", 80), ("ftp", 443), ("https", 8443), ("file", 443)])
def test_scheme_and_port_rules(scheme: str, port: int) -> None:
    with pytest.raises(BlockedDestinationError) as raised:
        EgressPolicy().check_url(scheme, "api.example.test", port)

    assert "api.example.test" in str(raised.value) or scheme in str(raised.value)


async def test_resolver_blocks_when_any_answer_is_private() -> None:
    inner = RecordingResolver({"mixed.example.test": ["93.184.215.14", "10.0.0.5"]})
    resolver = GuardedResolver(EgressPolicy(), inner)  # type: ignore[arg-type]

    with pytest.raises(BlockedDestinationError) as raised:
        await resolver.resolve("mixed.example.test", 443)

    assert "10.0.0.5" in str(raised.value)
    assert inner.lookups == ["mixed.example.test"]


async def test_resolver_returns_checked_public_answers() -> None:
    inner = RecordingResolver({"api.example.test": ["93.184.215.14"]})
    resolver = GuardedResolver(EgressPolicy(), inner)  # type: ignore[arg-type]

    answers = await resolver.resolve("api.example.test", 443)

    assert [answer["host"] for answer in answers] == ["93.184.215.14"]
