"""Swagger 2.0 to the OpenAPI 3.0 structure, so one compiler handles both.

- `host`, `basePath` and `schemes` become `servers` (https first; a spec without `host`
  gets a relative server URL that the request builder resolves against the workspace URL);
- `in: body` becomes a request body for each `consumes` media type; `formData` parameters
  become a form or multipart body whose properties are the parameters (`type: file` is a
  binary string, and makes the body multipart);
- other parameters get a `schema` built from their type keywords, and `collectionFormat`
  (default `csv`) becomes `style`/`explode`;
- `definitions`, `parameters`, `responses` and `securityDefinitions` are also placed under
  `components`. `$ref`s are left as written: the converted document keeps the same objects
  under their Swagger 2.0 keys too, so `#/definitions/Pet` resolves, and every warning
  names the pointer the user wrote;
- `Swagger2Document.original_pointer` maps a pointer into a converted part (a request body
  made from an `in: body` parameter, a parameter's new `schema`) back to the user's file.

NOTE: `$ref`s into other files of a Swagger 2.0 bundle are followed but not converted, so
a referenced file must hold schemas only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .loader import source_text
from .refs import pointer_join

__all__ = ["Swagger2Document", "convert_swagger2"]

_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
)
_COLLECTION_STYLES = {
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "tsv": ("tabDelimited", False),
    "multi": ("form", True),
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

# A pointer inside a message: one that starts a message or follows a space or quote.
_POINTER_IN_TEXT = re.compile(r"(?<![^\s'\"(])/(?:paths|parameters|responses|definitions|components)/[^\s'\",;)]*")


@dataclass(frozen=True)
class Swagger2Document:
    """A Swagger 2.0 document converted to OpenAPI 3.0, and the way back to its pointers.

    `pointers` maps a pointer of the converted document to the pointer in the user's file
    whose content it came from. A pointer below a mapped one keeps its remaining tokens.
    """

    document: dict[str, Any]
    pointers: dict[str, str] = field(default_factory=dict)

    def original_pointer(self, pointer: str) -> str:
        """Return the pointer in the user's file that a pointer of the converted document names."""
        prefix = pointer
        while prefix:
            original = self.pointers.get(prefix)
            if original is not None:
                return original + pointer[len(prefix) :]
            prefix = prefix.rsplit("/", 1)[0]
        return pointer

    def original_text(self, message: str) -> str:
        """Rewrite the converted pointers and names inside a message to the user's ones."""
        message = message.replace("components/securitySchemes", "securityDefinitions")
        return _POINTER_IN_TEXT.sub(lambda match: self.original_pointer(match.group(0)), message)


def _items_schema(items: Any) -> Any:
    if not isinstance(items, dict):
        return {}
    if "$ref" in items:
        return items
    schema = {key: items[key] for key in _SCHEMA_KEYS if key in items}
    if "items" in schema:
        schema["items"] = _items_schema(schema["items"])
    return schema


def _parameter_schema(parameter: dict[str, Any]) -> dict[str, Any]:
    schema = {key: parameter[key] for key in _SCHEMA_KEYS if key in parameter}
    if "items" in schema:
        schema["items"] = _items_schema(schema["items"])
    if schema.get("type") == "file":
        schema = {"type": "string", "format": "binary"}
    return schema


def _plain_parameter(parameter: dict[str, Any]) -> dict[str, Any]:
    converted: dict[str, Any] = {
        key: parameter[key] for key in ("name", "in", "description", "required", "deprecated") if key in parameter
    }
    converted["schema"] = _parameter_schema(parameter)
    if parameter.get("allowEmptyValue") is True:
        converted["allowEmptyValue"] = True
    if parameter.get("type") == "array":
        collection = parameter.get("collectionFormat", "csv")
        style, explode = _COLLECTION_STYLES.get(str(collection), (None, False))
        if style is None:  # csv, or a value Swagger does not define
            style = "form" if parameter.get("in") in ("query", "formData") else "simple"
        converted["style"] = style
        converted["explode"] = explode
    return converted


def _media_types(value: Any, fallback: list[str]) -> list[str]:
    if isinstance(value, list):
        kept = [str(item) for item in value if isinstance(item, str)]
        if kept:
            return kept
    return fallback


