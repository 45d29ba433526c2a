"""JSON error responses of the internal API: `{"error": {"code": ..., "message": ...}}`.

Every exception a handler lets through is mapped here, in one place, to a status and a
code. Messages come from the exceptions, which name ids, names and JSON pointers but
never a secret value, a token or a request body.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.responses import JSONResponse

from ..blobs import BlobNotFoundError, BlobUnavailableError
from ..openapi import SpecError
from ..store.errors import ConflictError, StoreUnavailableError
from ..workspaces.service import WorkspaceNotFoundError
from ..workspaces.tool_settings import ToolSettingsError
from .errors import NonceStoreError

__all__ = ["PayloadError", "NotFoundError", "PayloadTooLargeError", "error_response", "response_for_exception"]

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 500


class PayloadError(ValueError):
    """A request body that is not valid JSON or lacks a field; maps to 400."""


class NotFoundError(LookupError):
    """A secret, token or route that does not exist; maps to 404."""


class PayloadTooLargeError(ValueError):
    """A request body over the size limit; maps to 413."""


def error_response(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message[:MAX_MESSAGE_CHARS]}
    error.update(extra)
    return JSONResponse({"error": error}, status_code=status)


def response_for_exception(exc: BaseException, *, route: str) -> JSONResponse:
    """Map an exception from a handler to its error response, logging one line."""
    status, code = _classify(exc)
    if status >= 500:
        # The traceback helps the operator. It contains the exception, never the request body.
        logger.error("internal API %s failed with %s", route, type(exc).__name__, exc_info=status == 500)
    else:
        logger.info("internal API %s: %d %s: %s", route, status, code, str(exc)[:MAX_MESSAGE_CHARS])

    if status == 500:
        return error_response(500, code, "the gateway failed to handle the request; see its log")
    extra = {}
    pointer = getattr(exc, "pointer", None)
    if isinstance(exc, SpecError) and isinstance(pointer, str):
        extra["pointer"] = pointer
    return error_response(status, code, str(exc), **extra)


def _classify(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, PayloadTooLargeError):
        return 413, "payload_too_large"
    if isinstance(exc, PayloadError):
        return 400, "invalid_request"
    if isinstance(exc, (WorkspaceNotFoundError, NotFoundError, BlobNotFoundError)):
        return 404, "not_found"
    if isinstance(exc, ConflictError):
        return 409, "conflict"
    if isinstance(exc, SpecError):
        return 422, "invalid_spec"
    if isinstance(exc, ToolSettingsError):
        return 422, "invalid_tool_settings"
    if isinstance(exc, (StoreUnavailableError, BlobUnavailableError, NonceStoreError)):
        return 503, "unavailable"
    if isinstance(exc, ValueError):
        return 400, "invalid_request"
    return 500, "internal_error"
