"""Hand-built tools for the request tests."""

from __future__ import annotations

from typing import Any

from cast_gateway.openapi.model import BodySpec, ParameterSpec, Tool

__all__ = ["make_tool", "param", "BASE"]

BASE = "https://api.example.test"


def param(name: str, location: str, schema: dict[str, Any] | None = None, *, argument: str | None = None,
          required: bool = False, style: str | None = None, explode: bool | None = None,
          allow_reserved: bool = False) -> ParameterSpec:
    default_style = {"path": "simple", "header": "simple", "query": "form", "cookie": "form"}[location]
    style = style or default_style
    if explode is None:
        explode = style == "form"
    return ParameterSpec(name=name, location=location, argument=argument or name,  # type: ignore[arg-type]
                         required=required or location == "path", schema=schema or {"type": "string"},
                         style=style, explode=explode, allow_reserved=allow_reserved)


def make_tool(path: str = "/items", method: str = "GET", parameters: tuple[ParameterSpec, ...] = (),
              body: BodySpec | None = None, **extra: Any) -> Tool:
    properties: dict[str, Any] = {p.argument: dict(p.schema) for p in parameters}
    required = [p.argument for p in parameters if p.required]
    if body is not None:
        if body.argument:
            properties[body.argument] = dict(body.schema)
            if body.required:
                required.append(body.argument)
        else:
            for argument, wire in body.properties.items():
                properties[argument] = dict(body.schema.get("properties", {}).get(wire, {}))
    input_schema = {"type": "object", "properties": properties}
    if required:
        input_schema["required"] = required
    extra.setdefault("input_schema", input_schema)
    return Tool(name=extra.pop("name", "op"), description="", method=method, path=path, parameters=parameters,
                body=body, **extra)
