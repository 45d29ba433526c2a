"""Security schemes and requirements of a spec.

A requirement list is a list of alternatives (OR); each alternative is a mapping of scheme
names that must all apply (AND) to their scopes. `security: []` on an operation means no
credential at all, and an empty alternative `{}` makes authentication optional.
"""

from __future__ import annotations

from typing import Any

from .model import SecurityScheme

__all__ = ["parse_schemes", "parse_requirements", "undefined_schemes"]


def _scheme(name: str, raw: dict[str, Any]) -> SecurityScheme | None:
    kind = raw.get("type")
    if not isinstance(kind, str):
        return None
    if kind == "apiKey":
        location = raw.get("in")
        parameter = raw.get("name")
        if location not in ("header", "query", "cookie") or not isinstance(parameter, str):
            return None
        return SecurityScheme(name=name, type=kind, location=location, parameter_name=parameter)
    if kind == "http":
        scheme = raw.get("scheme")
        return SecurityScheme(name=name, type=kind, http_scheme=scheme.lower() if isinstance(scheme, str) else None)
    if kind == "oauth2":
        flows = raw.get("flows") if isinstance(raw.get("flows"), dict) else {}
        flow = flows.get("clientCredentials")
        token_url = flow.get("tokenUrl") if isinstance(flow, dict) else None
        scopes = flow.get("scopes") if isinstance(flow, dict) else None
        return SecurityScheme(
            name=name,
            type=kind,
            token_url=token_url if isinstance(token_url, str) else None,
            scopes=tuple(str(scope) for scope in scopes) if isinstance(scopes, dict) else (),
        )
    return SecurityScheme(name=name, type=kind)


def parse_schemes(raw: Any) -> tuple[dict[str, SecurityScheme], list[str]]:
    """Return the usable schemes by name and a problem message for each one skipped."""
    schemes: dict[str, SecurityScheme] = {}
    problems: list[str] = []
    if not isinstance(raw, dict):
        return schemes, problems
    for name, value in raw.items():
        scheme = _scheme(str(name), value) if isinstance(value, dict) else None
        if scheme is None:
            problems.append(f"security scheme {str(name)!r} is incomplete (type, in or name missing); skipped")
            continue
        schemes[str(name)] = scheme
    return schemes, problems


def parse_requirements(
    raw: Any,
) -> tuple[tuple[tuple[str, ...], ...], dict[str, tuple[str, ...]], list[str]] | None:
    """Return (alternatives, scopes by scheme, problems), or None when `raw` is not a list.

    Each alternative is a sorted tuple of scheme names. Scopes are merged across alternatives.
    """
    if not isinstance(raw, list):
        return None
    alternatives: list[tuple[str, ...]] = []
    scopes: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for index, requirement in enumerate(raw):
        if not isinstance(requirement, dict):
            problems.append(f"security requirement {index} is not an object; ignored")
            continue
        names = []
        for name, wanted in requirement.items():
            names.append(str(name))
            if isinstance(wanted, list):
                merged = list(scopes.get(str(name), ()))
                merged += [str(scope) for scope in wanted if str(scope) not in merged]
                scopes[str(name)] = tuple(merged)
        alternative = tuple(sorted(names))
        if alternative not in alternatives:
            alternatives.append(alternative)
    return tuple(alternatives), scopes, problems


def undefined_schemes(alternatives: tuple[tuple[str, ...], ...], schemes: dict[str, SecurityScheme]) -> list[str]:
    """Return a problem message for each scheme a requirement names that the spec does not define."""
    missing = sorted({name for alternative in alternatives for name in alternative if name not in schemes})
    return [
        f"security requirement names scheme {name!r}, which components/securitySchemes does not define; "
        "a call needing it fails until the spec defines it"
        for name in missing
    ]
