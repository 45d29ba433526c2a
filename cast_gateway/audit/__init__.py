"""Audit of tool calls: a bounded queue, one writer task, batched inserts, retention.

An event holds the time, workspace, tool, upstream status, latency, the client's
pseudonym and the outcome: never arguments, bodies, headers or query strings.
"""

from .outcomes import Outcome
from .retention import RetentionJob, delete_expired
from .writer import AuditWriter

__all__ = ["AuditWriter", "Outcome", "RetentionJob", "delete_expired"]
