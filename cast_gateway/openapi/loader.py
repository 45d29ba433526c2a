"""Parse one spec file (JSON or YAML) into plain Python data with YAML 1.2 core-schema rules.

OpenAPI requires YAML 1.2, while PyYAML's default resolvers implement YAML 1.1, which turns
`NO` and `on` into booleans, `01234` into an octal number, `1:30` into 90 and `2024-01-01`
into a date. This module uses libyaml (through PyYAML's C parser) only to build the node
graph, resolves plain scalars with the YAML 1.2 core schema itself, and converts nodes to
data with its own walker, which bounds alias expansion and rejects recursive aliases.

JSON files go through orjson first, because that is about a hundred times faster than any
YAML parser and every JSON text is also YAML 1.2.

Numbers whose source text differs from their canonical form (`1.10`, `01234`, `0x1F`)
are returned as `SourceInt` / `SourceFloat`, which remember the text, so that the compiler
can keep `info.version: 1.10` as `"1.10"` and an unquoted example of a string schema as
written. `plain()` turns such values back into built-in types.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import SpecError

__all__ = [
    "MAX_SPEC_BYTES",
    "MAX_ALIAS_EXPANSION",
    "SourceInt",
    "SourceFloat",
    "parse_document",
    "plain",
    "source_text",
]

MAX_SPEC_BYTES = 16 * 1024 * 1024
"""Default upload limit for the whole bundle, in bytes."""

MAX_ALIAS_EXPANSION = 1_000_000
"""Values that aliases may add to a document. Bounds "billion laughs" documents."""

_INT10 = re.compile(r"^[-+]?[0-9]+$")
_INT8 = re.compile(r"^0o[0-7]+$")
_INT16 = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class SourceInt(int):
    """An integer whose YAML source text is not its canonical form (`01234`, `0x1F`)."""

    source: str

    def __new__(cls, value: int, source: str) -> SourceInt:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


class SourceFloat(float):
    """A float whose YAML source text is not its canonical form (`1.10`, `1e3`)."""

    source: str

    def __new__(cls, value: float, source: str) -> SourceFloat:
        obj = super().__new__(cls, value)
        obj.source = source
        return obj


def source_text(value: Any) -> str:
    """Return the text a scalar was written as: the YAML source for numbers that remember it."""
    if isinstance(value, (SourceInt, SourceFloat)):
        return value.source
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def plain(value: Any) -> Any:
    """Return a deep copy built only of dict, list, str, int, float, bool and None."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, SourceInt):
        return int(value)
    if isinstance(value, SourceFloat):
        return float(value)
    return value


class _CoreResolver(yaml.resolver.BaseResolver):
    """Tags every plain scalar as a string; `_Walker` applies the YAML 1.2 core schema.

    Resolving in the walker instead of through PyYAML's implicit resolvers keeps the YAML 1.1
    tables (which include `yes`, `on`, sexagesimal numbers and timestamps) out of the way.
    """

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:  # type: ignore[override]
        if kind is ScalarNode:
            if implicit[0] and value == "<<":
                return _MERGE_TAG
            return "?" if implicit[0] else _STR_TAG
        if kind is SequenceNode:
            return "tag:yaml.org,2002:seq"
        return "tag:yaml.org,2002:map"


if getattr(yaml, "__with_libyaml__", False):
    _Parser: Any = yaml._yaml.CParser
else:  # pragma: no cover - libyaml ships in PyYAML's wheels
    # NOTE: the pure-Python parser is about ten times slower on multi-megabyte specs.
    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer):  # type: ignore[no-redef]
        def __init__(self, stream: Any) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)


class _Composer(_Parser, _CoreResolver):  # type: ignore[misc, valid-type]
    def __init__(self, stream: Any) -> None:
        _Parser.__init__(self, stream)
        _CoreResolver.__init__(self)


_CONSTANTS: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
}
_NOT_FOUND = object()
# Every YAML 1.2 core-schema number starts with one of these characters.
_NUMBER_START = frozenset("+-.0123456789")


def _resolve_plain(text: str) -> Any:
    # Most plain scalars of a spec are words (`string`, `object`, descriptions), so the
    # constant table and the first character settle them before any regular expression.
    constant = _CONSTANTS.get(text, _NOT_FOUND)
    if constant is not _NOT_FOUND:
        return constant
    if text[0] not in _NUMBER_START:
        return text
    if _INT10.match(text):
        number = int(text)
        return number if str(number) == text else SourceInt(number, text)
    if _INT8.match(text):
        return SourceInt(int(text[2:], 8), text)
    if _INT16.match(text):
        return SourceInt(int(text[2:], 16), text)
    if _FLOAT.match(text):
        real = float(text)
        return real if repr(real) == text else SourceFloat(real, text)
    if _INF.match(text):
        return SourceFloat(float("-inf") if text[0] == "-" else float("inf"), text)
    if _NAN.match(text):
        return SourceFloat(float("nan"), text)
    return text


