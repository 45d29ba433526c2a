"""The request side of the shared conversion cases, checked on the wire at a real loopback server.

The cases write URLs against `https://api.example.test`; here the recording server's URL
takes its place, with the same base path.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from cast_gateway.request.builder import build_request
from cast_gateway.request.credentials import MissingCredentialError, apply_credentials
from cast_gateway.request.errors import ArgumentError, RequestBuildError
from cast_gateway.request.validation import validate_arguments
from cast_gateway.vault import SecretValue
from support.upstream import RecordingUpstream
from wire import case_tool, compile_case, query_pairs_of, send, split_multipart

pytestmark = pytest.mark.anyio


@pytest.fixture
async def upstream():
    async with RecordingUpstream() as server:
        yield server


def secrets(**values: str) -> dict[str, SecretValue]:
    return {name: SecretValue(value) for name, value in values.items()}


async def call(upstream, case, tool_name, arguments, *, base_path="", secret_values=None):
    """Validate, build, inject credentials and send one call; return the recorded request."""
    spec = compile_case(case)
    tool = spec.tool(tool_name)
    assert tool is not None
    validate_arguments(tool, arguments)
    request = build_request(tool, arguments, upstream.url + base_path)
    request = apply_credentials(request, tool, spec.security_schemes, secrets(**(secret_values or {})))
    await send(request)
    assert len(upstream.requests) == 1
    return upstream.requests[-1]


def argument_for(tool, name, location):
    return next(p.argument for p in tool.parameters if p.name.lower() == name.lower() and p.location == location)


# C01: recursive schemas still send the whole body.
async def test_c01_recursive_body_sent_whole(upstream):
    arguments = {"name": "root", "children": [{"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}]}
    sent = await call(upstream, "C01", "createFolder", arguments)
    assert sent.method == "POST"
    assert sent.raw_path == "/folders"
    assert sent.header("Content-Type") == "application/json"
    assert json.loads(sent.body) == arguments


async def test_c01_indirect_cycle_body(upstream):
    arguments = {"field": "status", "group": {"op": "or", "filters": [{"field": "a", "value": "1"}, {"field": "b", "value": "2"}]}}
    sent = await call(upstream, "C01", "search", arguments)
    assert sent.raw_path == "/search"
    assert json.loads(sent.body) == arguments


# C03: component parameters and request bodies.
async def test_c03_component_refs_routed(upstream):
    sent = await call(upstream, "C03", "createTask", {"projectId": 42, "dryRun": True, "title": "Write docs", "priority": 2})
    assert sent.method == "POST"
    assert sent.path == "/projects/42/tasks"
    assert query_pairs_of(sent.query) == [("dryRun", "true")]
    assert sent.header("Content-Type") == "application/json"
    assert json.loads(sent.body) == {"title": "Write docs", "priority": 2}


# C11: path-item parameters and operation overrides.
async def test_c11_list_labels_uses_header_override(upstream):
    tool = case_tool("C11", "listLabels")
    trace = argument_for(tool, "x-trace-id", "header")
    sent = await call(upstream, "C11", "listLabels", {"boardId": "b1", "limit": 5, trace: "t-1"})
    assert sent.path == "/boards/b1/labels"
    assert query_pairs_of(sent.query) == [("limit", "5")]
    assert sent.header("x-trace-id") == "t-1"
    assert "{" not in sent.raw_path and "%7B" not in sent.raw_path.upper()


async def test_c11_create_label_sends_only_body(upstream):
    sent = await call(upstream, "C11", "createLabel", {"boardId": "b1", "name": "urgent"})
    assert sent.method == "POST"
    assert sent.raw_path == "/boards/b1/labels"
    assert json.loads(sent.body) == {"name": "urgent"}
    assert sent.header("X-Trace-Id") is None


# C12: one name in several locations; each argument reaches exactly one location.
async def test_c12_path_and_body_same_name(upstream):
    tool = case_tool("C12", "replaceAccount")
    path_argument = argument_for(tool, "id", "path")
    sent = await call(upstream, "C12", "replaceAccount", {path_argument: "a1", "id": "a1", "displayName": "Ann"})
    assert sent.method == "PUT"
    assert sent.raw_path == "/accounts/a1"
    assert json.loads(sent.body) == {"id": "a1", "displayName": "Ann"}


async def test_c12_whole_body_and_query(upstream):
    tool = case_tool("C12", "setCodes")
    query_argument = argument_for(tool, "codes", "query")
    body_argument = tool.body.argument
    sent = await call(upstream, "C12", "setCodes", {body_argument: [1, 2], query_argument: "active"})
    assert sent.path == "/codes"
    assert query_pairs_of(sent.query) == [("codes", "active")]
    assert json.loads(sent.body) == [1, 2]


async def test_c12_path_and_query_same_name(upstream):
    tool = case_tool("C12", "getRecord")
    sent = await call(upstream, "C12", "getRecord",
                      {argument_for(tool, "id", "path"): "r1", argument_for(tool, "id", "query"): "rev7"})
    assert sent.path == "/records/r1"
    assert query_pairs_of(sent.query) == [("id", "rev7")]
    assert sent.body == b""


# C14: path values that need percent-encoding never leave the template.
C14_TARGETS = [
    ("a b", "/api/records/a%20b/detail"),
    ("a/b", "/api/records/a%2Fb/detail"),
    ("a?x=1", "/api/records/a%3Fx%3D1/detail"),
    ("a#frag", "/api/records/a%23frag/detail"),
    ("a#b", "/api/records/a%23b/detail"),
    ("100%", "/api/records/100%25/detail"),
    ("ü", "/api/records/%C3%BC/detail"),
    ("../../admin", "/api/records/..%2F..%2Fadmin/detail"),
    ("..", "/api/records/%2E%2E/detail"),
    (".", "/api/records/%2E/detail"),
]


@pytest.mark.parametrize(("value", "target"), C14_TARGETS)
async def test_c14_path_value_encoded(upstream, value, target):
    sent = await call(upstream, "C14", "getRecordDetail", {"id": value}, base_path="/api",
                      secret_values={"bearerAuth": "TEST_BEARER_TOKEN"})
    assert sent.raw_path.upper() == target.upper()
    assert sent.query == ""
    assert sent.header("Authorization") == "Bearer TEST_BEARER_TOKEN"


@pytest.mark.parametrize("arguments", [{}, {"id": None}, {"id": ""}])
async def test_c14_bad_path_value_sends_nothing(upstream, arguments):
    tool = case_tool("C14", "getRecordDetail")
    with pytest.raises(ArgumentError) as caught:
        validate_arguments(tool, arguments)
        build_request(tool, arguments, upstream.url + "/api")
    assert "id" in str(caught.value)
    assert upstream.requests == []


# C16: query arrays follow style and explode.
async def test_c16_query_array_styles(upstream):
    arguments = {"tags": ["red", "blue"], "ids": ["a", "b"], "pipes": ["x", "y"], "spaces": ["p", "q"]}
    sent = await call(upstream, "C16", "listThings", arguments)
    pairs = query_pairs_of(sent.query)
    assert sorted(pairs) == sorted([("tags", "red,blue"), ("ids", "a"), ("ids", "b"), ("pipes", "x|y"), ("spaces", "p q")])
    assert [value for key, value in pairs if key == "ids"] == ["a", "b"]
    assert "spaces=p%20q" in sent.query
    assert "[" not in sent.query and "%5B" not in sent.query.upper()
    assert "%27" not in sent.query


async def test_c16_delimiter_inside_value_encoded(upstream):
    sent = await call(upstream, "C16", "listThings", {"tags": ["a,b", "c"]})
    assert sent.query == "tags=a%2Cb,c"


async def test_c16_empty_array_omitted(upstream):
    sent = await call(upstream, "C16", "listThings", {"ids": []})
    assert sent.raw_path == "/things"


# C18: Swagger 2.0 collectionFormat (csv by default).
async def test_c18_collection_formats(upstream):
    from cast_gateway.openapi.errors import SpecError

    try:
        compile_case("C18")
    except SpecError as exc:
        pytest.skip(f"the compiler does not read Swagger 2.0 yet: {exc}")
    arguments = {"fields": ["a", "b"], "tag": ["x", "y"], "ids": [1, 2], "words": ["p", "q"], "cols": ["c", "d"],
                 "X-Flags": ["f1", "f2"]}
    tool = case_tool("C18", "search")
    arguments[argument_for(tool, "X-Flags", "header")] = arguments.pop("X-Flags")
    sent = await call(upstream, "C18", "search", arguments, base_path="/v2")
    assert sent.path == "/v2/search"
    assert sorted(query_pairs_of(sent.query)) == sorted(
        [("fields", "a,b"), ("tag", "x"), ("tag", "y"), ("ids", "1|2"), ("words", "p q"), ("cols", "c\td")]
    )
    assert sent.header("X-Flags") == "f1,f2"


# C19: scalar serialisation, defaults and omitted optionals.
@pytest.mark.parametrize(("arguments", "expected"), [
    ({"verbose": True, "minScore": 0.5, "limit": 10}, [("verbose", "true"), ("minScore", "0.5"), ("limit", "10")]),
    ({"limit": 10, "verbose": False}, [("verbose", "false"), ("limit", "10")]),
    ({"limit": 10, "verbose": None}, [("limit", "10")]),
    ({}, [("limit", "50")]),
    ({"limit": 10.0}, [("limit", "10")]),
])
async def test_c19_query_scalars(upstream, arguments, expected):
    sent = await call(upstream, "C19", "listEvents", arguments)
    assert sorted(query_pairs_of(sent.query)) == sorted(expected)


async def test_c19_date_time_plus_encoded(upstream):
    sent = await call(upstream, "C19", "listEvents", {"limit": 10, "since": "2024-05-01T10:00:00+02:00"})
    assert "since=2024-05-01T10%3A00%3A00%2B02%3A00" in sent.query
    assert ("since", "2024-05-01T10:00:00+02:00") in query_pairs_of(sent.query)


async def test_c19_boolean_header(upstream):
    sent = await call(upstream, "C19", "listEvents", {"limit": 10, "X-Dry-Run": True})
    assert sent.header("X-Dry-Run") == "true"


async def test_c19_boolean_path(upstream):
    sent = await call(upstream, "C19", "setFeature", {"name": "beta", "enabled": True})
    assert sent.method == "PUT"
    assert sent.raw_path == "/features/beta/enabled/true"


# C20: header parameters.
async def test_c20_headers_forwarded(upstream):
    sent = await call(upstream, "C20", "getReport", {"id": "r1", "X-Request-Id": "req-1", "Accept-Language": "de"})
    assert sent.raw_path == "/reports/r1"
    assert sent.header("X-Request-Id") == "req-1"
    assert sent.header("Accept-Language") == "de"
    assert sent.header("Accept") == "application/json"
    assert sent.header("If-None-Match") is None


async def test_c20_crlf_header_rejected(upstream):
    tool = case_tool("C20", "getReport")
    with pytest.raises(ArgumentError, match="X-Request-Id"):
        build_request(tool, {"id": "r1", "X-Request-Id": "a\r\nX-Admin: 1"}, upstream.url)
    assert upstream.requests == []


async def test_c20_authorization_argument_not_sent(upstream):
    tool = case_tool("C20", "getReport")
    arguments = {"id": "r1", "X-Request-Id": "req-1", "Authorization": "Bearer x"}
    try:
        validate_arguments(tool, arguments)
    except ArgumentError:
        return  # rejecting the extra argument is as good as ignoring it
    await send(build_request(tool, arguments, upstream.url))
    assert upstream.requests[0].header("Authorization") is None


# C21: cookie parameters merged with the credential cookie.
async def test_c21_one_cookie_header(upstream):
    sent = await call(upstream, "C21", "getDashboard",
                      {"theme": "dark", "panel_ids": ["p1", "p2"], "prefs": {"layout": "grid"}},
                      secret_values={"sessionCookie": "TEST_SESSION_ID"})
    cookie = sent.header("Cookie")
    pairs = dict(pair.split("=", 1) for pair in cookie.split("; "))
    assert pairs == {"sid": "TEST_SESSION_ID", "theme": "dark", "panel_ids": "p1,p2", "prefs": "layout,grid"}


async def test_c21_cookie_value_delimiters_encoded(upstream):
    sent = await call(upstream, "C21", "getDashboard", {"theme": "a;b c,d"},
                      secret_values={"sessionCookie": "TEST_SESSION_ID"})
    pairs = dict(pair.split("=", 1) for pair in sent.header("Cookie").split("; "))
    assert pairs["theme"] == "a%3Bb%20c%2Cd"
    assert pairs["sid"] == "TEST_SESSION_ID"


async def test_c21_sid_argument_never_overrides(upstream):
    tool = case_tool("C21", "getDashboard")
    spec = compile_case("C21")
    request = build_request(tool, {"theme": "dark", "sid": "EVIL"}, upstream.url)
    request = apply_credentials(request, tool, spec.security_schemes, secrets(sessionCookie="TEST_SESSION_ID"))
    await send(request)
    assert "EVIL" not in upstream.requests[0].header("Cookie")
    assert "sid=TEST_SESSION_ID" in upstream.requests[0].header("Cookie")


# C23: form-urlencoded bodies.
async def test_c23_form_body_with_deep_object(upstream):
    arguments = {"email": "a+b@example.test", "description": "VIP & friends", "metadata": {"plan": "pro"},
                 "expand": ["sources", "tax"]}
    sent = await call(upstream, "C23", "createCustomer", arguments)
    assert sent.raw_path == "/v1/customers"
    assert sent.header("Content-Type") == "application/x-www-form-urlencoded"
    body = sent.body.decode("ascii")
    assert query_pairs_of(body) == [("email", "a+b@example.test"), ("description", "VIP & friends"),
                                    ("metadata[plan]", "pro"), ("expand", "sources"), ("expand", "tax")]
    assert "a%2Bb" in body
    assert "%26" in body


async def test_c23_token_form_without_credentials(upstream):
    sent = await call(upstream, "C23", "requestToken", {"grant_type": "password", "username": "u", "password": "p w"})
    assert sent.raw_path == "/oauth/token"
    assert query_pairs_of(sent.body.decode("ascii")) == [("grant_type", "password"), ("username", "u"), ("password", "p w")]
    assert sent.header("Authorization") is None


# C24: multipart with a file part.
async def test_c24_multipart_parts(upstream):
    arguments = {"file": "JVBERi0xLjQK", "title": "Quarterly", "tags": ["a", "b"], "meta": {"owner": "ops"}}
    sent = await call(upstream, "C24", "uploadDocument", arguments)
    content_type = sent.header("Content-Type")
    assert content_type.startswith("multipart/form-data; boundary=")
    parts = split_multipart(content_type, sent.body)
    names = [headers["content-disposition"] for headers, _ in parts]
    assert len(parts) == 5
    file_headers, file_content = parts[0]
    assert 'name="file"' in file_headers["content-disposition"]
    assert "filename=" in file_headers["content-disposition"]
    assert file_headers["content-type"] == "application/pdf"
    assert file_content == b"%PDF-1.4\n"
    assert parts[1][1] == b"Quarterly" and 'name="title"' in names[1]
    assert [content for headers, content in parts if 'name="tags"' in headers["content-disposition"]] == [b"a", b"b"]
    meta_headers, meta_content = parts[4]
    assert meta_headers["content-type"] == "application/json"
    assert json.loads(meta_content) == {"owner": "ops"}


async def test_c24_boundary_changes_per_request(upstream):
    tool = case_tool("C24", "uploadDocument")
    first = build_request(tool, {"file": "AAEC"}, upstream.url)
    second = build_request(tool, {"file": "AAEC"}, upstream.url)
    assert first.header("Content-Type") != second.header("Content-Type")


async def test_c24_invalid_base64_sends_nothing(upstream):
    tool = case_tool("C24", "uploadDocument")
    with pytest.raises(ArgumentError, match="file"):
        build_request(tool, {"file": "not base64!!"}, upstream.url)
    assert upstream.requests == []


# C25: raw binary bodies.
async def test_c25_octet_stream_body(upstream):
    sent = await call(upstream, "C25", "putBlob", {"name": "a.bin", "body": "AAEC/w=="})
    assert sent.method == "PUT"
    assert sent.raw_path == "/blobs/a.bin"
    assert sent.header("Content-Type") == "application/octet-stream"
    assert sent.body == b"\x00\x01\x02\xff"
    assert sent.header("Content-Length") == "4"


async def test_c25_png_body(upstream):
    sent = await call(upstream, "C25", "putAvatar", {"userId": "u1", "body": "iVBORw0KGgoA/w=="})
    assert sent.raw_path == "/avatars/u1"
    assert sent.header("Content-Type") == "image/png"
    assert hashlib.sha256(sent.body).hexdigest() == "d44c4eee8f72efac76c1f294e7260408825c8dad42adaaf6e9bee7e7ef4c7de3"


# C26: JSON bodies that are not objects.
@pytest.mark.parametrize(("tool_name", "arguments", "path", "body"), [
    ("bulkTag", {"body": [{"id": 1, "tag": "x"}]}, "/bulk/tags", b'[{"id":1,"tag":"x"}]'),
    ("setNoteText", {"id": "n1", "body": "true"}, "/notes/n1/text", b'"true"'),
    ("setCounter", {"id": "c1", "body": 5}, "/counters/c1", b"5"),
    ("setFlag", {"id": "f1", "body": False}, "/flags/f1", b"false"),
    ("setLabels", {"body": {"team": "infra"}}, "/labels", b'{"team":"infra"}'),
])
async def test_c26_non_object_json_body(upstream, tool_name, arguments, path, body):
    tool = case_tool("C26", tool_name)
    if tool.body.argument is None:  # a flattened free-form map: its keys are the whole body
        arguments = {**{k: v for k, v in arguments.items() if k != "body"}, **arguments["body"]}
    sent = await call(upstream, "C26", tool_name, arguments)
    assert sent.raw_path == path
    assert sent.header("Content-Type") == "application/json"
    assert json.loads(sent.body) == json.loads(body)
    assert sent.body == body


# C28: allOf bodies are sent flat.
async def test_c28_all_of_body(upstream):
    arguments = {"accountId": "acc1", "name": "n", "program_id": "0b7a9c1e-0000-4000-8000-000000000002",
                 "budget_micros": 1000}
    sent = await call(upstream, "C28", "createDraftBatch", arguments)
    assert sent.raw_path == "/accounts/acc1/drafts/batches"
    assert json.loads(sent.body) == {"name": "n", "program_id": "0b7a9c1e-0000-4000-8000-000000000002",
                                     "budget_micros": 1000}


# C36: the base path is kept when joining.
@pytest.mark.parametrize("base_path", ["/api/v3", "/api/v3/"])
async def test_c36_base_path_kept(upstream, base_path):
    spec = compile_case("C36")
    for tool_name, arguments, expected in [("getPetById", {"petId": 5}, "/api/v3/pet/5"),
                                           ("getInventory", {}, "/api/v3/store/inventory")]:
        tool = spec.tool(tool_name)
        await send(build_request(tool, arguments, upstream.url + base_path))
        assert upstream.requests[-1].raw_path == expected


# C39: absent, empty and optional security.
C39_SECRETS = {"apiKeyHeader": "TEST_API_KEY", "bearerAuth": "TEST_BEARER_TOKEN"}


@pytest.mark.parametrize(("tool_name", "api_key", "authorization"), [
    ("inherits", "TEST_API_KEY", None),
    ("publicOp", None, None),
    ("bearerOnly", None, "Bearer TEST_BEARER_TOKEN"),
    ("optionalAuth", "TEST_API_KEY", None),
])
async def test_c39_security_requirements(upstream, tool_name, api_key, authorization):
    sent = await call(upstream, "C39", tool_name, {}, secret_values=C39_SECRETS)
    assert sent.header("X-API-Key") == api_key
    assert sent.header("Authorization") == authorization


async def test_c39_optional_auth_anonymous_without_key(upstream):
    sent = await call(upstream, "C39", "optionalAuth", {}, secret_values={"bearerAuth": "TEST_BEARER_TOKEN"})
    assert sent.header("X-API-Key") is None
    assert sent.header("Authorization") is None


def test_c39_no_credential_argument():
    for tool in compile_case("C39").tools:
        assert "X-API-Key" not in tool.input_schema.get("properties", {})


# C40: AND versus OR, Basic, OAuth2 tokens.
async def test_c40_and_sends_both(upstream):
    sent = await call(upstream, "C40", "listReports", {},
                      secret_values={"tenantKey": "TEST_TENANT", "bearerAuth": "TEST_BEARER_TOKEN"})
    assert sent.header("X-Tenant") == "TEST_TENANT"
    assert sent.header("Authorization") == "Bearer TEST_BEARER_TOKEN"


@pytest.mark.parametrize("configured", [{"tenantKey": "TEST_TENANT"}, {"bearerAuth": "TEST_BEARER_TOKEN"}])
async def test_c40_and_missing_one_fails(upstream, configured):
    spec = compile_case("C40")
    tool = spec.tool("listReports")
    request = build_request(tool, {}, upstream.url)
    with pytest.raises(MissingCredentialError) as caught:
        apply_credentials(request, tool, spec.security_schemes, secrets(**configured))
    missing = ({"tenantKey", "bearerAuth"} - set(configured)).pop()
    assert missing in str(caught.value)
    assert upstream.requests == []


async def test_c40_basic_alternative(upstream):
    sent = await call(upstream, "C40", "createReport", {}, secret_values={"basicAuth": "TEST_USER:TEST_PASS"})
    assert sent.header("Authorization") == "Basic VEVTVF9VU0VSOlRFU1RfUEFTUw=="
    assert base64.b64decode(sent.header("Authorization")[6:]) == b"TEST_USER:TEST_PASS"


async def test_c40_oauth_token_sent_as_bearer(upstream):
    sent = await call(upstream, "C40", "exportReport", {"id": "r1"}, secret_values={"oauthCC": "ACCESS_TOKEN_1"})
    assert sent.raw_path == "/reports/r1/export"
    assert sent.header("Authorization") == "Bearer ACCESS_TOKEN_1"


def test_build_error_types_are_value_errors():
    assert issubclass(RequestBuildError, ValueError)
