"""`$ref` resolution inside an uploaded bundle of files. Nothing is ever fetched.

A reference is resolved against the file it appears in: `#/components/schemas/Tag` inside
`common/shared.yaml` points into that file. Relative file references must name a file of the
bundle; remote (`https://...`) references are never fetched and fail with `RefError`, which
costs only the operation that uses them.
"""

from __future__ import annotations

import difflib
import posixpath
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import unquote, urlsplit

from .errors import MissingFileError, RefError

__all__ = ["Location", "RefResolver", "escape_pointer", "pointer_join", "MAX_REF_CHAIN"]

MAX_REF_CHAIN = 64
"""`$ref`s that may point at further `$ref`s before the chain counts as a loop."""


def escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer_join(pointer: str, *tokens: str | int) -> str:
    return pointer + "".join("/" + escape_pointer(str(token)) for token in tokens)


@dataclass(frozen=True)
class Location:
    """Where a value sits: the bundle file and the JSON pointer inside it."""

    file: str
    pointer: str

    def child(self, *tokens: str | int) -> Location:
        return Location(self.file, pointer_join(self.pointer, *tokens))

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer}"


class RefResolver:
    """Follows `$ref`s across the files of one bundle, parsing each file at most once."""

    def __init__(self, main: str, documents: Mapping[str, Any], load: Callable[[str], Any]) -> None:
        self.main = main
        self._documents = dict(documents)
        self._load = load

    def document(self, name: str) -> Any:
        if name not in self._documents:
            self._documents[name] = self._load(name)
        return self._documents[name]

    def target(self, ref: Any, base: Location) -> Location:
        """Return the location a `$ref` string names, relative to the file it sits in."""
        if not isinstance(ref, str):
            raise RefError(f"$ref must be a string, got {_bounded(ref)}")
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc:
            raise RefError(
                f"$ref {ref!r} is a remote reference; remote references are never fetched: "
                "upload the file with the spec and refer to it by a relative path"
            )
        file = base.file
        if parts.path:
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(base.file), unquote(parts.path)))
            if joined.startswith("../") or joined == "..":
                raise RefError(f"$ref {ref!r} points outside the uploaded bundle")
            file = joined
        fragment = unquote(parts.fragment)
        if fragment and not fragment.startswith("/"):
            raise RefError(f"$ref {ref!r} uses a plain-name fragment ({fragment!r}); only JSON pointers are supported")
        return Location(file, fragment)

    def lookup(self, location: Location, ref: str = "") -> Any:
        """Return the value at a location. Raises RefError (or MissingFileError) when absent."""
        try:
            node = self.document(location.file)
        except KeyError:
            raise MissingFileError(
                f"$ref {ref or str(location)!r} names file {location.file!r}, which is not in the uploaded bundle; "
                f"upload it with the spec: '--spec-file {location.file}' for 'workspace create' or 'workspace upload-spec', "
                f"an extra FILE argument for 'tools preview', or an entry {location.file!r} in the 'files' map "
                "of the internal API"
            ) from None
        if not location.pointer:
            return node
        walked = ""
        for raw in location.pointer[1:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                hint = ""
                if isinstance(node, dict):
                    close = difflib.get_close_matches(token, [str(key) for key in node], n=1)
                    if close:
                        hint = f" (did you mean {close[0]!r}?)"
                raise RefError(f"$ref {ref or location.pointer!r} not found: no {token!r} under {walked or '/'!r}{hint}")
            walked += "/" + raw
        return node

    def resolve(self, value: Any, at: Location) -> tuple[Any, Location]:
        """Follow `$ref` chains from a value until a non-reference value; returns it and where it sits."""
        hops = 0
        while isinstance(value, dict) and "$ref" in value:
            ref = value["$ref"]
            at = self.target(ref, at)
            value = self.lookup(at, ref)
            hops += 1
            if hops > MAX_REF_CHAIN:
                raise RefError(f"$ref {ref!r} starts a chain of more than {MAX_REF_CHAIN} references (a loop?)")
        return value, at


def _bounded(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
