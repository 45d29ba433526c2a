"""The compiler's exception tree (drawn in the package docstring)."""


class SpecError(ValueError):
    """The spec cannot be compiled. The message names the file and the JSON pointer or line."""
