"""Path-item and operation servers: kept on the base URL's host or an allowed host, dropped with a warning otherwise."""

from __future__ import annotations

import pytest

from cast_gateway.openapi import SpecBundle, SpecError, compile_spec
from cast_gateway.openapi.servers import ServerHostPolicy

SPEC = b"""
openapi: 3.0.3
info: {title: servers, version: '1'}
servers:
  - url: https://api.example.test/v1
paths:
  /same-host:
    get:
      operationId: sameHost
      servers: [{url: 'https://api.example.test/v2'}]
      responses: {'200': {description: ok}}
  /uploads:
    servers: [{url: 'https://uploads.example.test'}]
    get:
      operationId: listUploads
      responses: {'200': {description: ok}}
    post:
      operationId: createUpload
      responses: {'201': {description: created}}
  /relative:
    get:
      operationId: relative
      servers: [{url: /v3}]
      responses: {'200': {description: ok}}
  /mixed:
    get:
      operationId: mixed
      servers:
        - {url: 'https://elsewhere.example.test'}
        - {url: 'https://uploads.example.test:8443/files'}
      responses: {'200': {description: ok}}
"""


def _compile(**options):
    return compile_spec(SpecBundle.single("api.yaml", SPEC), **options)


def _servers(compiled) -> dict[str, tuple[str, ...]]:
    return {tool.name: tool.servers for tool in compiled.tools}


def test_other_host_dropped_by_default():
    servers = _servers(_compile())
    assert servers["listUploads"] == ()
    assert servers["createUpload"] == ()
    assert servers["mixed"] == ()


def test_base_url_host_always_kept():
    servers = _servers(_compile())
    assert servers["sameHost"] == ("https://api.example.test/v2",)


def test_relative_server_always_kept():
    assert _servers(_compile())["relative"] == ("/v3",)


def test_dropped_server_warns_once_with_setting():
    compiled = _compile()
    warnings = [warning for warning in compiled.warnings if "'https://uploads.example.test'" in warning.message]
    assert len(warnings) == 1
    assert warnings[0].pointer == "/paths/~1uploads/servers"
    message = warnings[0].message
    assert "'https://uploads.example.test'" in message
    assert "'allowed_server_hosts'" in message
    assert "workspace base URL" in message


def test_operation_server_warning_points_at_operation():
    compiled = _compile()
    pointers = {warning.pointer for warning in compiled.warnings if "elsewhere.example.test" in warning.message}
    assert pointers == {"/paths/~1mixed/get/servers"}


def test_allowed_host_kept():
    servers = _servers(_compile(allowed_server_hosts=["Uploads.Example.Test"]))
    assert servers["listUploads"] == ("https://uploads.example.test",)
    assert servers["createUpload"] == ("https://uploads.example.test",)
    assert servers["mixed"] == ("https://uploads.example.test:8443/files",)


def test_allowed_host_with_port_matches_only_port():
    servers = _servers(_compile(allowed_server_hosts=["uploads.example.test:8443"]))
    assert servers["mixed"] == ("https://uploads.example.test:8443/files",)
    assert servers["listUploads"] == ()


def test_allowed_hosts_leave_no_server_warning():
    compiled = _compile(allowed_server_hosts=["uploads.example.test", "elsewhere.example.test"])
    assert not [warning for warning in compiled.warnings if "allowed_server_hosts" in warning.message]
    assert _servers(compiled)["mixed"] == ("https://elsewhere.example.test", "https://uploads.example.test:8443/files")


def test_workspace_base_url_replaces_spec_server_host():
    servers = _servers(_compile(base_url="https://uploads.example.test/api"))
    assert servers["listUploads"] == ("https://uploads.example.test",)
    assert servers["sameHost"] == ()


@pytest.mark.parametrize("setting", ["uploads.example.test", [1, 2], ["ok", None]])
def test_malformed_setting_rejected(setting):
    with pytest.raises(SpecError, match="'allowed_server_hosts' must be a list of host names"):
        _compile(allowed_server_hosts=setting)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.test/x", True),
        ("https://API.example.test:9000/x", True),
        ("/relative", True),
        ("relative/path", True),
        ("//evil.example.test/x", False),
        ("https://api.example.test.evil.test/x", False),
        ("https://user@evil.example.test/x", False),
        ("http://[::1", False),
        ("https://api.example.test:notaport/x", False),
    ],
)
def test_policy_decision(url: str, allowed: bool):
    policy = ServerHostPolicy("https://api.example.test/v1", ())
    assert policy.allows(url) is allowed
