"""Process-wide counters, rendered in the Prometheus text format at /metrics.

The hot path counts here instead of logging each call.
"""

from __future__ import annotations

from collections import Counter
from typing import Callable

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.counters: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self.gauges: dict[str, Callable[[], float]] = {}

    def count(self, name: str, amount: int = 1, **labels: str) -> None:
        self.counters[(name, tuple(sorted(labels.items())))] += amount

    def value(self, name: str, **labels: str) -> int:
        return self.counters[(name, tuple(sorted(labels.items())))]

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        self.gauges[name] = read

    def render(self) -> str:
        lines = []
        for (name, labels), amount in sorted(self.counters.items()):
            label_text = ",".join(f'{key}="{value}"' for key, value in labels)
            lines.append(f"cast_{name}{{{label_text}}} {amount}" if label_text else f"cast_{name} {amount}")
        for name, read in sorted(self.gauges.items()):
            lines.append(f"cast_{name} {read()}")
        return "\n".join(lines) + "\n"
