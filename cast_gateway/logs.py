"""Logging set-up for the gateway process."""

from __future__ import annotations

import logging
import sys

__all__ = ["configure_logging", "QUIET_LOGGERS"]

# Loggers of libraries that print URLs (query strings may carry API keys) or headers
# at INFO or DEBUG; they stay at WARNING whatever the gateway's level.
QUIET_LOGGERS = ("aiohttp.access", "aiohttp.client", "hypercorn.access", "botocore", "aiobotocore", "urllib3", "httpx", "httpx2", "mcp.server.streamable_http")


class ContextFormatter(logging.Formatter):
    """Appends the context ids a log call passed in `extra` (workspace, tool) as key=value."""

    FIELDS = ("workspace", "tool", "tools")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(f"{name}={getattr(record, name)}" for name in self.FIELDS if hasattr(record, name))
        return f"{text} {context}" if context else text


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ContextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
