"""The internal API's exception tree (drawn in the package docstring)."""

from __future__ import annotations

__all__ = [
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


class InternalApiError(Exception):
    """Base of every internal API failure, on the server and in the client."""


class SignatureError(InternalApiError, PermissionError):
    """A request's signature headers did not verify.

    `reason` is one of a fixed set of words (see `verifier.REJECTION_REASONS`) for metrics
    and the operator's log. The HTTP response never contains it, so that a caller cannot probe
    which check failed.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"request signature rejected: {reason}")
        self.reason = reason


class NonceStoreError(InternalApiError, ConnectionError):
    """The nonce store is unreachable or full, so no signed request can be accepted now."""


class InternalConfigError(InternalApiError, ValueError):
    """The signing secrets in the environment are unusable; names the variable, never the value."""


class RemoteError(InternalApiError):
    """The internal API returned an error response. Carries the HTTP status and the error code."""

    def __init__(self, status: int, code: str, message: str, *, pointer: str | None = None) -> None:
        super().__init__(f"internal API error {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        # The JSON pointer into the spec, for a 422 response about a spec that does not compile.
        self.pointer = pointer


class RemoteRequestError(RemoteError, ValueError):
    """400, 409, 413 or 422: the request was invalid or conflicts with the stored state."""


class RemoteAuthError(RemoteError, PermissionError):
    """401: the gateway rejected the request signature (wrong secret, clock skew, replay)."""


class RemoteNotFoundError(RemoteError, LookupError):
    """404: the workspace, secret, token or tool does not exist."""


class RemoteUnavailableError(RemoteError, ConnectionError):
    """The gateway could not be reached, or returned a 5xx status."""
