"""Request side of a tool call: validate the arguments, build one exact upstream request,
inject credentials, and map the upstream response to MCP content. Pure code, no I/O.

Exceptions::

    RequestError (Exception)
    ├── ArgumentError (ValueError)            an argument breaks the input schema or cannot be
    │                                         sent; names the argument and the rule
    ├── RequestBuildError (ValueError)        the template or base URL cannot give a safe request
    └── MissingCredentialError (LookupError)  no security alternative has all its secrets;
        │                                     names the schemes to configure
        └── InvalidCredentialError (ValueError)  a stored secret cannot be sent as its scheme needs
"""

from .errors import (
    ArgumentError,
    InvalidCredentialError,
    MissingCredentialError,
    RequestBuildError,
    RequestError,
)
from .model import UpstreamRequest, UpstreamResponse

__all__ = [
    "UpstreamRequest",
    "UpstreamResponse",
    "RequestError",
    "ArgumentError",
    "RequestBuildError",
    "MissingCredentialError",
    "InvalidCredentialError",
]