class _Walker:
    """Converts a composed node graph into data, copying aliased nodes within a budget."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.alias_budget = MAX_ALIAS_EXPANSION
        self.alias_depth = 0

    def fail(self, node: Node, problem: str) -> SpecError:
        mark = node.start_mark
        return SpecError(f"spec {self.name!r} line {mark.line + 1} column {mark.column + 1}: {problem}")

    def spend(self, node: Node) -> None:
        self.alias_budget -= 1
        if self.alias_budget < 0:
            raise self.fail(node, f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION} values; reduce anchor reuse")

    def convert(self, node: Node) -> Any:
        if node.__class__ is ScalarNode:
            # Scalars are not tracked as alias targets: an alias of a scalar adds one value,
            # which the document's own size bounds. Inside an aliased collection they count.
            if self.alias_depth:
                self.spend(node)
            return self.scalar(node)
        key = id(node)
        if key in self.active:
            raise self.fail(node, "recursive YAML alias (an anchor used inside itself); expand it by hand")
        aliased = key in self.seen
        self.seen.add(key)
        if aliased:
            self.alias_depth += 1
        if self.alias_depth:
            self.spend(node)
        self.active.add(key)
        try:
            if node.__class__ is SequenceNode:
                return [self.convert(item) for item in node.value]
            return self.mapping(node)
        finally:
            self.active.discard(key)
            if aliased:
                self.alias_depth -= 1

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == "?":
            return _resolve_plain(node.value)
        if node.tag == _STR_TAG or node.tag.startswith("!"):
            return node.value
        # Explicit standard tags such as `!!int 3`; anything else stays text.
        text = node.value
        if node.tag.endswith((":int", ":float", ":bool", ":null")):
            return _resolve_plain(text)
        return text

    def key(self, node: Node) -> str:
        if node.__class__ is not ScalarNode:
            raise self.fail(node, "mapping key is a collection; OpenAPI keys must be plain strings")
        # Keys keep their source text: `200:` is the response code "200", not the number.
        return node.value

    def mapping(self, node: Node) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    data = self.convert(source)
                    if not isinstance(data, dict):
                        raise self.fail(source, "merge key '<<' needs a mapping or a list of mappings")
                    for merged_key, merged_value in data.items():
                        merged.setdefault(merged_key, merged_value)
                continue
            if value_node.__class__ is ScalarNode and value_node.tag == "?" and not self.alias_depth:
                # The common case, a plain scalar value, without the calls of `convert`.
                result[self.key(key_node)] = _resolve_plain(value_node.value)
            else:
                result[self.key(key_node)] = self.convert(value_node)
        for merged_key, merged_value in merged.items():
            result.setdefault(merged_key, merged_value)
        return result


def _looks_like_json(name: str, data: bytes) -> bool:
    if name.lower().endswith(".json"):
        return True
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def _json_error(name: str, exc: orjson.JSONDecodeError) -> SpecError:
    return SpecError(f"spec {name!r} line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}")


def parse_document(name: str, data: bytes) -> Any:
    """Parse one file of a bundle. Raises SpecError naming the file and line on a syntax error.

    A file named `*.json`, or one whose text starts with `{` or `[`, is read as JSON. When
    neither orjson nor the YAML parser reads it, the error is orjson's, with its line and
    column, because a YAML message about a JSON file misleads.
    """
    json_error: orjson.JSONDecodeError | None = None
    if _looks_like_json(name, data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            json_error = exc  # not strict JSON (a BOM, a trailing comma...): YAML may still read it.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"spec {name!r}: not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8") from exc
    composer = _Composer(text)
    try:
        root = composer.get_single_node()
    except yaml.MarkedYAMLError as exc:
        if json_error is not None:
            raise _json_error(name, json_error) from json_error
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise SpecError(f"spec {name!r}{where}: invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        if json_error is not None:
            raise _json_error(name, json_error) from json_error
        raise SpecError(f"spec {name!r}: invalid YAML: {exc}") from exc
    finally:
        composer.dispose()
    if root is None:
        raise SpecError(f"spec {name!r}: the file is empty")
    if json_error is not None and not isinstance(root, (MappingNode, SequenceNode)):
        # YAML reads almost any text as one plain scalar; for a JSON file that is a syntax error.
        raise _json_error(name, json_error) from json_error
    return _Walker(name).convert(root)
