"""Planted secrets never show in exception messages, reprs or log records of the request package."""

from __future__ import annotations

import logging
import traceback

import pytest

from cast_gateway.openapi.model import SecurityScheme
from cast_gateway.request.builder import build_request
from cast_gateway.request.credentials import MissingCredentialError, apply_credentials
from cast_gateway.request.model import UpstreamResponse
from cast_gateway.request.response import map_response
from cast_gateway.vault import SecretValue
from request_helpers import BASE, make_tool

PLANTED = "PLANTED-SECRET-7f3a9c"

SCHEMES = {
    "key": SecurityScheme("key", "apiKey", location="header", parameter_name="X-Key"),
    "query": SecurityScheme("query", "apiKey", location="query", parameter_name="k"),
    "cookie": SecurityScheme("cookie", "apiKey", location="cookie", parameter_name="sid"),
    "bearer": SecurityScheme("bearer", "http", http_scheme="bearer"),
    "basic": SecurityScheme("basic", "http", http_scheme="basic"),
    "oauth": SecurityScheme("oauth", "oauth2"),
    "weird": SecurityScheme("weird", "mutualTLS"),
}


def assert_clean(text: str) -> None:
    assert PLANTED not in text
    assert "UExBTlRFRC1TRUNSRVQ" not in text  # the base64 form the basic scheme would carry


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_request_repr_hides_injected_secret(scheme):
    tool = make_tool(security=((scheme,),))
    request = build_request(tool, {}, BASE)
    try:
        request = apply_credentials(request, tool, SCHEMES, {scheme: SecretValue(PLANTED)})
    except MissingCredentialError as exc:
        assert_clean(str(exc))
        assert_clean(repr(exc))
        assert_clean("".join(traceback.format_exception(exc)))
        return
    assert_clean(repr(request))
    assert_clean(str(request))


@pytest.mark.parametrize("scheme", ["key", "bearer", "oauth"])
def test_invalid_secret_error_hides_value(scheme):
    tool = make_tool(security=((scheme,),))
    request = build_request(tool, {}, BASE)
    with pytest.raises(MissingCredentialError) as caught:
        apply_credentials(request, tool, SCHEMES, {scheme: SecretValue(PLANTED + "\r\nX-Evil: 1")})
    assert_clean(str(caught.value))
    assert_clean("".join(traceback.format_exception(caught.value)))


def test_missing_credential_error_hides_other_secrets():
    tool = make_tool(security=(("key", "bearer"),))
    with pytest.raises(MissingCredentialError) as caught:
        apply_credentials(build_request(tool, {}, BASE), tool, SCHEMES, {"key": SecretValue(PLANTED)})
    assert_clean(str(caught.value))


def test_response_mapping_logs_no_body(caplog):
    tool = make_tool(output_schema={"type": "object", "required": ["id"]})
    response = UpstreamResponse(200, "application/json", f'{{"token":"{PLANTED}"}}'.encode())
    with caplog.at_level(logging.DEBUG, logger="cast_gateway.request"):
        result = map_response(tool, response)
    assert result.drifted is True
    assert caplog.records, "a drift is logged"
    for record in caplog.records:
        assert_clean(record.getMessage())
