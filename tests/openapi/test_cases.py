"""Compiler behaviour on the field-failure cases: one test per kind of fault."""

from __future__ import annotations

import json
import re
import time

import pytest
from jsonschema import Draft202012Validator

from cast_gateway.openapi import SpecBundle, SpecError, compile_spec
from cast_gateway.openapi.loader import parse_document
from cast_gateway.request.builder import build_request

from corpus import check_schema, compile_case

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


def _tools(compiled):
    return {tool.name: tool for tool in compiled.tools}


def _spec(text: str, name: str = "spec.yaml"):
    return compile_spec(SpecBundle.single(name, text.encode()))


def test_recursive_refs_compile_quickly():
    start = time.perf_counter()
    compiled = compile_case("C01.yaml")
    assert time.perf_counter() - start < 1.0
    tools = _tools(compiled)
    assert set(tools) == {"createFolder", "search"}
    folder = tools["createFolder"].input_schema
    assert folder["required"] == ["name"]
    assert folder["properties"]["parent"]["type"] == "object"
    assert "recursive" in folder["properties"]["parent"]["description"]
    assert folder["properties"]["children"]["items"]["type"] == "object"
    text = json.dumps([tool.input_schema for tool in compiled.tools])
    assert "$ref" not in text
    assert "#/components/" not in text
    for tool in compiled.tools:
        check_schema(tool.input_schema)


