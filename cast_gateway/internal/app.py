"""The internal API app: signed JSON routes under `/internal/v1/`, for its own listener."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from ..workspaces.service import WorkspaceService
from .keys import InternalSecrets
from .middleware import MAX_BODY_BYTES, SignatureMiddleware
from .nonces import NonceStore
from .responses import error_response
from .routes import internal_routes
from .signing import MAX_SKEW_S
from .verifier import RequestVerifier

__all__ = ["build_internal_app"]


def build_internal_app(
    service: WorkspaceService,
    *,
    secrets: InternalSecrets,
    nonces: NonceStore,
    on_change: Callable[[str], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.time,
    skew_s: int = MAX_SKEW_S,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> Starlette:
    """Build the internal API. Every request must carry a valid signature, on every path.

    `on_change(workspace_id)` is awaited after each change, once the service has stored it
    and evicted the cache. `clock` returns Unix seconds for the timestamp window.
    """
    verifier = RequestVerifier(secrets, nonces, skew_s=skew_s, clock=clock)
    app = Starlette(
        routes=internal_routes(service, on_change),
        middleware=[Middleware(SignatureMiddleware, verifier=verifier, max_body_bytes=max_body_bytes)],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.verifier = verifier
    return app


async def _http_error(request: Request, exc: Any) -> Response:
    # Starlette's own 404 and 405, in the API's error format.
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, f"{request.method} {request.url.path}: {exc.detail}")
