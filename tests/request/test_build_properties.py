"""Property: arguments drawn from a real operation's input schema build a well-formed request, or fail with ArgumentError."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cast_gateway.openapi.compiler import compile_spec
from cast_gateway.openapi.model import SpecBundle, Tool
from cast_gateway.request.builder import build_request
from cast_gateway.request.errors import ArgumentError
from cast_gateway.request.validation import validate_arguments
from schema_strategies import from_schema
from wire import split_multipart

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"
# Specs that compile in about a second or less and between them have every body kind.
SAMPLED_SPECS = ["box-openapi.json", "twilio-api-v2010.json", "swagger-petstore-v3.0.yaml", "jira-platform-v3.json",
                 "scalar-galaxy.json", "oai-uspto-v3.0.json", "lob-api-bundled.yml", "xero-accounting.yaml"]
TOOLS_PER_SPEC = 5
EXAMPLES_PER_TOOL = 12
BASE = "https://api.example.test/base"


@lru_cache(maxsize=None)
def compiled(name: str):
    return compile_spec(SpecBundle.single(name, (SPECS / name).read_bytes()))


def sample_tools(name: str) -> list[Tool]:
    """Pick one tool per body kind, then the tools with the most parameters."""
    tools = compiled(name).tools
    chosen: dict[str, Tool] = {}
    for tool in tools:
        if tool.body is not None and tool.body.kind not in {t.body.kind for t in chosen.values() if t.body}:
            chosen[tool.name] = tool
    for tool in sorted(tools, key=lambda tool: (-len(tool.parameters), tool.name)):
        if len(chosen) >= TOOLS_PER_SPEC:
            break
        chosen.setdefault(tool.name, tool)
    return list(chosen.values())


CASES = [(name, tool.name) for name in SAMPLED_SPECS if (SPECS / name).exists() for tool in sample_tools(name)]


def template_pattern(base_path: str, path: str) -> re.Pattern[str]:
    parts = re.split(r"\{[^{}]+\}", path.split("?")[0])
    quoted = [re.escape(quote(part, safe="/:@!$&'()*+,;=~")) for part in parts]
    return re.compile(re.escape(base_path) + "[^/?#]+".join(quoted))


def check_well_formed(tool: Tool, request) -> None:
    parts = urlsplit(request.url)
    server = tool.servers[0] if tool.servers and urlsplit(tool.servers[0]).scheme else BASE
    expected = urlsplit(server)
    assert (parts.scheme, parts.netloc) == (expected.scheme, expected.netloc)
    assert template_pattern(expected.path.rstrip("/"), tool.path).fullmatch(parts.path), (parts.path, tool.path)
    assert ".." not in parts.path.split("/") and "." not in parts.path.split("/")
    assert not parts.fragment
    parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False)
    for name, value in request.headers:
        assert not re.search(r"[\r\n\x00]", name + value), name
        assert name.lower() not in ("host", "content-length", "transfer-encoding")
    if request.body is None:
        return
    content_type = request.header("Content-Type")
    essence = tool.body.media_type.split(";")[0]
    kind = tool.body.kind
    if kind == "json":
        assert content_type == tool.body.media_type
        json.loads(request.body)
    elif kind == "form":
        assert content_type == tool.body.media_type
        parse_qsl(request.body.decode("ascii"), keep_blank_values=True)
    elif kind == "multipart":
        assert content_type.startswith(essence + "; boundary=")
        split_multipart(content_type, request.body)
    elif kind == "binary":
        assert isinstance(request.body, bytes)
    else:
        request.body.decode("utf-8")


@pytest.mark.parametrize(("spec", "tool_name"), CASES, ids=[f"{spec}:{tool}" for spec, tool in CASES])
def test_drawn_arguments_build_well_formed_request(spec, tool_name):
    tool = compiled(spec).tool(tool_name)

    @settings(max_examples=EXAMPLES_PER_TOOL, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.data())
    def run(data):
        arguments = data.draw(from_schema(tool.input_schema))
        try:
            validate_arguments(tool, arguments)
            request = build_request(tool, arguments, BASE)
        except ArgumentError:
            return  # rejected with a message: no request, which is the other allowed outcome
        check_well_formed(tool, request)

    run()