class _Converter:
    def __init__(self, document: dict[str, Any], problems: list[tuple[str, str]]) -> None:
        self.document = document
        self.problems = problems
        self.pointers: dict[str, str] = {}
        self.consumes = _media_types(document.get("consumes"), ["application/json"])
        self.produces = _media_types(document.get("produces"), ["application/json"])
        shared = document.get("parameters")
        self.shared_parameters = shared if isinstance(shared, dict) else {}

    def resolve_parameter(self, parameter: Any) -> Any:
        # Body and formData parameters become a request body, so shared ones must be inlined.
        if isinstance(parameter, dict) and isinstance(parameter.get("$ref"), str):
            ref = parameter["$ref"]
            if ref.startswith("#/parameters/"):
                target = self.shared_parameters.get(ref[len("#/parameters/") :].replace("~1", "/").replace("~0", "~"))
                if isinstance(target, dict):
                    return target
        return parameter

    def operation(self, operation: dict[str, Any], path_parameters: list[Any], path_pointer: str, pointer: str) -> dict[str, Any]:
        converted = {key: value for key, value in operation.items() if key not in ("parameters", "responses", "consumes", "produces", "schemes")}
        consumes = _media_types(operation.get("consumes"), self.consumes)
        produces = _media_types(operation.get("produces"), self.produces)
        raw_parameters = operation.get("parameters")
        operation_parameters: list[Any] = raw_parameters if isinstance(raw_parameters, list) else []
        sources = [(raw, pointer_join(path_pointer, "parameters", index)) for index, raw in enumerate(path_parameters)]
        sources += [(raw, pointer_join(pointer, "parameters", index)) for index, raw in enumerate(operation_parameters)]

        merged: dict[tuple[str, str], tuple[Any, str]] = {}
        for raw, raw_pointer in sources:
            parameter = self.resolve_parameter(raw)
            if not isinstance(parameter, dict):
                continue
            if "$ref" in parameter:
                merged[("$ref", parameter["$ref"])] = (parameter, raw_pointer)
                continue
            merged[(str(parameter.get("name")), str(parameter.get("in")))] = (parameter, raw_pointer)

        parameters: list[Any] = []
        body: tuple[dict[str, Any], str] | None = None
        form: list[tuple[dict[str, Any], str]] = []
        for parameter, raw_pointer in merged.values():
            location = parameter.get("in")
            if location == "body" and "$ref" not in parameter:
                body = (parameter, raw_pointer)
            elif location == "formData" and "$ref" not in parameter:
                form.append((parameter, raw_pointer))
            else:
                new_pointer = pointer_join(pointer, "parameters", len(parameters))
                self.pointers[new_pointer] = raw_pointer
                # The converted `schema` is built from keywords of the parameter itself.
                self.pointers[pointer_join(new_pointer, "schema")] = raw_pointer
                parameters.append(parameter if "$ref" in parameter else _plain_parameter(parameter))
        if parameters:
            converted["parameters"] = parameters

        if body is not None:
            body_parameter, body_pointer = body
            schema = body_parameter.get("schema", {})
            content_types = [media for media in consumes if "form" not in media] or ["application/json"]
            converted["requestBody"] = {
                "required": body_parameter.get("required") is True,
                "content": {media: {"schema": schema} for media in content_types},
            }
            self.pointers[pointer_join(pointer, "requestBody")] = body_pointer
            for media in content_types:
                self.pointers[pointer_join(pointer, "requestBody", "content", media, "schema")] = pointer_join(body_pointer, "schema")
            if isinstance(body_parameter.get("description"), str):
                converted["requestBody"]["description"] = body_parameter["description"]
        elif form:
            converted["requestBody"] = self.form_body(form, consumes, pointer)
        converted["responses"] = self.responses(operation.get("responses"), produces, pointer_join(pointer, "responses"))
        return converted

    def form_body(self, form: list[tuple[dict[str, Any], str]], consumes: list[str], pointer: str) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        encoding: dict[str, Any] = {}
        multipart = any(parameter.get("type") == "file" for parameter, _ in form)
        multipart = multipart or any(media.startswith("multipart/") for media in consumes)
        media = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
        for parameter, raw_pointer in form:
            name = str(parameter.get("name"))
            self.pointers[pointer_join(pointer, "requestBody", "content", media, "schema", "properties", name)] = raw_pointer
            schema = _parameter_schema(parameter)
            if isinstance(parameter.get("description"), str):
                schema["description"] = parameter["description"]
            properties[name] = schema
            if parameter.get("required") is True:
                required.append(name)
            if parameter.get("type") == "array":
                style = _plain_parameter(parameter)
                encoding[name] = {"style": style["style"], "explode": style["explode"]}
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        content: dict[str, Any] = {"schema": schema}
        if encoding:
            content["encoding"] = encoding
        return {"required": bool(required), "content": {media: content}}

    def responses(self, responses: Any, produces: list[str], pointer: str) -> dict[str, Any]:
        if not isinstance(responses, dict):
            return {}
        converted: dict[str, Any] = {}
        for code, response in responses.items():
            converted[str(code)] = self.response(response, produces, pointer_join(pointer, str(code)))
        return converted

    def response(self, response: Any, produces: list[str], pointer: str) -> Any:
        if not isinstance(response, dict) or "$ref" in response:
            return response
        converted = {key: value for key, value in response.items() if key not in ("schema", "examples")}
        converted.setdefault("description", "")
        if "schema" in response:
            converted["content"] = {media: {"schema": response["schema"]} for media in produces}
            for media in produces:
                self.pointers[pointer_join(pointer, "content", media, "schema")] = pointer_join(pointer, "schema")
        return converted


