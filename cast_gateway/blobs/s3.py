"""The production blob store: one S3 bucket through aiobotocore, every object SSE-S3 encrypted.

Keys are made here from the workspace id and the content hash (`blob_key`), and reads
check that a key lies under the caller's workspace prefix, so no workspace can name
another's object.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any, Mapping

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from .errors import BlobError, BlobNotFoundError, BlobUnavailableError
from .local import check_key_scope
from .protocol import blob_key, check_workspace_id

__all__ = ["S3BlobStore", "S3Options", "SERVER_SIDE_ENCRYPTION", "CONTENT_TYPES"]

logger = logging.getLogger(__name__)

SERVER_SIDE_ENCRYPTION = "AES256"  # SSE-S3: keys managed by S3
CONTENT_TYPES = {"json": "application/json", "yaml": "application/yaml"}
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
# DeleteObjects takes at most 1000 keys a request.
DELETE_BATCH = 1000
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


@dataclass(frozen=True)
class S3Options:
    bucket: str
    region: str = "us-east-1"
    endpoint_url: str = ""  # "" uses AWS; tests point it at a local S3-compatible server
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    pool_size: int = 20

    def __post_init__(self) -> None:
        if not self.bucket:
            raise ValueError("blobs.bucket is empty; set it to the S3 bucket that holds the spec files")


class S3BlobStore:
    """Spec files in S3; the client (and its connection pool) lives from open() to close()."""

    def __init__(self, options: S3Options) -> None:
        self.options = options
        self._client: Any = None
        self._stack = contextlib.AsyncExitStack()

    @classmethod
    def from_settings(cls, settings: Any, environ: Mapping[str, str]) -> S3BlobStore:
        """Build from `BlobSettings`; keys come from the variables it names, else from the AWS default chain."""
        return cls(S3Options(
            bucket=settings.bucket, region=settings.region, endpoint_url=settings.endpoint_url,
            access_key=environ.get(settings.access_key_env) or None,
            secret_key=environ.get(settings.secret_key_env) or None,
        ))

    async def open(self) -> None:
        options = self.options
        config = AioConfig(
            connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S, max_pool_connections=options.pool_size,
            retries={"max_attempts": 3, "mode": "standard"},
        )
        client = get_session().create_client(
            "s3", region_name=options.region, endpoint_url=options.endpoint_url or None,
            aws_access_key_id=options.access_key, aws_secret_access_key=options.secret_key, config=config,
        )
        self._client = await self._stack.enter_async_context(client)

    async def close(self) -> None:
        await self._stack.aclose()
        self._client = None

    def _require(self) -> Any:
        if self._client is None:
            raise RuntimeError("S3BlobStore is not open; call open() first")
        return self._client

    async def put_spec(self, workspace_id: str, data: bytes, extension: str) -> str:
        key = blob_key(workspace_id, data, extension)
        try:
            response = await self._require().put_object(
                Bucket=self.options.bucket, Key=key, Body=data, ServerSideEncryption=SERVER_SIDE_ENCRYPTION,
                ContentType=CONTENT_TYPES.get(extension, "application/octet-stream"),
            )
        except (ClientError, BotoCoreError, OSError) as exc:
            raise _translate(exc, f"storing spec file {key!r}") from None
        # A bucket policy or proxy could drop the header; a spec stored unencrypted is an error.
        if response.get("ServerSideEncryption") != SERVER_SIDE_ENCRYPTION:
            raise BlobError(
                f"S3 stored {key!r} without SSE-S3 encryption (ServerSideEncryption="
                f"{response.get('ServerSideEncryption')!r}); check the bucket {self.options.bucket!r} encryption settings"
            )
        return key

    async def get_spec(self, workspace_id: str, key: str) -> bytes:
        check_key_scope(workspace_id, key)
        try:
            response = await self._require().get_object(Bucket=self.options.bucket, Key=key)
            async with response["Body"] as body:
                return bytes(await body.read())
        except (ClientError, BotoCoreError, OSError) as exc:
            if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in MISSING_CODES:
                raise BlobNotFoundError(f"spec file {key!r} of workspace {workspace_id!r} not found") from None
            raise _translate(exc, f"reading spec file {key!r}") from None

    async def delete_workspace(self, workspace_id: str) -> int:
        check_workspace_id(workspace_id)
        client = self._require()
        # The trailing slash keeps workspace "a" from matching the objects of workspace "ab".
        prefix = f"workspaces/{workspace_id}/"
        deleted = 0
        try:
            paginator = client.get_paginator("list_objects_v2")
            keys: list[str] = []
            async for page in paginator.paginate(Bucket=self.options.bucket, Prefix=prefix):
                keys.extend(item["Key"] for item in page.get("Contents", []))
            for start in range(0, len(keys), DELETE_BATCH):
                batch = keys[start : start + DELETE_BATCH]
                response = await client.delete_objects(
                    Bucket=self.options.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
                )
                errors = response.get("Errors", [])
                if errors:
                    raise BlobError(
                        f"S3 could not delete {len(errors)} objects of workspace {workspace_id!r}, "
                        f"first {errors[0].get('Key')!r}: {errors[0].get('Code')}; run the purge again"
                    )
                deleted += len(batch)
        except (ClientError, BotoCoreError, OSError) as exc:
            raise _translate(exc, f"deleting the spec files of workspace {workspace_id!r}") from None
        return deleted


def _translate(exc: BaseException, action: str) -> BlobError:
    """Map a botocore failure to the blob store's tree; the message carries the code, never a signature."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = error.get("Code", "?")
        if isinstance(status, int) and status >= 500:
            return BlobUnavailableError(f"S3 request failed ({action}): {code} (HTTP {status}); retry later")
        return BlobError(f"S3 rejected the request ({action}): {code} (HTTP {status}); check the bucket and the credentials")
    return BlobUnavailableError(f"S3 cannot be reached while {action} ({exc.__class__.__name__})")
