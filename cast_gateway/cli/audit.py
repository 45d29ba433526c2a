"""`audit tail`: the newest audit events of a workspace."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .context import local_service, run

__all__ = ["register"]


def register(subcommands: Any) -> None:
    audit = subcommands.add_parser("audit", help="read the audit log")
    actions = audit.add_subparsers(dest="action", required=True, metavar="ACTION")
    tail = actions.add_parser("tail", help="print the newest events of a workspace, oldest first, one JSON object a line")
    tail.add_argument("workspace_id", metavar="WORKSPACE")
    tail.add_argument("-n", type=int, default=20, metavar="N", help="how many events (default 20, at most 10000)")
    tail.set_defaults(handler=audit_tail)


def audit_tail(args: argparse.Namespace) -> int:
    if not 1 <= args.n <= 10_000:
        raise ValueError(f"-n {args.n} is out of range; use 1 to 10000")

    async def main() -> list[Any]:
        async with local_service(args) as service:
            if await service.store.get_workspace(args.workspace_id, include_deleted=True) is None:
                raise LookupError(f"workspace {args.workspace_id!r} not found")
            events: list[Any] = await service.store.list_audit(args.workspace_id, args.n)
            return events

    for event in reversed(run(main())):
        print(json.dumps({
            "timestamp": event.timestamp.isoformat(), "workspace": event.workspace_id, "tool": event.tool,
            "status": event.status, "latency_ms": event.latency_ms, "client_id": event.client_id, "outcome": event.outcome,
        }))
    return 0