def _servers(document: dict[str, Any]) -> list[dict[str, str]]:
    host = document.get("host")
    base_path = source_text(document.get("basePath")) if document.get("basePath") is not None else ""
    if base_path and not base_path.startswith("/"):
        base_path = "/" + base_path
    if not isinstance(host, str) or not host:
        return [{"url": base_path or "/"}]
    schemes = [s for s in document.get("schemes") or [] if s in ("https", "http")] or ["https"]
    schemes.sort(key=lambda scheme: scheme != "https")
    return [{"url": f"{scheme}://{host}{base_path}"} for scheme in schemes]


def _security_scheme(raw: Any) -> Any:
    if not isinstance(raw, dict):
        return raw
    kind = raw.get("type")
    if kind == "basic":
        return {"type": "http", "scheme": "basic"}
    if kind == "oauth2":
        flow = {"application": "clientCredentials", "accessCode": "authorizationCode"}.get(
            str(raw.get("flow")), str(raw.get("flow"))
        )
        details: dict[str, Any] = {"scopes": raw.get("scopes") or {}}
        for key in ("authorizationUrl", "tokenUrl"):
            if key in raw:
                details[key] = raw[key]
        return {"type": "oauth2", "flows": {flow: details}}
    return raw


def convert_swagger2(document: dict[str, Any], name: str, problems: list[tuple[str, str]]) -> Swagger2Document:
    """Return an OpenAPI 3.0 document equivalent to a Swagger 2.0 one, with its pointer map."""
    converter = _Converter(document, problems)
    paths: dict[str, Any] = {}
    raw_paths = document.get("paths") if isinstance(document.get("paths"), dict) else {}
    for path, item in raw_paths.items():
        if not isinstance(item, dict) or "$ref" in item:
            paths[path] = item
            continue
        path_pointer = pointer_join("/paths", str(path))
        path_parameters = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        converted_item: dict[str, Any] = {}
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                converted_item[method] = converter.operation(
                    item[method], path_parameters, path_pointer, pointer_join(path_pointer, method)
                )
            elif method in item:
                converted_item[method] = item[method]
        paths[path] = converted_item

    shared_parameters = {}
    for key, value in converter.shared_parameters.items():
        if isinstance(value, dict) and value.get("in") not in ("body", "formData"):
            shared_parameters[key] = _plain_parameter(value)
            converter.pointers[pointer_join("/parameters", str(key), "schema")] = pointer_join("/parameters", str(key))
    raw_responses = document.get("responses") if isinstance(document.get("responses"), dict) else {}
    shared_responses = {
        key: converter.response(value, converter.produces, pointer_join("/responses", str(key)))
        for key, value in raw_responses.items()
    }
    definitions = document.get("definitions") if isinstance(document.get("definitions"), dict) else {}
    security = document.get("securityDefinitions") if isinstance(document.get("securityDefinitions"), dict) else {}
    converted = {
        "openapi": "3.0.3",
        "info": document.get("info", {}),
        "servers": _servers(document),
        "paths": paths,
        "components": {
            "schemas": definitions,
            "parameters": shared_parameters,
            "responses": shared_responses,
            "securitySchemes": {key: _security_scheme(value) for key, value in security.items()},
        },
        # The same objects under their Swagger 2.0 keys, so `$ref`s resolve as written.
        "definitions": definitions,
        "parameters": shared_parameters,
        "responses": shared_responses,
    }
    converter.pointers["/components/schemas"] = "/definitions"
    converter.pointers["/components/parameters"] = "/parameters"
    converter.pointers["/components/responses"] = "/responses"
    converter.pointers["/components/securitySchemes"] = "/securityDefinitions"
    if "security" in document:
        converted["security"] = document["security"]
    return Swagger2Document(converted, converter.pointers)
