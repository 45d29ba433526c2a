"""The blob store interface and the key scheme shared by every implementation."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

__all__ = ["BlobStore", "blob_key", "check_workspace_id", "WORKSPACE_ID_PATTERN"]

WORKSPACE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
EXTENSION_PATTERN = re.compile(r"^[a-z0-9]{1,8}$")


def check_workspace_id(workspace_id: str) -> str:
    if not WORKSPACE_ID_PATTERN.match(workspace_id):
        raise ValueError(
            f"workspace id {workspace_id[:80]!r} is invalid; use 1 to 63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return workspace_id


def blob_key(workspace_id: str, data: bytes, extension: str) -> str:
    """The object key of a spec file: `workspaces/{id}/specs/{sha256}.{ext}`."""
    check_workspace_id(workspace_id)
    if not EXTENSION_PATTERN.match(extension):
        raise ValueError(f"file extension {extension[:20]!r} is invalid; use 1 to 8 lowercase letters or digits")
    return f"workspaces/{workspace_id}/specs/{hashlib.sha256(data).hexdigest()}.{extension}"


class BlobStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def put_spec(self, workspace_id: str, data: bytes, extension: str) -> str:
        """Store a spec file and return its key (idempotent: the key is its content hash)."""

    async def get_spec(self, workspace_id: str, key: str) -> bytes:
        """Read a spec file; `key` must lie under the workspace's prefix (ValueError otherwise)."""

    async def delete_workspace(self, workspace_id: str) -> int:
        """Delete every object of a workspace and return how many there were."""
