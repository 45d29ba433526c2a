"""The outgoing call: SSRF policy, pooled aiohttp client, timeouts and a response size cap.

Exceptions::

    UpstreamError (Exception)
    ├── BlockedDestinationError (PermissionError)  the address or scheme breaks the egress policy
    ├── UpstreamTimeoutError (TimeoutError)        connect or total deadline passed
    └── UpstreamUnreachableError (ConnectionError) DNS, TCP or TLS failed

Messages name the host and port, never the path or query (which may carry an API key).
"""

from .client import UpstreamClient
from .errors import BlockedDestinationError, UpstreamError, UpstreamTimeoutError, UpstreamUnreachableError
from .policy import EgressPolicy

__all__ = [
    "UpstreamClient",
    "EgressPolicy",
    "UpstreamError",
    "BlockedDestinationError",
    "UpstreamTimeoutError",
    "UpstreamUnreachableError",
]
