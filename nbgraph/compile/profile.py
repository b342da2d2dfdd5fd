"""Per-node call counts and times, and compile time per phase (``profile=True``), printed the
way Theano's ``ProfileStats.summary()`` printed them."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

# compile phases in the order they happen (others, if recorded, follow)
PHASES = ("rewrite", "codegen", "c_compile", "cache_hit", "link", "total")


class ProfileStats:
    """Collected by a Function compiled with ``profile=True``; ``summary()`` prints it.

    >>> f = nbgraph.function([x], T.exp(x).sum(), profile=True)
    >>> _ = f(np.ones(3)); print(f.profile.summary())  # doctest: +SKIP
    """

    def __init__(self, name: str | None = None):
        self.name = name
        self.calls = 0
        self.call_time = 0.0   # seconds in Function.__call__ (Theano's fct_call_time)
        self.fn_time = 0.0     # of which in the VM (Theano's vm_call_time)
        self.node_calls: dict[Any, int] = defaultdict(int)
        self.node_time: dict[Any, float] = defaultdict(float)
        self.phases: dict[str, float] = {}
        self.inner: list[ProfileStats] = []  # inner graphs' functions (Scan's step, ...)

    def add_inner(self, stats: ProfileStats) -> None:
        """List the profile of an inner graph's function (printed after this one's)."""
        stats.name = stats.name or f"inner graph {len(self.inner)} of {self.name or 'function'}"
        self.inner.append(stats)

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

    def class_rows(self) -> list[tuple[str, int, int, float, float]]:
        """(op class, calls, applies, seconds, share), slowest first."""
        total = sum(self.node_time.values()) or 1.0
        calls: dict[str, int] = defaultdict(int)
        applies: dict[str, int] = defaultdict(int)
        seconds: dict[str, float] = defaultdict(float)
        for node, t in self.node_time.items():
            name = type(node.op).__name__
            calls[name] += self.node_calls[node]
            applies[name] += 1
            seconds[name] += t
        return sorted(((c, calls[c], applies[c], s, s / total) for c, s in seconds.items()),
                      key=lambda row: -row[3])

    def summary(self, file: Any = None, n_apply_to_print: int = 15) -> str:
        node_total = sum(self.node_time.values())
        lines = ["Function profiling", "==================",
                 f"  Message: {self.name or '<unnamed>'}",
                 f"  Time in {self.calls} calls to Function.__call__ (in thunks): "
                 f"{node_total:.3e}s"]
        if self.calls:
            lines.append(f"  Time per call in thunks: {node_total / self.calls:.3e}s")
            lines.append(f"  Time in Function.__call__: {self.call_time:.3e}s, of which in the "
                         f"VM: {self.fn_time:.3e}s")
        order = [p for p in PHASES if p in self.phases] + \
            [p for p in self.phases if p not in PHASES]
        lines += [f"  Compile phase {phase}: {self.phases[phase]:.3e}s" for phase in order]
        lines += ["", "Class", "---",
                  "<% time> <sum %> <apply time> <time per call> <#call> <#apply> <Class name>"]
        running = 0.0
        for name, calls, applies, sec, share in self.class_rows():
            running += share
            lines.append(f"  {share:6.1%}  {running:6.1%}  {sec:.3e}s  "
                         f"{sec / max(calls, 1):.3e}s  {calls:6d}  {applies:4d}  {name}")
        lines += ["", "Apply", "------",
                  "<% time> <sum %> <apply time> <time per call> <#call> <id> <Apply name>"]
        running = 0.0
        rows = self.rows()
        for node, calls, sec, share in rows[:n_apply_to_print]:
            running += share
            lines.append(f"  {share:6.1%}  {running:6.1%}  {sec:.3e}s  "
                         f"{sec / max(calls, 1):.3e}s  {calls:6d}  {node.uid:5d}  {node.op}")
        if len(rows) > n_apply_to_print:
            lines.append(f"   ... (remaining {len(rows) - n_apply_to_print} Apply instances "
                         f"account for {1 - running:.1%} of the time)")
        for inner in self.inner:  # its time is part of the node that runs it (Scan)
            lines += ["", inner.summary(n_apply_to_print=n_apply_to_print)]
        text = "\n".join(lines)
        if file is not None:
            print(text, file=file)
        return text


def timed(call: Callable[..., Any], stats: ProfileStats, mode: Any, field: str
          ) -> Callable[..., Any]:
    """``call`` adding the seconds of each call that returns to ``stats.<field>`` and to its
    mode's (Theano's ``Mode.call_time``/``fn_time``: ``field`` is one of those). Only profiled
    functions are wrapped: an unprofiled call reads no clock (its ~1 µs path is benchmarked)."""
    private = f"_{field}"

    def run(*args: Any) -> Any:
        start = time.perf_counter()
        result = call(*args)
        seconds = time.perf_counter() - start
        setattr(stats, field, getattr(stats, field) + seconds)
        setattr(mode, private, getattr(mode, private, 0.0) + seconds)
        return result

    return run
