"""A decrypted secret that refuses to show itself."""

from __future__ import annotations

from typing import Any

__all__ = ["SecretValue"]


class SecretValue:
    """Plaintext of one secret, alive only for one upstream call.

    `repr`, `str` and `format` print a mask, so a secret that lands in a log call, an
    f-string or a traceback's locals shows nothing. Call `reveal()` at the one spot that
    injects it into the upstream request.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(***)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "***"

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("SecretValue cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
