"""The compiler's exception tree (drawn in the package docstring)."""

__all__ = ["SpecError", "OperationError", "RefError", "MissingFileError"]


class SpecError(ValueError):
    """The spec cannot be compiled. The message names the file and the JSON pointer or line."""


class OperationError(ValueError):
    """One operation cannot be compiled. The compiler skips it with a `SpecWarning`."""


class RefError(OperationError):
    """A `$ref` cannot be resolved: dangling, remote or malformed."""


class MissingFileError(RefError):
    """A relative `$ref` names a file that was not uploaded; fails the whole spec."""
