"""Inject the workspace's credentials into a built request, following the tool's security requirements."""

from __future__ import annotations

import base64
from typing import Mapping
from urllib.parse import quote, unquote

from cast_gateway.openapi.model import SecurityScheme, Tool
from cast_gateway.vault import SecretValue

from .errors import InvalidCredentialError, MissingCredentialError
from .headers import is_safe_value, is_token
from .model import UpstreamRequest

__all__ = ["apply_credentials", "choose_alternative", "MissingCredentialError", "InvalidCredentialError"]

_BEARER_TYPES = frozenset({"oauth2", "openidconnect"})


def choose_alternative(
    tool: Tool, schemes: Mapping[str, SecurityScheme], secrets: Mapping[str, SecretValue]
) -> tuple[str, ...]:
    """Return the scheme names to apply: the first alternative whose schemes all have a secret.

    Schemes inside one alternative are all required (AND); alternatives are choices (OR).
    An authenticated alternative is preferred over an empty one, so optional auth is used
    whenever it is configured. Raises `MissingCredentialError` when nothing fits.
    """
    if not tool.security:
        return ()
    for alternative in tool.security:
        if alternative and all(name in secrets and name in schemes for name in alternative):
            return alternative
    if any(not alternative for alternative in tool.security):
        return ()

    options = [" and ".join(repr(name) for name in alternative) for alternative in tool.security]
    unknown = sorted({name for alternative in tool.security for name in alternative if name not in schemes})
    message = f"tool {tool.name!r} needs a secret for {' or '.join(options)}; set it with the workspace secret command"
    if unknown:
        message += f" (the spec declares no security scheme named {', '.join(repr(name) for name in unknown)})"
    raise MissingCredentialError(message)


def apply_credentials(
    request: UpstreamRequest, tool: Tool, schemes: Mapping[str, SecurityScheme], secrets: Mapping[str, SecretValue]
) -> UpstreamRequest:
    """Return `request` with the credentials of the chosen security alternative injected.

    A credential replaces any same-named header, query parameter or cookie the arguments
    produced, so a model can never override it.
    """
    for name in choose_alternative(tool, schemes, secrets):
        request = _apply_one(request, schemes[name], secrets[name])
    return request


def _apply_one(request: UpstreamRequest, scheme: SecurityScheme, secret: SecretValue) -> UpstreamRequest:
    kind = scheme.type.lower()
    if kind == "apikey":
        return _apply_api_key(request, scheme, secret)
    if kind == "http":
        http_scheme = (scheme.http_scheme or "").lower()
        if http_scheme == "basic":
            token = base64.b64encode(secret.reveal().encode("utf-8")).decode("ascii")
            return request.with_header("Authorization", f"Basic {token}")
        if http_scheme == "bearer":
            return request.with_header("Authorization", f"Bearer {_header_safe(scheme, secret)}")
        if not is_token(scheme.http_scheme or ""):
            raise InvalidCredentialError(f"security scheme {scheme.name!r} has no usable HTTP auth scheme name; fix the spec")
        # NOTE: schemes such as Digest need a challenge round trip, which is not done here;
        # the secret is sent as `<scheme> <secret>`, which suits token-style schemes.
        return request.with_header("Authorization", f"{scheme.http_scheme} {_header_safe(scheme, secret)}")
    if kind in _BEARER_TYPES:
        # The caller has already exchanged the client credentials for an access token.
        return request.with_header("Authorization", f"Bearer {_header_safe(scheme, secret)}")
    raise InvalidCredentialError(f"security scheme {scheme.name!r} has type {scheme.type!r}, which the gateway cannot send")


def _header_safe(scheme: SecurityScheme, secret: SecretValue) -> str:
    value = secret.reveal()
    if not value or not is_safe_value(value):
        raise InvalidCredentialError(
            f"the secret of security scheme {scheme.name!r} is empty or contains characters that are invalid in a header "
            "(line breaks, control characters or non-ASCII); store it again"
        )
    return value


def _apply_api_key(request: UpstreamRequest, scheme: SecurityScheme, secret: SecretValue) -> UpstreamRequest:
    parameter = scheme.parameter_name or ""
    location = (scheme.location or "").lower()
    if location == "header":
        if not is_token(parameter):
            raise InvalidCredentialError(f"security scheme {scheme.name!r}: {parameter[:80]!r} is not a valid header name")
        return request.with_header(parameter, _header_safe(scheme, secret))
    if location == "query":
        if not parameter:
            raise InvalidCredentialError(f"security scheme {scheme.name!r} names no query parameter; fix the spec")
        return _replace_query_parameter(request, parameter, secret.reveal())
    if location == "cookie":
        if not is_token(parameter):
            raise InvalidCredentialError(f"security scheme {scheme.name!r}: {parameter[:80]!r} is not a valid cookie name")
        return _merge_cookie(request, parameter, quote(secret.reveal(), safe=""))
    raise InvalidCredentialError(f"security scheme {scheme.name!r}: apiKey location {scheme.location!r} is not header, query or cookie")


def _replace_query_parameter(request: UpstreamRequest, name: str, value: str) -> UpstreamRequest:
    url, hash_mark, fragment = request.url.partition("#")
    base, _, query = url.partition("?")
    kept = [pair for pair in query.split("&") if pair and unquote(pair.split("=", 1)[0]) != name]
    kept.append(f"{quote(name, safe='')}={quote(value, safe='')}")
    return UpstreamRequest(request.method, f"{base}?{'&'.join(kept)}{hash_mark}{fragment}", request.headers, request.body)


def _merge_cookie(request: UpstreamRequest, name: str, value: str) -> UpstreamRequest:
    existing = request.header("Cookie") or ""
    kept = [pair.strip() for pair in existing.split(";") if pair.strip() and pair.split("=", 1)[0].strip() != name]
    return request.with_header("Cookie", "; ".join([f"{name}={value}", *kept]))
