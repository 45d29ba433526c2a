"""One tools/call, from arguments to MCP result, with its audit event.

Steps: find the tool, validate the arguments, build the request, decrypt and inject
the credentials, send, map the response, record the audit event. Every failure ends
as an `isError` result with a message for the model. Nothing raised here reaches the
SDK, because its catch-all would put the exception text on the wire.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Mapping

import mcp_types as types

from ..audit import AuditWriter, Outcome
from ..request.builder import build_request
from ..request.credentials import apply_credentials
from ..request.errors import ArgumentError, MissingCredentialError, RequestBuildError
from ..request.response import map_response
from ..request.validation import validate_arguments
from ..store import AuditEvent
from ..store.records import utc_now
from ..upstream.oauth import ClientCredentialsTokens
from ..upstream import (
    BlockedDestinationError,
    UpstreamClient,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)
from ..vault import DecryptionError, SecretValue
from ..workspaces.service import WorkspaceService
from ..workspaces.tool_settings import merge_fixed_arguments
from .metrics import Metrics
from .runtime import WorkspaceRuntime
from .usage import SecretUsage

__all__ = ["ToolCaller", "CallOutcome"]

logger = logging.getLogger(__name__)


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


class CallOutcome:
    """The result of one call plus what the audit row needs."""

    __slots__ = ("result", "outcome", "status")

    def __init__(self, result: types.CallToolResult | types.ErrorData, outcome: Outcome, status: int | None = None) -> None:
        self.result = result
        self.outcome = outcome
        self.status = status


class ToolCaller:
    def __init__(self, service: WorkspaceService, client: UpstreamClient, audit: AuditWriter, metrics: Metrics) -> None:
        self._service = service
        self._client = client
        self._audit = audit
        self._metrics = metrics
        self._oauth = ClientCredentialsTokens(client)
        self.usage = SecretUsage(service.store)

    async def call(
        self, runtime: WorkspaceRuntime, name: str, arguments: Mapping[str, Any] | None, client_id: str
    ) -> types.CallToolResult | types.ErrorData:
        started = time.perf_counter()
        try:
            outcome = await self._call(runtime, name, arguments or {})
        except Exception:
            # The last line of defence: log the traceback for operators, tell the client nothing of it.
            logger.exception("tool call failed inside the gateway", extra={"workspace": runtime.workspace_id, "tool": name[:128]})
            outcome = CallOutcome(error_result("The gateway failed to run this tool call; the error is logged."), Outcome.INTERNAL_ERROR)

        latency_ms = (time.perf_counter() - started) * 1000
        self._metrics.count("tool_calls_total", outcome=outcome.outcome.value)
        self._audit.record(
            AuditEvent(
                timestamp=utc_now(),
                workspace_id=runtime.workspace_id,
                tool=name[:191],
                status=outcome.status,
                latency_ms=round(latency_ms, 3),
                client_id=client_id,
                outcome=outcome.outcome.value,
            )
        )
        return outcome.result

    async def _call(self, runtime: WorkspaceRuntime, name: str, arguments: Mapping[str, Any]) -> CallOutcome:
        tool = runtime.tools.get(name)
        if tool is None:
            message = f"Unknown tool: {name[:128]!r}; call tools/list for the tools of this workspace"
            return CallOutcome(types.ErrorData(code=types.INVALID_PARAMS, message=message), Outcome.UNKNOWN_TOOL)

        try:
            validate_arguments(tool, arguments)
            if runtime.base_url is None:
                return CallOutcome(
                    error_result("This workspace has no upstream base URL: its spec lists no server; the workspace owner must set one."),
                    Outcome.INTERNAL_ERROR,
                )
            if tool.fixed_arguments:
                arguments = merge_fixed_arguments(tool, arguments)
            request = build_request(tool, arguments, runtime.base_url)
        except (ArgumentError, RequestBuildError) as exc:
            return CallOutcome(error_result(f"Invalid arguments for {tool.name}: {exc}"), Outcome.INVALID_ARGUMENTS)

        secrets = self._decrypt_for(runtime, tool.security)
        try:
            await self._exchange_oauth(runtime, secrets)
            request = apply_credentials(request, tool, runtime.compiled.security_schemes, secrets)
        except MissingCredentialError as exc:
            return CallOutcome(error_result(f"The workspace is missing a credential: {exc}"), Outcome.MISSING_CREDENTIAL)
        finally:
            secrets.clear()

        try:
            response = await self._client.send(request)
        except BlockedDestinationError as exc:
            return CallOutcome(error_result(f"The upstream call was blocked: {exc}"), Outcome.BLOCKED)
        except UpstreamTimeoutError as exc:
            return CallOutcome(error_result(f"The upstream timed out: {exc}"), Outcome.TIMEOUT)
        except UpstreamUnreachableError as exc:
            return CallOutcome(error_result(f"The upstream is unreachable: {exc}"), Outcome.UNREACHABLE)
        finally:
            del request  # the injected credential lives in it: drop it as soon as it is sent

        if response.status == 401:
            for scheme_name in {name for alternative in tool.security for name in alternative}:
                self._oauth.forget(runtime.workspace_id, scheme_name)
        mapped = map_response(tool, response, drift_is_error=runtime.drift_is_error)
        if mapped.drifted:
            self._metrics.count("response_drift_total", workspace=runtime.workspace_id)
        if response.status >= 400:
            outcome = Outcome.UPSTREAM_ERROR
        elif mapped.drifted and runtime.drift_is_error:
            outcome = Outcome.RESPONSE_DRIFT
        else:
            outcome = Outcome.OK
        return CallOutcome(mapped.result, outcome, response.status)

    async def _exchange_oauth(self, runtime: WorkspaceRuntime, secrets: dict[str, SecretValue]) -> None:
        """Replace OAuth2 client credentials by an access token, which the injector sends as a bearer."""
        for scheme_name, credential in list(secrets.items()):
            scheme = runtime.compiled.security_schemes.get(scheme_name)
            if scheme is not None and scheme.type == "oauth2" and scheme.token_url:
                secrets[scheme_name] = await self._oauth.access_token(runtime.workspace_id, scheme, credential)

    def _decrypt_for(self, runtime: WorkspaceRuntime, alternatives: tuple[tuple[str, ...], ...]) -> dict[str, SecretValue]:
        """Decrypt just the secrets this tool's security alternatives can use."""
        secrets: dict[str, SecretValue] = {}
        for scheme_name in {name for alternative in alternatives for name in alternative}:
            record = runtime.secrets.get(scheme_name)
            if record is None:
                continue
            try:
                secrets[scheme_name] = self._service.decrypt_secret(record)
                self.usage.note(record.id)
            except DecryptionError:
                logger.error("secret %r of workspace %s does not decrypt; treating it as missing",
                             scheme_name, runtime.workspace_id)
                self._metrics.count("secret_decrypt_failures_total", workspace=runtime.workspace_id)
        return secrets
