"""Spec files, stored by workspace and content hash.

Callers pass a workspace id and a file's content; the blob store makes the key
(`workspaces/{id}/specs/{sha256}.{ext}`) itself, so no caller can name another
workspace's object.

Exceptions::

    BlobError (Exception)
    ├── BlobNotFoundError (LookupError)
    └── BlobUnavailableError (ConnectionError)
"""

from .errors import BlobError, BlobNotFoundError, BlobUnavailableError
from .protocol import BlobStore, blob_key, check_workspace_id

__all__ = ["BlobStore", "blob_key", "check_workspace_id", "BlobError", "BlobNotFoundError", "BlobUnavailableError"]
