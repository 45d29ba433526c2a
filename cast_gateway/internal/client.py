"""A Python client of the internal API that signs every request.

Used by the command line (`cast-gateway --remote URL ...`) and by the tests. Paths are
built from percent-encoded segments and sent byte for byte (`yarl.URL(..., encoded=True)`),
with the Host header set to the value that was signed, so that what the gateway verifies
is exactly what was signed.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote, urlsplit

import aiohttp
import orjson
from yarl import URL

from ..openapi import SpecBundle
from .errors import RemoteAuthError, RemoteError, RemoteNotFoundError, RemoteRequestError, RemoteUnavailableError
from .keys import SigningKey
from .routes import PREFIX
from .signing import RequestTarget, sign_request

__all__ = ["InternalClient", "bundle_payload", "CLIENT_TIMEOUT_S"]

logger = logging.getLogger(__name__)

CLIENT_TIMEOUT_S = 60.0
MAX_ERROR_MESSAGE_CHARS = 500


def _segment(value: str) -> str:
    return quote(value, safe="")


def bundle_payload(bundle: SpecBundle) -> dict[str, Any]:
    """Return the JSON form of a spec bundle: text where it is UTF-8, base64 otherwise."""
    files: dict[str, Any] = {}
    for name, data in bundle.files.items():
        try:
            files[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            files[name] = {"base64": base64.b64encode(data).decode()}
    return {"main": bundle.main, "files": files}


class InternalClient:
    """Signed JSON requests to one gateway's internal API.

    `base_url` is the listener's origin, e.g. `http://127.0.0.1:8090`. Use it as an async
    context manager, or pass an `aiohttp.ClientSession` that the caller closes.
    """

    def __init__(
        self,
        base_url: str,
        key: SigningKey,
        *,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.time,
        timeout_s: float = CLIENT_TIMEOUT_S,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
            raise ValueError(f"internal API URL {base_url[:200]!r} is invalid; use an origin such as http://127.0.0.1:8090")
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._host = parts.netloc
        self._key = key
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def __aenter__(self) -> InternalClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def signed_request(
        self, method: str, path: str, *, body: bytes = b"", query: Sequence[tuple[str, str]] = (), timestamp: int | None = None
    ) -> tuple[str, dict[str, str]]:
        """Return the URL (already encoded) and headers of a signed request, without sending it."""
        raw_query = "&".join(f"{_segment(name)}={_segment(value)}" for name, value in query)
        target = RequestTarget(method=method, host=self._host, raw_path=path, raw_query=raw_query, body=body)
        signed_at = int(self._clock()) if timestamp is None else timestamp
        headers = sign_request(target, key_id=self._key.key_id, secret=self._key.secret, timestamp=signed_at)
        headers["Host"] = self._host
        if body:
            headers["Content-Type"] = "application/json"
        url = self._origin + path + (f"?{raw_query}" if raw_query else "")
        return url, headers

    async def request(
        self, method: str, path: str, payload: Mapping[str, Any] | None = None, *, query: Sequence[tuple[str, str]] = ()
    ) -> dict[str, Any]:
        """Send a signed request and return the JSON object of a 2xx response.

        Raises a RemoteError subclass chosen by the status (see the package docstring).
        """
        body = orjson.dumps(payload) if payload is not None else b""
        url, headers = self.signed_request(method, path, body=body, query=query)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(
                method, URL(url, encoded=True), data=body or None, headers=headers, allow_redirects=False,
                timeout=self._timeout,
            ) as response:
                status = response.status
                content = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RemoteUnavailableError(
                0, "unreachable", f"{method} {self._origin}{path} failed ({type(exc).__name__}); check that the gateway runs"
            ) from exc
        return _decode(status, content, method, path)

    # --- one method per endpoint

    async def create_workspace(
        self, workspace_id: str, bundle: SpecBundle, *, base_url: str | None = None, settings: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"id": workspace_id, "spec": bundle_payload(bundle)}
        if base_url is not None:
            payload["base_url"] = base_url
        if settings is not None:
            payload["settings"] = dict(settings)
        return await self.request("POST", f"{PREFIX}/workspaces", payload)

    async def get_workspace(self, workspace_id: str) -> dict[str, Any]:
        return await self.request("GET", self._workspace(workspace_id))

    async def update_workspace(
        self, workspace_id: str, *, base_url: str | None = None, settings: Mapping[str, Any] | None = None,
        expected_revision: int | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        if base_url is not None:
            payload["base_url"] = base_url
        if settings is not None:
            payload["settings"] = dict(settings)
        if expected_revision is not None:
            payload["expected_revision"] = expected_revision
        return await self.request("PATCH", self._workspace(workspace_id), payload)

    async def delete_workspace(self, workspace_id: str) -> dict[str, Any]:
        return await self.request("DELETE", self._workspace(workspace_id))

    async def upload_spec(self, workspace_id: str, bundle: SpecBundle) -> dict[str, Any]:
        return await self.request("PUT", self._workspace(workspace_id) + "/spec", bundle_payload(bundle))

    async def set_secret(self, workspace_id: str, name: str, value: str) -> dict[str, Any]:
        path = self._workspace(workspace_id) + "/secrets/" + _segment(name)
        return await self.request("PUT", path, {"value": value})

    async def delete_secret(self, workspace_id: str, name: str) -> dict[str, Any]:
        return await self.request("DELETE", self._workspace(workspace_id) + "/secrets/" + _segment(name))

    async def create_token(self, workspace_id: str, label: str = "") -> dict[str, Any]:
        return await self.request("POST", self._workspace(workspace_id) + "/tokens", {"label": label} if label else None)

    async def revoke_token(self, workspace_id: str, token_id: str) -> dict[str, Any]:
        return await self.request("DELETE", self._workspace(workspace_id) + "/tokens/" + _segment(token_id))

    async def set_tool_settings(self, workspace_id: str, tool: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        return await self.request("PUT", self._workspace(workspace_id) + "/tools/" + _segment(tool), settings)

    async def clear_tool_settings(self, workspace_id: str, tool: str) -> dict[str, Any]:
        return await self.request("DELETE", self._workspace(workspace_id) + "/tools/" + _segment(tool))

    async def reload_workspace(self, workspace_id: str) -> dict[str, Any]:
        return await self.request("POST", self._workspace(workspace_id) + "/reload")

    async def purge_deleted(self) -> dict[str, Any]:
        return await self.request("POST", f"{PREFIX}/maintenance/purge")

    @staticmethod
    def _workspace(workspace_id: str) -> str:
        return f"{PREFIX}/workspaces/{_segment(workspace_id)}"


def _decode(status: int, content: bytes, method: str, path: str) -> dict[str, Any]:
    try:
        data = orjson.loads(content) if content else {}
    except orjson.JSONDecodeError:
        data = None
    if 200 <= status < 300 and isinstance(data, dict):
        return data
    if 200 <= status < 300:
        raise RemoteUnavailableError(status, "invalid_response", f"{method} {path}: the response is not a JSON object")

    error = data.get("error") if isinstance(data, dict) else None
    code = str(error.get("code", "unknown")) if isinstance(error, dict) else "unknown"
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    message = (message or f"HTTP {status} from {method} {path}")[:MAX_ERROR_MESSAGE_CHARS]
    error_class: type[RemoteError]
    if status == 401:
        error_class = RemoteAuthError
    elif status == 404:
        error_class = RemoteNotFoundError
    elif 400 <= status < 500:
        error_class = RemoteRequestError
    else:
        error_class = RemoteUnavailableError
    pointer = error.get("pointer") if isinstance(error, dict) else None
    raise error_class(status, code, message, pointer=pointer if isinstance(pointer, str) else None)
