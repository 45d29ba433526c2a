"""A DNS resolver for tests: answers from a table, records every lookup, never touches the network."""

from __future__ import annotations

import socket
from typing import Any

__all__ = ["RecordingResolver"]


class RecordingResolver:
    """Answers from a table and records every lookup; it never touches the network."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def resolve(self, host: str, port: int = 0, family: Any = socket.AF_INET) -> list[dict[str, Any]]:
        self.lookups.append(host)
        return [{"hostname": host, "host": address, "port": port, "family": socket.AF_INET, "proto": 0, "flags": 0}
                for address in self.answers[host]]

    async def close(self) -> None:
        return None
