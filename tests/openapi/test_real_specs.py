"""Every spec in the shared corpus compiles into tools that clients accept."""

from __future__ import annotations

import json
import re

import pytest

from jsonschema.exceptions import ValidationError

from cast_gateway.openapi import SpecError

from corpus import SPEC_FILES, check_schema, compiled_spec, schema_nodes

@pytest.fixture(params=SPEC_FILES, ids=[p.name for p in SPEC_FILES])
def real_spec(request):
    return request.param, compiled_spec(request.param)


NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
# Schema objects that passed the per-node checks, shared by every spec's run of the test.
_VISITED_NODES: dict[int, object] = {}
OPENAPI_ONLY = {"nullable", "discriminator", "xml", "externalDocs", "example"}


def test_corpus_is_present():
    assert len(SPEC_FILES) >= 30


def test_spec_compiles_without_error(real_spec):
    path, compiled = real_spec
    assert not isinstance(compiled, SpecError), str(compiled)


def test_spec_with_operations_yields_tools(real_spec):
    path, compiled = real_spec
    document = path.read_text(encoding="utf-8")
    has_paths = '"paths"' in document or "\npaths:" in document
    if isinstance(compiled, SpecError):
        raise AssertionError(str(compiled))
    operations = sum(1 for _ in compiled.tools) + sum(1 for w in compiled.warnings if "skipped" in w.message)
    if has_paths and operations:
        assert compiled.tools


def test_tool_names_valid_and_unique(real_spec):
    _, compiled = real_spec
    assert not isinstance(compiled, SpecError), str(compiled)
    names = [tool.name for tool in compiled.tools]
    assert all(NAME.match(name) for name in names), [n for n in names if not NAME.match(n)]
    assert len(set(names)) == len(names)


def test_input_schemas_accepted_by_clients(real_spec):
    _, compiled = real_spec
    assert not isinstance(compiled, SpecError), str(compiled)
    for tool in compiled.tools:
        schema = tool.input_schema
        assert schema["type"] == "object", tool.name
        assert isinstance(schema["properties"], dict), tool.name
        assert not {"oneOf", "anyOf", "allOf"} & set(schema), tool.name
        check_schema(schema)

        for node in schema_nodes(schema, _VISITED_NODES):
            assert "$ref" not in node, tool.name
            assert not OPENAPI_ONLY & set(node), (tool.name, OPENAPI_ONLY & set(node))
            assert not any(str(key).startswith("x-") for key in node), tool.name
            kind = node.get("type")
            if kind == "array" or (isinstance(kind, list) and "array" in kind):
                assert "items" in node, tool.name
            for key in node.get("properties", {}):
                assert NAME.match(key), (tool.name, key)



def test_output_schemas_are_objects(real_spec):
    _, compiled = real_spec
    assert not isinstance(compiled, SpecError), str(compiled)
    for tool in compiled.tools:
        if tool.output_schema is not None:
            assert tool.output_schema["type"] == "object", tool.name
            check_schema(tool.output_schema)


def test_tools_list_serialises(real_spec):
    _, compiled = real_spec
    assert not isinstance(compiled, SpecError), str(compiled)
    listed = [
        {"name": t.name, "description": t.description, "inputSchema": t.input_schema, "outputSchema": t.output_schema}
        for t in compiled.tools
    ]
    assert json.loads(json.dumps(listed))[0:1] == listed[0:1]


def test_parameters_keep_their_type(real_spec):
    _, compiled = real_spec
    assert not isinstance(compiled, SpecError), str(compiled)
    for tool in compiled.tools:
        for parameter in tool.parameters:
            assert tool.input_schema["properties"][parameter.argument] is parameter.schema


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"minimum": "0"}}},
        {"type": "object", "properties": {"a": {"description": 5}}},
        {"type": "object", "properties": {"a": {"enum": "x"}}},
        {"type": "object", "properties": {"a": {"pattern": "("}}},
        {"type": "array", "items": {"type": "text"}},
    ],
)
def test_schema_check_still_rejects_invalid(schema):
    with pytest.raises(ValidationError):
        check_schema(schema)
