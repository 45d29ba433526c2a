"""Audit of tool calls: a bounded queue, one writer task, batched inserts, retention.

An event contains the time, workspace, tool, upstream status, latency, the client's
pseudonym and the outcome: never arguments, bodies, headers or query strings.
"""

from .outcomes import Outcome
from .retention import delete_expired, retention_job
from .writer import AuditWriter

__all__ = ["AuditWriter", "Outcome", "delete_expired", "retention_job"]
