"""Per-node call counts and times, and compile time per phase (``profile=True``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


class ProfileStats:
    """Collected by a Function compiled with ``profile=True``; ``summary()`` prints it."""

    def __init__(self, name: str | None = None):
        self.name = name
        self.calls = 0
        self.node_calls: dict[Any, int] = defaultdict(int)
        self.node_time: dict[Any, float] = defaultdict(float)
        self.phases: dict[str, float] = {}

    def record_node(self, node: Any, seconds: float) -> None:
        self.node_calls[node] += 1
        self.node_time[node] += seconds

    def record_call(self) -> None:
        self.calls += 1

    def record_phase(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds

    def rows(self) -> list[tuple[Any, int, float, float]]:
        """(node, calls, seconds, share of all node time), slowest first."""
        total = sum(self.node_time.values()) or 1.0
        return sorted(((n, self.node_calls[n], t, t / total) for n, t in self.node_time.items()),
                      key=lambda row: -row[2])

    def summary(self, file: Any = None, n_apply_to_print: int = 15) -> str:
        lines = [f"Function profiling: {self.name or '<unnamed>'}",
                 f"  Calls: {self.calls}",
                 f"  Time in nodes: {sum(self.node_time.values()):.3e}s"]
        lines += [f"  {phase} time: {sec:.3e}s" for phase, sec in self.phases.items()]
        lines.append("  <% time> <sum %> <apply time> <calls> <id> <apply name>")
        running = 0.0
        for node, calls, sec, share in self.rows()[:n_apply_to_print]:
            running += share
            lines.append(f"  {share:6.1%}  {running:6.1%}  {sec:.3e}s  {calls:5d}  "
                         f"{node.uid:5d}  {node.op}")
        text = "\n".join(lines)
        if file is not None:
            print(text, file=file)
        return text
