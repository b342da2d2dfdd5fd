"""The Profile tab's numbers: warm up, time a budget of calls, and reduce per-node samples to
rows whose boxes are the drawn kernels (a fused prologue's time goes to its reduction).

``fn.profile`` (``compile.profile.ProfileStats``) sums node times over every call; the tab
wants each node's time per call, so ``time_calls`` reads the sums before and after each call.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.graph import Apply
from .kernels import fused_groups, fused_loop_labels, kernel_label

MIN_CALLS = 3          # a time budget still gives a median of at least this many calls
MAX_CALLS = 2_000      # and stops here on a graph too cheap to fill the budget
DEFAULT_SECONDS = 0.2  # the budget when neither --calls nor --time is given


@dataclass(frozen=True)
class Timing:
    """Per node, its seconds in each timed call (after one untimed warm-up call)."""

    calls: int
    samples: dict[Apply, list[float]]


@dataclass(frozen=True)
class ProfileRow:
    """One drawn box of the Profile tab: its uid and op, calls, fastest and median time per
    call (None when only totals are known: then ``mean``), and its share of the time."""

    uid: int
    op: str
    calls: int
    best: float | None
    median: float | None
    mean: float
    share: float

    @property
    def per_call(self) -> float:
        return self.median if self.median is not None else self.mean


def time_calls(fn: Any, values: Sequence[Any], calls: int | None = None,
               seconds: float | None = None) -> Timing:
    """Call ``fn(*values)`` once untimed (caches, first allocations), then ``calls`` times, or
    for ``seconds`` (default ``DEFAULT_SECONDS``; at least ``MIN_CALLS`` calls), recording
    each node's time in each call. ``fn`` must be compiled with ``profile=True``."""
    stats = getattr(fn, "profile", None)
    if stats is None:
        raise ValueError("time_calls: the function was compiled without profile=True")
    if calls is not None and calls < 1:
        raise ValueError(f"time_calls: calls={calls}, expected at least 1")
    budget = DEFAULT_SECONDS if seconds is None else seconds
    fn(*values)
    samples: dict[Apply, list[float]] = defaultdict(list)
    start, done = time.perf_counter(), 0
    while True:
        before = dict(stats.node_time)
        fn(*values)
        done += 1
        for node, total in stats.node_time.items():
            samples[node].append(total - before.get(node, 0.0))
        if calls is not None:
            if done >= calls:
                break
        elif done >= MAX_CALLS or (done >= MIN_CALLS and time.perf_counter() - start >= budget):
            break
    return Timing(done, dict(samples))


def _nodes(fn: Any) -> list[Apply]:
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    return fgraph.toposort() if fgraph is not None else []


def _boxes(fn: Any, nodes: Sequence[Apply]) -> dict[Apply, Apply]:
    """Node -> the node whose box it is drawn in (a fused prologue: its reduction)."""
    box = {node: node for node in nodes}
    for red, members in fused_groups(fn).items():
        for node in members:
            box[node] = red
    return box


def profile_rows(fn: Any, timing: Timing | None = None) -> list[ProfileRow]:
    """One row per drawn box, slowest first: from ``timing`` (min and median per call), else
    from the totals in ``fn.profile`` (mean per call only); none without either."""
    groups = fused_groups(fn)
    loops = fused_loop_labels(fn)  # rows read as the boxes are labelled
    labels = {red: kernel_label(members) for red, members in groups.items()}
    labels |= {node: loops[node.uid] for node in _nodes(fn) if node.uid in loops}
    if timing is not None:
        per_box: dict[Apply, list[float]] = {}
        box = _boxes(fn, list(timing.samples))
        for node, times in timing.samples.items():
            summed = per_box.setdefault(box[node], [0.0] * len(times))
            per_box[box[node]] = [a + b for a, b in zip(summed, times, strict=True)]
        medians = {node: statistics.median(times) for node, times in per_box.items()}
        total = sum(medians.values()) or 1.0
        rows = [ProfileRow(node.uid, labels.get(node, str(node.op)), len(times), min(times),
                           medians[node], statistics.fmean(times), medians[node] / total)
                for node, times in per_box.items()]
    else:
        stats = getattr(fn, "profile", None)
        if stats is None or not stats.node_time:
            return []
        seconds: dict[Apply, float] = defaultdict(float)
        calls: dict[Apply, int] = {}
        box = _boxes(fn, list(stats.node_time))
        for node, total in stats.node_time.items():
            seconds[box[node]] += total
            calls.setdefault(box[node], stats.node_calls[box[node]])
        total = sum(seconds.values()) or 1.0
        rows = [ProfileRow(node.uid, labels.get(node, str(node.op)), calls[node], None, None,
                           sec / max(calls[node], 1), sec / total)
                for node, sec in seconds.items()]
    return sorted(rows, key=lambda row: -row.per_call)
