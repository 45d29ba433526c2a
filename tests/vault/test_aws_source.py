"""The key ring in AWS Secrets Manager, against moto's server on 127.0.0.1."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path

import pytest

from cast_gateway.backends import build_vault
from cast_gateway.cli import keys
from cast_gateway.config import settings_from_mapping
from cast_gateway.vault import KeyConfigError, KeyRing, Purpose
from cast_gateway.vault.aws import AwsRingLocation, create_ring_in_aws, load_ring_from_aws
from vault_helpers import KEY_1, KEY_2

RING = KeyRing(keys={1: KEY_1, 2: KEY_2}, primary=2, hash_key_id=1)


def location(endpoint: str) -> AwsRingLocation:
    return AwsRingLocation(f"cast/vault-{uuid.uuid4().hex[:8]}", "us-east-1", endpoint)


@pytest.mark.anyio
async def test_ring_round_trips_through_secrets_manager(moto_endpoint: str) -> None:
    where = location(moto_endpoint)
    await create_ring_in_aws(where, RING)

    assert await load_ring_from_aws(where) == RING


@pytest.mark.anyio
async def test_missing_secret_names_the_aws_error(moto_endpoint: str) -> None:
    with pytest.raises(KeyConfigError, match="ResourceNotFoundException") as caught:
        await load_ring_from_aws(location(moto_endpoint))
    assert "cast/vault-" in str(caught.value)


@pytest.mark.anyio
async def test_gateway_vault_loads_from_aws_at_start(moto_endpoint: str) -> None:
    where = location(moto_endpoint)
    await create_ring_in_aws(where, RING)
    settings = settings_from_mapping(
        {"vault": {"source": "aws", "aws_secret_id": where.secret_id, "aws_endpoint_url": moto_endpoint}}
    )

    # build_vault is synchronous start-up code; here it runs inside a running event loop.
    vault = build_vault(settings, {})

    assert (vault.key_ids, vault.primary, vault.hash_key_id) == ((1, 2), 2, 1)
    sealed = vault.encrypt(b"v", purpose=Purpose.COLUMN, workspace_id="w", secret_id="s")
    assert vault.decrypt(sealed, purpose=Purpose.COLUMN, workspace_id="w", secret_id="s") == b"v"


def test_keys_commands_write_the_aws_secret(moto_endpoint: str, tmp_path: Path) -> None:
    secret_id = f"cast/vault-{uuid.uuid4().hex[:8]}"
    config = tmp_path / "cast.toml"
    config.write_text(
        f'[store]\npath = "{tmp_path / "cast.db"}"\n'
        f'[vault]\nsource = "aws"\naws_secret_id = "{secret_id}"\naws_endpoint_url = "{moto_endpoint}"\n'
    )
    parser = argparse.ArgumentParser(prog="cast-gateway")
    parser.add_argument("--config")
    keys.register(parser.add_subparsers(dest="command", required=True))

    for argv in (["init"], ["rotate"], ["rotate"]):
        args = parser.parse_args(["--config", str(config), "keys", *argv])
        assert args.handler(args) == 0

    import asyncio

    ring = asyncio.run(load_ring_from_aws(AwsRingLocation(secret_id, "us-east-1", moto_endpoint)))
    assert (ring.key_ids, ring.primary, ring.hash_key_id) == ((1, 2), 2, 1)
