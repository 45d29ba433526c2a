"""The key ring in AWS Secrets Manager: one secret whose SecretString is the ring document.

Credentials come from the standard AWS chain (environment, shared config, instance role).
Errors name the secret id and the AWS error code, never the secret's content.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from .errors import KeyConfigError
from .ring import KeyRing

__all__ = ["AwsRingLocation", "load_ring_from_aws", "save_ring_to_aws", "create_ring_in_aws"]

logger = logging.getLogger(__name__)

AWS_TIMEOUT_S = 10.0


class AwsRingLocation:
    """The ring's location: secret id, region and an optional endpoint (for tests and VPC endpoints)."""

    def __init__(self, secret_id: str, region: str, endpoint_url: str = "") -> None:
        if not secret_id:
            raise KeyConfigError("vault.aws_secret_id is empty; set it to the Secrets Manager secret that holds the key ring")
        self.secret_id = secret_id
        self.region = region
        self.endpoint_url = endpoint_url

    def describe(self) -> str:
        return f"AWS secret {self.secret_id!r} ({self.region})"

    def client(self) -> Any:
        from botocore.config import Config

        config = Config(connect_timeout=AWS_TIMEOUT_S, read_timeout=AWS_TIMEOUT_S, retries={"max_attempts": 3})
        return get_session().create_client(
            "secretsmanager", region_name=self.region, endpoint_url=self.endpoint_url or None, config=config
        )


def _failure(location: AwsRingLocation, action: str, exc: Exception) -> KeyConfigError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "unknown")
        return KeyConfigError(f"{location.describe()}: {action} failed with {code}; check the secret id and IAM permissions")
    return KeyConfigError(f"{location.describe()}: {action} failed: {type(exc).__name__}; check the endpoint and network")


async def load_ring_from_aws(location: AwsRingLocation) -> KeyRing:
    try:
        async with location.client() as client:
            response = await client.get_secret_value(SecretId=location.secret_id)
    except (ClientError, BotoCoreError) as exc:
        raise _failure(location, "GetSecretValue", exc) from None
    text = response.get("SecretString")
    if not text:
        raise KeyConfigError(f"{location.describe()}: the secret has no SecretString; store the ring document as text")
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise KeyConfigError(f"{location.describe()}: the SecretString is not valid JSON") from None
    return KeyRing.from_document(document, location.describe())


async def save_ring_to_aws(location: AwsRingLocation, ring: KeyRing) -> None:
    """Store `ring` as a new version of the secret (the previous version stays as AWSPREVIOUS)."""
    try:
        async with location.client() as client:
            await client.put_secret_value(SecretId=location.secret_id, SecretString=orjson.dumps(ring.to_document()).decode())
    except (ClientError, BotoCoreError) as exc:
        raise _failure(location, "PutSecretValue", exc) from None


async def create_ring_in_aws(location: AwsRingLocation, ring: KeyRing) -> None:
    try:
        async with location.client() as client:
            await client.create_secret(
                Name=location.secret_id, SecretString=orjson.dumps(ring.to_document()).decode(),
                Description="Cast gateway vault key ring",
            )
    except (ClientError, BotoCoreError) as exc:
        raise _failure(location, "CreateSecret", exc) from None
    logger.info("created the vault key ring in %s", location.describe())
