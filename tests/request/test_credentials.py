from __future__ import annotations

import base64

import pytest

from cast_gateway.openapi.model import SecurityScheme
from cast_gateway.request.builder import build_request
from cast_gateway.request.credentials import InvalidCredentialError, MissingCredentialError, apply_credentials
from cast_gateway.vault import SecretValue
from request_helpers import BASE, make_tool, param

SCHEMES = {
    "apiKeyHeader": SecurityScheme("apiKeyHeader", "apiKey", location="header", parameter_name="X-API-Key"),
    "apiKeyQuery": SecurityScheme("apiKeyQuery", "apiKey", location="query", parameter_name="api_key"),
    "sessionCookie": SecurityScheme("sessionCookie", "apiKey", location="cookie", parameter_name="sid"),
    "bearerAuth": SecurityScheme("bearerAuth", "http", http_scheme="bearer"),
    "basicAuth": SecurityScheme("basicAuth", "http", http_scheme="basic"),
    "oauthCC": SecurityScheme("oauthCC", "oauth2", token_url="https://auth.example.test/token"),
    "tenantKey": SecurityScheme("tenantKey", "apiKey", location="header", parameter_name="X-Tenant"),
}


def secrets(**values: str) -> dict[str, SecretValue]:
    return {name: SecretValue(value) for name, value in values.items()}


def applied(security, parameters=(), arguments=None, **values: str):
    tool = make_tool(parameters=parameters, security=security)
    request = build_request(tool, arguments or {}, BASE)
    return apply_credentials(request, tool, SCHEMES, secrets(**values))


def test_api_key_header_is_set():
    request = applied((("apiKeyHeader",),), apiKeyHeader="TEST_API_KEY")
    assert request.header("X-API-Key") == "TEST_API_KEY"
    assert request.header("Authorization") is None


def test_bearer_sets_authorization():
    request = applied((("bearerAuth",),), bearerAuth="TEST_BEARER_TOKEN")
    assert request.header("Authorization") == "Bearer TEST_BEARER_TOKEN"


def test_basic_encodes_user_and_password():
    request = applied((("basicAuth",),), basicAuth="TEST_USER:TEST_PASS")
    assert request.header("Authorization") == "Basic VEVTVF9VU0VSOlRFU1RfUEFTUw=="
    assert base64.b64decode(request.header("Authorization").split()[1]) == b"TEST_USER:TEST_PASS"


def test_oauth2_token_sent_as_bearer():
    request = applied((("oauthCC",),), oauthCC="access-token-1")
    assert request.header("Authorization") == "Bearer access-token-1"


def test_api_key_query_replaces_argument_of_same_name():
    request = applied((("apiKeyQuery",),), parameters=(param("api_key", "query"),),
                      arguments={"api_key": "from-model"}, apiKeyQuery="TEST_KEY")
    assert request.url == f"{BASE}/items?api_key=TEST_KEY"


def test_and_requires_every_scheme():
    request = applied((("tenantKey", "bearerAuth"),), tenantKey="TEST_TENANT", bearerAuth="TEST_BEARER_TOKEN")
    assert request.header("X-Tenant") == "TEST_TENANT"
    assert request.header("Authorization") == "Bearer TEST_BEARER_TOKEN"


def test_and_with_one_missing_names_it():
    with pytest.raises(MissingCredentialError) as caught:
        applied((("tenantKey", "bearerAuth"),), tenantKey="TEST_TENANT")
    assert "'bearerAuth'" in str(caught.value)
    assert "TEST_TENANT" not in str(caught.value)


def test_or_picks_first_configured_alternative():
    request = applied((("oauthCC",), ("basicAuth",)), basicAuth="TEST_USER:TEST_PASS")
    assert request.header("Authorization") == "Basic VEVTVF9VU0VSOlRFU1RfUEFTUw=="


def test_optional_auth_prefers_credential():
    request = applied(((), ("apiKeyHeader",)), apiKeyHeader="TEST_API_KEY")
    assert request.header("X-API-Key") == "TEST_API_KEY"


def test_optional_auth_without_secret_is_anonymous():
    request = applied(((), ("apiKeyHeader",)))
    assert request.header("X-API-Key") is None


def test_no_security_sends_no_credential():
    request = applied((), apiKeyHeader="TEST_API_KEY", bearerAuth="TEST_BEARER_TOKEN")
    assert request.header("X-API-Key") is None
    assert request.header("Authorization") is None


def test_credential_cookie_merges_and_wins():
    parameters = (param("theme", "cookie"), param("sid", "cookie"))
    request = applied((("sessionCookie",),), parameters=parameters,
                      arguments={"theme": "dark", "sid": "model-sid"}, sessionCookie="TEST_SESSION_ID")
    pairs = [pair.split("=", 1) for pair in request.header("Cookie").split("; ")]
    assert dict(pairs) == {"sid": "TEST_SESSION_ID", "theme": "dark"}
    assert len(pairs) == 2


def test_header_secret_with_line_break_rejected_without_value():
    with pytest.raises(InvalidCredentialError) as caught:
        applied((("bearerAuth",),), bearerAuth="PLANTED\r\nX-Evil: 1")
    assert "PLANTED" not in str(caught.value)
    assert "bearerAuth" in str(caught.value)


def test_invalid_credential_is_missing_credential():
    assert issubclass(InvalidCredentialError, MissingCredentialError)
    assert issubclass(MissingCredentialError, LookupError)
