"""Swagger 2.0 to the OpenAPI 3.0 structure, so one compiler handles both.

- `host`, `basePath` and `schemes` become `servers` (https first; a spec without `host`
  gets a relative server URL that the request builder resolves against the workspace URL);
- `in: body` becomes a request body for each `consumes` media type; `formData` parameters
  become a form or multipart body whose properties are the parameters (`type: file` is a
  binary string, and makes the body multipart);
- other parameters get a `schema` built from their type keywords, and `collectionFormat`
  (default `csv`) becomes `style`/`explode`;
- `definitions`, `parameters`, `responses` and `securityDefinitions` move under
  `components`, and `$ref`s are rewritten to match.

NOTE: `$ref`s into other files of a Swagger 2.0 bundle are followed but not converted, so
a referenced file must hold schemas only.
"""

from __future__ import annotations

from typing import Any

from .loader import source_text

__all__ = ["convert_swagger2"]

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
_REF_PREFIXES = (
    ("#/definitions/", "#/components/schemas/"),
    ("#/parameters/", "#/components/parameters/"),
    ("#/responses/", "#/components/responses/"),
)
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


def _rewrite_refs(value: Any) -> Any:
    """Return a copy with local `$ref`s moved to their OpenAPI 3 locations."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                for old, new in _REF_PREFIXES:
                    if item.startswith(old):
                        item = new + item[len(old) :]
                        break
                out[key] = item
            else:
                out[key] = _rewrite_refs(item)
        return out
    if isinstance(value, list):
        return [_rewrite_refs(item) for item in value]
    return value


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

    def operation(self, operation: dict[str, Any], path_parameters: list[Any], pointer: str) -> dict[str, Any]:
        converted = {key: value for key, value in operation.items() if key not in ("parameters", "responses", "consumes", "produces", "schemes")}
        consumes = _media_types(operation.get("consumes"), self.consumes)
        produces = _media_types(operation.get("produces"), self.produces)
        merged: dict[tuple[str, str], Any] = {}
        for raw in [*path_parameters, *(operation.get("parameters") or [])]:
            parameter = self.resolve_parameter(raw)
            if not isinstance(parameter, dict):
                continue
            if "$ref" in parameter:
                merged[("$ref", parameter["$ref"])] = parameter
                continue
            merged[(str(parameter.get("name")), str(parameter.get("in")))] = parameter
        parameters: list[Any] = []
        body: dict[str, Any] | None = None
        form: list[dict[str, Any]] = []
        for parameter in merged.values():
            location = parameter.get("in")
            if "$ref" in parameter:
                parameters.append(parameter)
            elif location == "body":
                body = parameter
            elif location == "formData":
                form.append(parameter)
            else:
                parameters.append(_plain_parameter(parameter))
        if parameters:
            converted["parameters"] = parameters
        if body is not None:
            schema = body.get("schema", {})
            content_types = [media for media in consumes if "form" not in media] or ["application/json"]
            converted["requestBody"] = {
                "required": body.get("required") is True,
                "content": {media: {"schema": schema} for media in content_types},
            }
            if isinstance(body.get("description"), str):
                converted["requestBody"]["description"] = body["description"]
        elif form:
            converted["requestBody"] = self.form_body(form, consumes)
        converted["responses"] = self.responses(operation.get("responses"), produces)
        return converted

    def form_body(self, form: list[dict[str, Any]], consumes: list[str]) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        encoding: dict[str, Any] = {}
        has_file = False
        for parameter in form:
            name = str(parameter.get("name"))
            schema = _parameter_schema(parameter)
            if parameter.get("type") == "file":
                has_file = True
            if isinstance(parameter.get("description"), str):
                schema["description"] = parameter["description"]
            properties[name] = schema
            if parameter.get("required") is True:
                required.append(name)
            if parameter.get("type") == "array":
                style = _plain_parameter(parameter)
                encoding[name] = {"style": style["style"], "explode": style["explode"]}
        multipart = has_file or any(media.startswith("multipart/") for media in consumes)
        media = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        content: dict[str, Any] = {"schema": schema}
        if encoding:
            content["encoding"] = encoding
        return {"required": bool(required), "content": {media: content}}

    def responses(self, responses: Any, produces: list[str]) -> dict[str, Any]:
        if not isinstance(responses, dict):
            return {}
        converted: dict[str, Any] = {}
        for code, response in responses.items():
            converted[str(code)] = self.response(response, produces)
        return converted

    def response(self, response: Any, produces: list[str]) -> Any:
        if not isinstance(response, dict) or "$ref" in response:
            return response
        converted = {key: value for key, value in response.items() if key not in ("schema", "examples")}
        converted.setdefault("description", "")
        if "schema" in response:
            converted["content"] = {media: {"schema": response["schema"]} for media in produces}
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


def convert_swagger2(document: dict[str, Any], name: str, problems: list[tuple[str, str]]) -> dict[str, Any]:
    """Return an OpenAPI 3.0 document equivalent to a Swagger 2.0 one."""
    converter = _Converter(document, problems)
    paths: dict[str, Any] = {}
    raw_paths = document.get("paths") if isinstance(document.get("paths"), dict) else {}
    for path, item in raw_paths.items():
        if not isinstance(item, dict) or "$ref" in item:
            paths[path] = item
            continue
        path_parameters = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        converted_item: dict[str, Any] = {}
        for method in _METHODS:
            if isinstance(item.get(method), dict):
                converted_item[method] = converter.operation(item[method], path_parameters, f"/paths/{path}/{method}")
            elif method in item:
                converted_item[method] = item[method]
        paths[path] = converted_item

    shared_parameters = {
        key: _plain_parameter(value)
        for key, value in converter.shared_parameters.items()
        if isinstance(value, dict) and value.get("in") not in ("body", "formData")
    }
    shared_responses = document.get("responses") if isinstance(document.get("responses"), dict) else {}
    security = document.get("securityDefinitions") if isinstance(document.get("securityDefinitions"), dict) else {}
    converted = {
        "openapi": "3.0.3",
        "info": document.get("info", {}),
        "servers": _servers(document),
        "paths": paths,
        "components": {
            "schemas": document.get("definitions") if isinstance(document.get("definitions"), dict) else {},
            "parameters": shared_parameters,
            "responses": {key: converter.response(value, converter.produces) for key, value in shared_responses.items()},
            "securitySchemes": {key: _security_scheme(value) for key, value in security.items()},
        },
    }
    if "security" in document:
        converted["security"] = document["security"]
    return _rewrite_refs(converted)
