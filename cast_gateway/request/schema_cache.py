"""A bounded cache of compiled JSON Schema validators, one per schema object.

Compiling a `Draft202012Validator` walks the schema and its `$ref`s; doing that on every
tool call would put the cost on the hot path. Schemas are dicts (unhashable), so the cache
is keyed by `id()` and keeps a reference to the schema, which stops the id from being
reused while the entry lives. An LRU bound keeps a gateway that hosts many workspaces
from growing without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Mapping

from jsonschema import Draft202012Validator

__all__ = ["ValidatorCache", "MAX_CACHED_VALIDATORS"]

MAX_CACHED_VALIDATORS = 4096


class ValidatorCache:
    def __init__(self, max_entries: int = MAX_CACHED_VALIDATORS) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries!r}")
        self._max_entries = max_entries
        self._entries: OrderedDict[int, tuple[Mapping[str, Any], Draft202012Validator]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        key = id(schema)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is schema:
            self._entries.move_to_end(key)
            return entry[1]

        validator = Draft202012Validator(schema)
        self._entries[key] = (schema, validator)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return validator
