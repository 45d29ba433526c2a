"""Exceptions of the request package; the tree is drawn in the package docstring."""

from __future__ import annotations

__all__ = [
    "RequestError",
    "ArgumentError",
    "RequestBuildError",
    "MissingCredentialError",
    "InvalidCredentialError",
]


class RequestError(Exception):
    """Base of every error this package raises."""


class ArgumentError(RequestError, ValueError):
    """A tool argument breaks the input schema or cannot be sent as the spec asks.

    The message names the argument by its JSON path and the rule it breaks, and shows
    at most a bounded repr of the value.
    """


class RequestBuildError(RequestError, ValueError):
    """The tool's request template or the base URL cannot produce a safe request."""


class MissingCredentialError(RequestError, LookupError):
    """No security alternative of the tool has all its secrets; names schemes, never values."""


class InvalidCredentialError(MissingCredentialError, ValueError):
    """A stored secret cannot be sent as its scheme requires (for example a line break in a header value).

    It is a `MissingCredentialError` too, because the fix is the same: store a usable secret.
    """
