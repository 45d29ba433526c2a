"""Errors and warnings that a new user reads: each names the value as written and the fix."""

from __future__ import annotations

import pytest

from cast_gateway.cli.main import main
from cast_gateway.openapi import SpecBundle, SpecError, compile_spec

SWAGGER_BROKEN_REF = b"""
swagger: '2.0'
info: {title: broken refs, version: '1'}
host: api.example.test
paths:
  /pets:
    post:
      operationId: addPet
      parameters:
        - {name: pet, in: body, required: true, schema: {$ref: '#/definitions/Pet'}}
        - {name: tags, in: query, type: array, items: {$ref: '#/definitions/Nowhere'}}
      responses:
        '200':
          description: ok
          schema:
            type: object
            properties:
              pet: {$ref: '#/definitions/Missing'}
  /owners:
    get:
      operationId: listOwners
      parameters:
        - {$ref: '#/parameters/Absent'}
      security:
        - nowhere: []
      responses:
        '200': {description: ok}
definitions:
  Pet:
    type: object
    properties:
      owner: {$ref: '#/definitions/Ownr'}
  Owner:
    type: object
"""


def _compile(name: str, data: bytes, **extra: bytes):
    return compile_spec(SpecBundle(main=name, files={name: data, **extra}))


def _messages(compiled) -> list[str]:
    return [str(warning) for warning in compiled.warnings]


def test_broken_json_file_reported_as_json():
    data = b'{\n  "openapi": "3.0.3",\n  "info": {"title": "t" "version": "1"}\n}\n'
    with pytest.raises(SpecError) as caught:
        _compile("api.json", data)
    message = str(caught.value)
    assert "invalid JSON" in message
    assert "YAML" not in message
    assert "line 3 column 25" in message


def test_json_text_named_yaml_reported_as_json():
    data = b'[\n  {"openapi": "3.0.3",,}\n]\n'
    with pytest.raises(SpecError) as caught:
        _compile("upload.yaml", data)
    message = str(caught.value)
    assert "invalid JSON" in message
    assert "line 2 column" in message


def test_json_file_without_json_text_reported_as_json():
    with pytest.raises(SpecError, match=r"'api.json' line 1 column 1: invalid JSON"):
        _compile("api.json", b"openapi 3.0.3 and nothing else\n")


def test_lenient_json_still_read_as_yaml():
    compiled = _compile("api.json", b'{"openapi": "3.0.3", "info": {"title": "t", "version": "1",}, "paths": {},}')
    assert compiled.title == "t"


def test_broken_yaml_still_reported_as_yaml():
    with pytest.raises(SpecError, match=r"line 3 column 1: invalid YAML"):
        _compile("api.yaml", b"openapi: 3.0.3\ninfo: [unclosed\n")


def test_swagger2_warnings_name_refs_as_written():
    compiled = _compile("pets.yaml", SWAGGER_BROKEN_REF)
    text = "\n".join(_messages(compiled))
    assert "#/definitions/Missing" in text
    assert "#/definitions/Ownr" in text
    assert "did you mean 'Owner'?" in text
    assert "#/parameters/Absent" in text
    assert "securityDefinitions" in text
    assert "components" not in text


def test_swagger2_warning_pointers_exist_in_user_file():
    compiled = _compile("pets.yaml", SWAGGER_BROKEN_REF)
    pointers = {warning.pointer for warning in compiled.warnings}
    assert "/paths/~1pets/post/responses/200/schema/properties/pet" in pointers
    assert "/paths/~1pets/post/parameters/1/items" in pointers
    assert "/definitions/Pet/properties/owner" in pointers
    assert not any(pointer.startswith("/components") for pointer in pointers)
    assert not any("requestBody" in pointer or "/content/" in pointer for pointer in pointers)


def test_swagger2_operation_kept_with_warnings():
    compiled = _compile("pets.yaml", SWAGGER_BROKEN_REF)
    assert [tool.name for tool in compiled.tools] == ["addPet"]
    skipped = [warning for warning in compiled.warnings if "skipped" in warning.message]
    assert [warning.pointer for warning in skipped] == ["/paths/~1owners/get"]


def test_missing_bundle_file_names_every_way_to_upload():
    data = b"""
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: 'common/shared.yaml#/Item'}
"""
    with pytest.raises(SpecError) as caught:
        _compile("api.yaml", data)
    message = str(caught.value)
    assert "\n" not in message
    assert "'common/shared.yaml'" in message
    assert "--spec-file common/shared.yaml" in message
    assert "'workspace create'" in message
    assert "extra FILE argument for 'tools preview'" in message
    assert "'files' map of the internal API" in message


def test_path_item_missing_file_fails_spec():
    data = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /items: {$ref: 'items.yaml'}\n"
    with pytest.raises(SpecError, match=r"at /paths/~1items: .*'items.yaml'.*--spec-file items.yaml"):
        _compile("api.yaml", data)


@pytest.mark.parametrize(
    ("header", "shown"),
    [("openapi: 4.0.0", "'4.0.0'"), ("openapi: 3.9.1", "'3.9.1'"), ("swagger: '1.2'", "'1.2'"), ("swagger: '2.5'", "'2.5'")],
)
def test_unsupported_version_lists_accepted_ones(header: str, shown: str):
    with pytest.raises(SpecError) as caught:
        _compile("api.yaml", f"{header}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n".encode())
    message = str(caught.value)
    assert shown in message
    assert "Swagger 2.0 and OpenAPI 3.0, 3.1 and 3.2 are accepted" in message


@pytest.mark.parametrize("header", ["openapi: 3.0.0", "openapi: '3.1'", "openapi: 3.2.0", "swagger: '2.0'", "swagger: 2.0"])
def test_supported_versions_accepted(header: str):
    compiled = _compile("api.yaml", f"{header}\ninfo: {{title: t, version: '1'}}\npaths: {{}}\n".encode())
    assert compiled.tools == ()


def test_tools_preview_prints_json_error(tmp_path, capsys):
    spec = tmp_path / "api.json"
    spec.write_bytes(b'{\n  "openapi": "3.0.3",\n  "paths": {\n}\n')
    status = main(["tools", "preview", str(spec)])
    err = capsys.readouterr().err
    assert status != 0
    assert "invalid JSON" in err
    assert "line 5 column 1" in err
    assert "YAML" not in err
