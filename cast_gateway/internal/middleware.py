"""ASGI middleware that admits only signed requests, before routing.

It reads the whole body (up to a size limit), verifies the signature over the request
exactly as it arrived, and only then hands the request, with its body replayed, to the
app. Every path is guarded, including ones no route matches, so an altered path is
rejected as unsigned rather than reported as missing.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, MutableMapping

from .errors import NonceStoreError, SignatureError
from .responses import error_response
from .signing import RequestTarget
from .verifier import RequestVerifier

__all__ = ["SignatureMiddleware", "MAX_BODY_BYTES", "UNAUTHORIZED_MESSAGE"]

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Spec bundles are the largest bodies: several YAML files, escaped into JSON strings.
MAX_BODY_BYTES = 8 * 1024 * 1024
# One message for every signature failure, so that a caller cannot probe which check failed.
UNAUTHORIZED_MESSAGE = "the request signature is missing, invalid, expired or replayed"


class BodyTooLarge(Exception):
    pass


class SignatureMiddleware:
    def __init__(self, app: ASGIApp, verifier: RequestVerifier, *, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self._app = app
        self._verifier = verifier
        self._max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        declared = [value for name, value in headers if name.lower() == "content-length"]
        if declared and declared[0].isdigit() and int(declared[0]) > self._max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        try:
            body = await self._read_body(receive)
        except BodyTooLarge:
            await self._too_large(scope, receive, send)
            return

        hosts = [value for name, value in headers if name.lower() == "host"]
        target = RequestTarget(
            method=scope["method"],
            # Two Host headers make the target ambiguous; signing "" then fails the check.
            host=hosts[0] if len(hosts) == 1 else "",
            # Bytes from the wire, decoded one to one, so that the verifier checks what was sent.
            raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            body=body,
        )
        try:
            key_id = await self._verifier.verify(target, headers)
        except SignatureError:
            await error_response(401, "unauthorized", UNAUTHORIZED_MESSAGE)(scope, receive, send)
            return
        except NonceStoreError as exc:
            logger.error("internal API request rejected because the nonce store failed: %s", exc)
            await error_response(503, "unavailable", "the gateway cannot check request nonces now; retry later")(
                scope, receive, send
            )
            return

        scope.setdefault("state", {})["internal_key_id"] = key_id
        await self._app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_bytes:
                raise BodyTooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        logger.info("internal API request rejected: body over %d bytes", self._max_body_bytes)
        response = error_response(
            413, "payload_too_large", f"the request body is larger than {self._max_body_bytes} bytes"
        )
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """Return a receive callable that yields the body read already, then waits on the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