def test_bundle_refs_resolve_against_their_file():
    compiled = compile_case("C02.yaml", "C02-shared.yaml")
    tools = _tools(compiled)
    create = tools["createItem"].input_schema
    assert create["required"] == ["label"]
    assert create["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}


def test_remote_ref_skips_operation_with_warning():
    compiled = compile_case("C02.yaml", "C02-shared.yaml")
    assert "listItems" not in _tools(compiled)
    messages = [str(warning) for warning in compiled.warnings]
    assert any("https://schemas.example.test/common.yaml" in message for message in messages)
    assert any(warning.pointer == "/paths/~1items/get" for warning in compiled.warnings)


def test_missing_bundle_file_fails_whole_spec():
    with pytest.raises(SpecError, match="C02-shared.yaml"):
        compile_case("C02.yaml")


def test_component_refs_keep_parameter_types():
    tool = compile_case("C03.yaml").tools[0]
    assert tool.name == "createTask"
    schema = tool.input_schema
    assert schema["properties"]["projectId"]["type"] == "integer"
    assert schema["properties"]["dryRun"] == {"type": "boolean"}
    assert set(schema["required"]) == {"projectId", "title"}
    assert tool.body.properties == {"title": "title", "priority": "priority"}
    assert [(p.name, p.location) for p in tool.parameters] == [("projectId", "path"), ("dryRun", "query")]


def test_yaml_1_2_scalars_stay_strings():
    compiled = compile_case("C04.yaml")
    assert compiled.version == "1.10"
    tool = compiled.tools[0]
    properties = tool.input_schema["properties"]
    assert properties["code"]["enum"] == ["GB", "NO", "SE", "FI"]
    assert properties["open"]["enum"] == ["on", "off", "auto"]
    assert properties["since"]["default"] == "2024-01-01"
    assert properties["postcode"].get("examples", ["01234"]) == ["01234"]
    assert properties["window"]["description"] == "opening window as h:mm"
    assert tool.input_schema["required"] == ["code"]
    assert set(tool.output_schema["properties"]) == {"y", "n"}
    json.dumps(tool.input_schema)


def test_yaml_loader_core_schema_values():
    data = parse_document("x.yaml", b"a: [NO, on, 1:30, 2024-01-01, 0o17, 0x1F, ~, True, 12]\n200: ok\n")
    assert data["a"] == ["NO", "on", "1:30", "2024-01-01", 15, 31, None, True, 12]
    assert list(data) == ["a", "200"]


def test_yaml_anchors_and_merge_keys():
    data = parse_document("x.yaml", b"base: &b {type: string, maxLength: 3}\nuse: {<<: *b, maxLength: 5}\n")
    assert data["use"] == {"type": "string", "maxLength": 5}


def test_yaml_alias_bomb_rejected():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    with pytest.raises(SpecError, match="aliases expand"):
        parse_document("bomb.yaml", "\n".join(lines).encode())


def test_spec_size_limit_is_a_setting():
    with pytest.raises(SpecError, match="over the limit"):
        compile_spec(SpecBundle.single("big.yaml", b"openapi: 3.0.0\n" + b"#" * 100), max_spec_bytes=50)


def test_long_operation_ids_shortened_with_hash():
    first = [tool.name for tool in compile_case("C07.yaml").tools]
    second = [tool.name for tool in compile_case("C07.yaml").tools]
    assert first == second
    assert len(set(first)) == 3
    assert all(NAME.match(name) for name in first)
    tools = compile_case("C07.yaml").tools
    assert all(tool.operation_id for tool in tools)


def test_prefix_budget_shortens_names():
    names = [tool.name for tool in compile_case("C07.yaml", prefix_budget=14).tools]
    assert all(len(name) <= 50 for name in names)
    assert len(set(names)) == 3


def test_unusable_characters_in_ids_sanitised():
    names = [tool.name for tool in compile_case("C08.yaml").tools]
    assert names[:4] == ["restartNode_jsApp", "users_getCurrent", "Get_user_profile", "list-items_v2"]
    assert len(set(names)) == 6
    assert all(NAME.match(name) for name in names)


def test_missing_ids_use_method_path():
    names = [tool.name for tool in compile_case("C09.yaml").tools]
    assert names == ["get_root", "get_users", "post_users", "get_users_userId", "delete_users_userId", "get_users_userId_avatar"]


def test_duplicate_ids_get_suffixes_and_warnings():
    compiled = compile_case("C10.yaml")
    names = [tool.name for tool in compiled.tools]
    assert len(set(names)) == 6
    assert "getReport_2" in names
    assert "export_create_2" in names
    assert len([w for w in compiled.warnings if "already used" in w.message]) >= 2
    by_name = _tools(compiled)
    assert by_name["getReport"].path == "/reports"
    assert by_name["getReport_2"].path == "/reports/{reportId}"


def test_path_item_parameters_overridden_by_operation():
    tools = _tools(compile_case("C11.yaml"))
    assert set(tools) == {"listLabels", "createLabel"}
    listing = tools["listLabels"].input_schema
    assert listing["properties"]["limit"]["maximum"] == 20
    headers = [key for key in listing["properties"] if key.lower() == "x-trace-id"]
    assert headers == ["x-trace-id"]
    assert "x-trace-id" in listing["required"]
    create = tools["createLabel"].input_schema
    assert create["properties"]["limit"]["maximum"] == 100
    assert "X-Trace-Id" not in create.get("required", [])
    assert set(create["required"]) == {"boardId", "name"}


def test_same_name_in_several_locations_suffixed():
    tools = _tools(compile_case("C12.yaml"))
    replace = tools["replaceAccount"]
    assert set(replace.input_schema["properties"]) == {"id__path", "id", "displayName"}
    assert [p.argument for p in replace.parameters] == ["id__path"]
    assert replace.body.properties == {"id": "id", "displayName": "displayName"}
    record = tools["getRecord"]
    assert {(p.argument, p.name, p.location) for p in record.parameters} == {("id__path", "id", "path"), ("id__query", "id", "query")}
    codes = tools["setCodes"]
    assert codes.body.argument == "body"
    assert codes.input_schema["properties"]["body"]["type"] == "array"
    assert [p.argument for p in codes.parameters] == ["codes"]


def test_parameter_style_defaults():
    tool = _spec(
        """
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /things/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: tags, in: query, schema: {type: array, items: {type: string}}}
        - {name: ids, in: query, explode: false, schema: {type: array, items: {type: string}}}
        - {name: pipes, in: query, style: pipeDelimited, schema: {type: array, items: {type: string}}}
        - {name: f, in: query, style: deepObject, schema: {type: object}}
        - {name: X-Flags, in: header, schema: {type: array, items: {type: string}}}
        - {name: Accept, in: header, schema: {type: string}}
        - {name: session, in: cookie, schema: {type: string}}
      responses: {'200': {description: ok}}
"""
    ).tools[0]
    styles = {p.name: (p.style, p.explode) for p in tool.parameters}
    assert styles == {
        "id": ("simple", False),
        "tags": ("form", True),
        "ids": ("form", False),
        "pipes": ("pipeDelimited", False),
        "f": ("deepObject", False),
        "X-Flags": ("simple", False),
        "session": ("form", True),
    }
    assert "Accept" not in tool.input_schema["properties"]


def test_parameter_with_default_not_required():
    tools = _tools(compile_case("C19.yaml"))
    events = tools["listEvents"]
    schema = events.input_schema
    assert "limit" not in schema.get("required", [])
    assert schema["properties"]["limit"]["default"] == 50
    assert schema["properties"]["limit"]["type"] == "integer"
    assert schema["properties"]["includeDeleted"]["default"] is False
    assert "includeDeleted" not in schema.get("required", [])
    check_schema(schema)
    Draft202012Validator(schema).validate({})


def test_required_default_still_sent_by_builder():
    events = _tools(compile_case("C19.yaml"))["listEvents"]
    limit = next(parameter for parameter in events.parameters if parameter.name == "limit")
    assert limit.required is True
    assert limit.schema["default"] == 50
    assert build_request(events, {}, "https://api.example.test").url == "https://api.example.test/events?limit=50"
    assert build_request(events, {"limit": 10}, "https://api.example.test").url == "https://api.example.test/events?limit=10"


def test_parameters_without_default_stay_required():
    tools = _tools(compile_case("C19.yaml"))
    assert tools["setFeature"].input_schema["required"] == ["name", "enabled"]
    assert "default" not in tools["listEvents"].input_schema["properties"]["verbose"]


def test_swagger2_collection_formats():
    compiled = _spec(
        """
swagger: '2.0'
info: {title: t, version: '1'}
host: api.example.test
basePath: /v2
schemes: [https]
paths:
  /search:
    get:
      operationId: search
      parameters:
        - {name: fields, in: query, type: array, items: {type: string}}
        - {name: tag, in: query, type: array, collectionFormat: multi, items: {type: string}}
        - {name: ids, in: query, type: array, collectionFormat: pipes, items: {type: integer}}
        - {name: words, in: query, type: array, collectionFormat: ssv, items: {type: string}}
        - {name: cols, in: query, type: array, collectionFormat: tsv, items: {type: string}}
        - {name: X-Flags, in: header, type: array, items: {type: string}}
      responses: {'200': {description: ok}}
"""
    )
    assert compiled.servers == ("https://api.example.test/v2",)
    styles = {p.name: (p.style, p.explode) for p in compiled.tools[0].parameters}
    assert styles == {
        "fields": ("form", False),
        "tag": ("form", True),
        "ids": ("pipeDelimited", False),
        "words": ("spaceDelimited", False),
        "cols": ("tabDelimited", False),
        "X-Flags": ("simple", False),
    }
    assert compiled.tools[0].input_schema["properties"]["ids"]["items"] == {"type": "integer"}


def test_swagger2_body_and_form_data():
    compiled = _spec(
        """
swagger: '2.0'
info: {title: t, version: '1'}
paths:
  /pets:
    post:
      operationId: addPet
      parameters:
        - {name: pet, in: body, required: true, schema: {$ref: '#/definitions/Pet'}}
      responses: {'200': {description: ok, schema: {$ref: '#/definitions/Pet'}}}
  /pets/{id}/photo:
    post:
      operationId: upload
      consumes: [multipart/form-data]
      parameters:
        - {name: id, in: path, required: true, type: integer}
        - {name: file, in: formData, required: true, type: file}
        - {name: note, in: formData, type: string}
      responses: {'200': {description: ok}}
definitions:
  Pet: {type: object, required: [name], properties: {name: {type: string}}}
"""
    )
    assert compiled.servers == ("/",)
    tools = _tools(compiled)
    assert tools["addPet"].body.kind == "json"
    assert tools["addPet"].input_schema["required"] == ["name"]
    assert tools["addPet"].output_schema["properties"]["name"] == {"type": "string"}
    upload = tools["upload"]
    assert upload.body.kind == "multipart"
    assert upload.body.files == ("file",)
    assert upload.input_schema["properties"]["file"]["contentEncoding"] == "base64"
    assert upload.input_schema["properties"]["id"]["type"] == "integer"


def test_non_object_bodies_are_one_argument():
    tools = _tools(compile_case("C26.yaml"))
    for name in ("bulkTag", "setNoteText", "setCounter", "setFlag", "setLabels"):
        assert tools[name].body.argument == "body", name
        assert "body" in tools[name].input_schema["required"], name
    assert tools["setCounter"].input_schema["properties"]["body"]["type"] == "integer"
    assert tools["setLabels"].input_schema["properties"]["body"]["additionalProperties"] == {"type": "string"}


def test_root_all_of_merged_into_arguments():
    tool = compile_case("C28.yaml").tools[0]
    schema = tool.input_schema
    assert not {"allOf", "oneOf", "anyOf"} & set(schema)
    assert set(schema["properties"]) == {"accountId", "name", "status", "program_id", "budget_micros"}
    assert set(schema["required"]) == {"accountId", "name", "program_id"}
    assert set(tool.body.properties) == {"name", "status", "program_id", "budget_micros"}


def test_read_only_and_write_only_properties():
    tools = _tools(compile_case("C30.yaml"))
    create = tools["createProject"].input_schema
    assert set(create["properties"]) == {"name", "webhook_secret"}
    assert create["required"] == ["name"]
    output = tools["getProject"].output_schema
    assert "webhook_secret" not in output["properties"]
    assert {"id", "created_at"} <= set(output["properties"])


def test_nullable_becomes_type_arrays():
    tool = compile_case("C31.yaml").tools[0]
    properties = tool.input_schema["properties"]
    assert properties["price"] == {"type": ["number", "null"]}
    assert properties["status"]["enum"] == ["open", "closed", None]
    assert "null" in json.dumps(properties["category"])
    assert properties["nullable"] == {"type": "boolean"}
    assert '"nullable": true' not in json.dumps(tool.input_schema)


def test_acyclic_refs_fully_inlined():
    tool = compile_case("C33.yaml").tools[0]
    text = json.dumps(tool.input_schema)
    for marker in ("$ref", "$defs", "definitions", "#/components/"):
        assert marker not in text
    properties = tool.input_schema["properties"]
    assert properties["parent"] == {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    link = properties["children"]["items"]["properties"]["text"]["items"]["properties"]["link"]
    assert link["properties"]["id"] == {"type": "string"}


def test_rejected_schema_shapes_repaired():
    tools = _tools(compile_case("C34.yaml"))
    assert tools["findPetsByTags"].input_schema["properties"]["tags"] == {"type": "array", "items": {}}
    assert tools["health"].input_schema == {"type": "object", "properties": {}}
    pet = tools["addPet"].input_schema["properties"]
    assert pet["size"]["enum"] == ["small", "large"]
    assert pet["weight"] == {"type": "number", "exclusiveMinimum": 0}
    assert pet["name"] == {"type": "string", "examples": ["Rex"]}
    for tool in tools.values():
        check_schema(tool.input_schema)


def test_property_keys_renamed_with_wire_names_kept():
    tool = _spec(
        """
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /x:
    post:
      operationId: x
      parameters:
        - {name: 'filter[status]', in: query, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                '@type': {type: string}
                meta: {type: object, properties: {'a.b': {type: string}}}
      responses: {'200': {description: ok}}
"""
    ).tools[0]
    keys = list(tool.input_schema["properties"])
    assert all(NAME.match(key) for key in keys)
    wire = {value: key for key, value in tool.body.properties.items()}
    assert "@type" in wire
    nested = tool.body.names["meta"]["keys"]
    assert list(nested.values()) == ["a.b"]
    parameter = tool.parameters[0]
    assert parameter.name == "filter[status]"
    assert NAME.match(parameter.argument)


def test_relative_server_url_kept_relative():
    compiled = compile_case("C36.yaml")
    assert compiled.servers == ("/api/v3",)
    assert [tool.path for tool in compiled.tools] == ["/pet/{petId}", "/store/inventory"]


def test_server_variables_filled_from_defaults():
    compiled = compile_spec(SpecBundle.single("spec.yaml", b"""
openapi: 3.0.3
info: {title: t, version: '1'}
servers:
  - url: https://{region}.example.test/{base}
    variables:
      region: {default: eu, enum: [eu, us]}
      base: {enum: [v1, v2]}
paths:
  /a:
    servers: [{url: https://other.example.test}]
    get: {operationId: a, responses: {'200': {description: ok}}}
"""), allowed_server_hosts=["other.example.test"])
    assert compiled.servers == ("https://eu.example.test/v1",)
    assert compiled.tools[0].servers == ("https://other.example.test",)


def test_security_inheritance_and_opt_out():
    tools = _tools(compile_case("C39.yaml"))
    assert tools["inherits"].security == (("apiKeyHeader",),)
    assert tools["publicOp"].security == ()
    assert tools["bearerOnly"].security == (("bearerAuth",),)
    assert tools["optionalAuth"].security == ((), ("apiKeyHeader",))
    for tool in tools.values():
        assert "X-API-Key" not in tool.input_schema["properties"]


def test_security_and_or_and_scopes():
    compiled = compile_case("C40.yaml")
    tools = _tools(compiled)
    assert tools["listReports"].security == (("bearerAuth", "tenantKey"),)
    assert tools["createReport"].security == (("oauthCC",), ("basicAuth",))
    assert tools["exportReport"].scopes == {"oauthCC": ("reports:read",)}
    oauth = compiled.security_schemes["oauthCC"]
    assert oauth.token_url == "https://auth.example.test/oauth/token"
    assert compiled.security_schemes["basicAuth"].http_scheme == "basic"


def test_credential_cookie_not_an_argument():
    tool = compile_case("C21.yaml").tools[0]
    assert set(tool.input_schema["properties"]) == {"theme", "panel_ids", "prefs"}


def test_ignored_headers_not_arguments():
    tool = compile_case("C20.yaml").tools[0]
    properties = set(tool.input_schema["properties"])
    assert not {"Accept", "Content-Type", "Authorization"} & properties
    assert tool.accept == "application/json"


def test_hints_from_method_and_summary():
    tools = _tools(compile_case("C44.yaml"))
    get = tools["getItem"].hints
    assert (get.read_only, get.idempotent) == (True, True)
    delete = tools["deleteItem"].hints
    assert (delete.destructive, delete.idempotent, delete.read_only) == (True, True, False)
    assert tools["startJob"].hints.idempotent is False
    assert tools["getItemNotes"].output_schema is None
    assert tools["getItem"].output_schema["required"] == ["id", "price"]


def test_broken_spot_costs_only_its_operation():
    compiled = _spec(
        """
openapi: 3.0.3
info: {title: t, version: '1'}
security: [{missing: null}]
paths:
  /good:
    get:
      operationId: good
      parameters: [{name: q, in: query, schema: {type: string, enum: []}}]
      responses: {200: {description: ok}}
  /bad:
    get:
      operationId: bad
      parameters: [{$ref: '#/components/parameters/Nope'}]
      responses: {'200': {description: ok}}
"""
    )
    assert [tool.name for tool in compiled.tools] == ["good"]
    assert compiled.tools[0].input_schema["properties"]["q"] == {"type": "string"}
    assert [warning.pointer for warning in compiled.warnings] == ["/security", "/paths/~1bad/get"]
    assert "'missing'" in compiled.warnings[0].message
    assert "Nope" in compiled.warnings[1].message


def test_invalid_document_raises_spec_error_with_location():
    with pytest.raises(SpecError, match=r"spec 'broken.yaml' line 3"):
        _spec("openapi: 3.0.0\npaths: [\n", name="broken.yaml")
    with pytest.raises(SpecError, match="at /"):
        _spec("just: text\n")


def test_openapi_3_2_read_as_3_1():
    compiled = _spec(
        """
openapi: 3.2.0
info: {title: t, version: '1'}
paths:
  /a:
    query:
      operationId: searchA
      responses: {'200': {description: ok}}
"""
    )
    assert [(tool.name, tool.method) for tool in compiled.tools] == [("searchA", "QUERY")]
