"""Rename client-safe keys inside argument values back to the wire keys of the spec.

The compiler renames object keys that MCP clients cannot carry (`user.name` → `user_name`)
and records each rename in a name map: a dict with optional entries `keys` ({client key:
wire key} at this level), `properties` ({client key: name map} for nested objects),
`items` (name map for array elements) and `additionalProperties` (name map for map values).
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["rename_to_wire"]


def rename_to_wire(value: Any, name_map: Mapping[str, Any] | None) -> Any:
    """Return `value` with every client key that `name_map` lists replaced by its wire key."""
    if not name_map:
        return value
    if isinstance(value, list):
        items = name_map.get("items")
        return [rename_to_wire(item, items) for item in value] if items else value
    if not isinstance(value, Mapping):
        return value

    keys = name_map.get("keys") or {}
    nested = name_map.get("properties") or {}
    extra = name_map.get("additionalProperties")
    renamed: dict[str, Any] = {}
    for key, member in value.items():
        # A key without a map of its own is read as an additionalProperties entry. A declared
        # property with no renames inside gets that map too, which matters only when both exist.
        member_map = nested[key] if key in nested else extra
        renamed[str(keys.get(key, key))] = rename_to_wire(member, member_map)
    return renamed
