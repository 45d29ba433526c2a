"""Helpers for the compiler tests: the shared specs and cases, each real spec compiled once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from cast_gateway.openapi import CompiledSpec, SpecBundle, SpecError, compile_spec

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SPECS_DIR = SHARED / "specs"
CASES_DIR = SHARED / "cases"
SPEC_FILES = sorted(p for p in SPECS_DIR.glob("*") if p.suffix in (".json", ".yaml", ".yml"))

_compiled: dict[str, CompiledSpec | SpecError] = {}


def compiled_spec(path: Path) -> CompiledSpec | SpecError:
    if path.name not in _compiled:
        try:
            _compiled[path.name] = compile_spec(SpecBundle.single(path.name, path.read_bytes()))
        except SpecError as exc:
            _compiled[path.name] = exc
    return _compiled[path.name]


def compile_case(name: str, *extra: str, prefix_budget: int = 0) -> CompiledSpec:
    files = {name: (CASES_DIR / name).read_bytes()}
    for other in extra:
        files[other] = (CASES_DIR / other).read_bytes()
    return compile_spec(SpecBundle(main=name, files=files), prefix_budget=prefix_budget)


_MAP_KEYWORDS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_ONE_KEYWORDS = (
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf", "prefixItems")


def schema_nodes(schema: Any, visited: dict[int, Any] | None = None) -> list[dict[str, Any]]:
    """Return every distinct schema object in a schema (shared subschemas once).

    With `visited`, nodes already in it are skipped together with their subschemas, and the
    returned ones are added. A caller that checks every node uses it to check a subschema
    shared by many tools once, because a check of one node does not depend on the tool.
    """
    found: list[dict[str, Any]] = []
    seen: dict[int, Any] = {} if visited is None else visited
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        # Keeping a reference keeps the id from being reused by another object.
        seen[id(node)] = node
        found.append(node)
        for key in _MAP_KEYWORDS:
            if isinstance(node.get(key), dict):
                stack.extend(node[key].values())
        for key in _ONE_KEYWORDS:
            stack.append(node.get(key))
        for key in _LIST_KEYWORDS:
            if isinstance(node.get(key), list):
                stack.extend(node[key])
    return found


_checked: dict[int, dict[str, Any]] = {}
_checked_texts: set[str] = set()
# What Draft202012Validator.check_schema does, built once instead of per call.
_META_VALIDATOR = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)


# Keywords whose value the 2020-12 meta-schema checks only for its JSON type: `description`
# and `title` must be strings, `enum` and `examples` arrays with any items, and `default`
# and `const` may be anything. Blanking such values keeps the result of the check the same
# and lets schemas that differ only in their texts share one meta-schema validation.
_BLANK_STRINGS = ("description", "title")
_BLANK_ARRAYS = ("enum", "examples")
_BLANK_ANY = ("default", "const")


def _unchecked_nodes(schema: Any) -> list[dict[str, Any]]:
    """Return the schema objects not checked yet; a checked node's subschemas were checked with it."""
    found: list[dict[str, Any]] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in _checked:
            continue
        # Keeping a reference keeps the id from being reused by another object.
        _checked[id(node)] = node
        found.append(node)
        for key in _MAP_KEYWORDS:
            if isinstance(node.get(key), dict):
                stack.extend(node[key].values())
        for key in _ONE_KEYWORDS:
            stack.append(node.get(key))
        for key in _LIST_KEYWORDS:
            if isinstance(node.get(key), list):
                stack.extend(node[key])
    return found


def check_schema(schema: Any) -> None:
    """Run Draft202012Validator.check_schema on each distinct schema object once.

    The 2020-12 meta-schema checks each schema object's own keywords and recurses into
    subschemas, so checking every node with its subschemas replaced by `{}` is the same
    check; the compiler shares subschemas between tools, which makes this much faster.
    """
    for node in _unchecked_nodes(schema):
        shallow = dict(node)
        for key in _MAP_KEYWORDS:
            if isinstance(shallow.get(key), dict):
                shallow[key] = {name: {} for name in shallow[key]}
        for key in _ONE_KEYWORDS:
            if isinstance(shallow.get(key), dict):
                shallow[key] = {}
        for key in _LIST_KEYWORDS:
            if isinstance(shallow.get(key), list):
                shallow[key] = [{} if isinstance(item, dict) else item for item in shallow[key]]
        for key in _BLANK_STRINGS:
            if isinstance(shallow.get(key), str):
                shallow[key] = ""
        for key in _BLANK_ARRAYS:
            if isinstance(shallow.get(key), list):
                shallow[key] = []
        for key in _BLANK_ANY:
            if key in shallow:
                shallow[key] = None
        text = json.dumps(shallow, sort_keys=True, default=repr)
        if text not in _checked_texts:
            _META_VALIDATOR.validate(shallow)
            _checked_texts.add(text)
