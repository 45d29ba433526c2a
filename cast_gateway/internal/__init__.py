"""The internal provisioning API: HMAC-signed JSON over HTTP, on its own listener.

The provisioning service creates and changes workspaces here with requests signed by a
secret that end users never see. `build_internal_app` makes the Starlette app,
`load_internal_secrets` reads the secrets (None means the API stays off), and
`InternalClient` signs requests for the command line and the tests.

Exceptions::

    InternalApiError (Exception)
    ├── SignatureError (PermissionError)        a request signature did not verify
    ├── NonceStoreError (ConnectionError)       the nonce store is unreachable or full
    ├── InternalConfigError (ValueError)        a signing secret in the environment is unusable
    └── RemoteError                             the client got an error response
        ├── RemoteRequestError (ValueError)     400, 409, 413, 422
        ├── RemoteAuthError (PermissionError)   401
        ├── RemoteNotFoundError (LookupError)   404
        └── RemoteUnavailableError (ConnectionError)  unreachable or 5xx
"""

from .errors import (
    InternalApiError,
    InternalConfigError,
    NonceStoreError,
    RemoteAuthError,
    RemoteError,
    RemoteNotFoundError,
    RemoteRequestError,
    RemoteUnavailableError,
    SignatureError,
)
from .keys import InternalSecrets, SigningKey, load_internal_secrets
from .nonces import MemoryNonceStore, NonceStore, RedisNonceStore
from .verifier import RequestVerifier

__all__ = [
    "InternalSecrets",
    "SigningKey",
    "load_internal_secrets",
    "NonceStore",
    "MemoryNonceStore",
    "RedisNonceStore",
    "RequestVerifier",
    "InternalApiError",
    "SignatureError",
    "NonceStoreError",
    "InternalConfigError",
    "RemoteError",
    "RemoteRequestError",
    "RemoteAuthError",
    "RemoteNotFoundError",
    "RemoteUnavailableError",
]
