"""The embedded blob store: a folder on local disk, laid out like the S3 keys."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from .errors import BlobNotFoundError
from .protocol import blob_key, check_workspace_id

__all__ = ["LocalBlobStore", "check_key_scope"]


def check_key_scope(workspace_id: str, key: str) -> None:
    """Reject a key outside the workspace's own prefix before any read."""
    check_workspace_id(workspace_id)
    prefix = f"workspaces/{workspace_id}/specs/"
    name = key[len(prefix) :]
    if not key.startswith(prefix) or "/" in name or not name or name.startswith("."):
        raise ValueError(f"blob key {key[:120]!r} does not belong to workspace {workspace_id!r}")


class LocalBlobStore:
    def __init__(self, root: Path | str) -> None:
        self._root = Path(root)

    async def open(self) -> None:
        self._root.mkdir(parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    async def put_spec(self, workspace_id: str, data: bytes, extension: str) -> str:
        key = blob_key(workspace_id, data, extension)
        await asyncio.to_thread(self._write, self._root / key, data)
        return key

    async def get_spec(self, workspace_id: str, key: str) -> bytes:
        check_key_scope(workspace_id, key)
        try:
            return await asyncio.to_thread((self._root / key).read_bytes)
        except FileNotFoundError:
            raise BlobNotFoundError(f"spec file {key!r} of workspace {workspace_id!r} not found") from None

    async def delete_workspace(self, workspace_id: str) -> int:
        check_workspace_id(workspace_id)
        folder = self._root / "workspaces" / workspace_id
        if not folder.exists():
            return 0
        count = sum(1 for path in folder.rglob("*") if path.is_file())
        await asyncio.to_thread(shutil.rmtree, folder)
        return count

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        # Write to a temporary name and rename, so a reader never sees half a file.
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
