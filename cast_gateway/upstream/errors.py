"""The upstream client's exception tree (drawn in the package docstring)."""


class UpstreamError(Exception):
    """Base of every failure to get a response from the upstream."""


class BlockedDestinationError(UpstreamError, PermissionError):
    """The URL's scheme, port or resolved address is not allowed by the egress policy."""


class UpstreamTimeoutError(UpstreamError, TimeoutError):
    """The upstream sent no response within the configured deadline."""


class UpstreamUnreachableError(UpstreamError, ConnectionError):
    """The upstream could not be resolved or connected to."""
