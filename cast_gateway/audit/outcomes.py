"""The outcome of a tool call, as stored in the audit row."""

from enum import Enum

__all__ = ["Outcome"]


class Outcome(str, Enum):
    OK = "ok"
    UPSTREAM_ERROR = "upstream_error"
    INVALID_ARGUMENTS = "invalid_arguments"
    UNKNOWN_TOOL = "unknown_tool"
    MISSING_CREDENTIAL = "missing_credential"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    RESPONSE_DRIFT = "response_drift"
    INTERNAL_ERROR = "internal_error"
