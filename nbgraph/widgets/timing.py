"""The Profile tab's numbers: warm up, time a budget of calls, and reduce per-node samples to
rows whose boxes are the drawn kernels (a fused prologue's time goes to its reduction), and
the rows of the inner functions that ran (a scan's step: ``inner_run.compiled_inner``) after
the row of the node that ran them.

``fn.profile`` (``compile.profile.ProfileStats``) sums node times over every call; the tab
wants each node's time per call, so ``time_calls`` reads the sums before and after each call.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..core.graph import Apply
from .inner_run import compiled_inner
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
    call (None when only totals are known: then ``mean``), and its share of the time.
    An inner node's row is ``within`` its outer node (``#39 Scan step``); its times are per
    call of the outer function (every step of the call summed), its share one of the whole."""

    uid: int
    op: str
    calls: int
    best: float | None
    median: float | None
    mean: float
    share: float
    within: str = ""

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
    fn(*values)  # also compiles the inner functions (a scan's step) and lists their stats
    samples: dict[Apply, list[float]] = defaultdict(list)
    start, done = time.perf_counter(), 0
    while True:
        before = {node: total for s in _all_stats(stats) for node, total in s.node_time.items()}
        fn(*values)
        done += 1
        for node, total in ((n, t) for s in _all_stats(stats) for n, t in s.node_time.items()):
            samples[node].append(total - before.get(node, 0.0))
        if calls is not None:
            if done >= calls:
                break
        elif done >= MAX_CALLS or (done >= MIN_CALLS and time.perf_counter() - start >= budget):
            break
    return Timing(done, dict(samples))


def _all_stats(stats: Any) -> list[Any]:
    """``stats`` and its inner functions' stats, nested ones too."""
    return [stats] + [s for inner in stats.inner for s in _all_stats(inner)]


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
    """One row per drawn box, slowest first, each followed by the rows of the inner functions
    it ran: from ``timing`` (min and median per call), else from the totals in
    ``fn.profile`` (mean per call only); none without either."""
    rows = _own_rows(fn, timing)
    total = sum(row.per_call for row in rows) or 1.0
    rows = [replace(row, share=row.per_call / total) for row in rows]
    calls = rows[0].calls if rows else 0
    inner: dict[int, list[ProfileRow]] = defaultdict(list)
    for node, label, step in compiled_inner(fn):
        for row in profile_rows(step, timing):
            per_call = row.per_call if timing is not None else \
                row.mean * row.calls / max(calls, 1)  # per call of fn, all steps summed
            inner[node.uid].append(replace(
                row, calls=calls,  # a row of a scan inside the step keeps its own scan
                within=row.within or f"#{node.uid} {type(node.op).__name__} {label}",
                mean=per_call if timing is None else row.mean, share=per_call / total))
    return [r for row in rows for r in [row, *inner.get(row.uid, [])]]


def _own_rows(fn: Any, timing: Timing | None) -> list[ProfileRow]:
    """``fn``'s own boxes (not its inner functions'), slowest first, share not yet set."""
    nodes = set(_nodes(fn))
    groups = fused_groups(fn)
    loops = fused_loop_labels(fn)  # rows read as the boxes are labelled
    labels = {red: kernel_label(members) for red, members in groups.items()}
    labels |= {node: loops[node.uid] for node in nodes if node.uid in loops}
    if timing is not None:
        per_box: dict[Apply, list[float]] = {}
        samples = {node: times for node, times in timing.samples.items() if node in nodes}
        box = _boxes(fn, list(samples))
        for node, times in samples.items():
            summed = per_box.setdefault(box[node], [0.0] * len(times))
            per_box[box[node]] = [a + b for a, b in zip(summed, times, strict=True)]
        rows = [ProfileRow(node.uid, labels.get(node, str(node.op)), len(times), min(times),
                           statistics.median(times), statistics.fmean(times), 0.0)
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
        rows = [ProfileRow(node.uid, labels.get(node, str(node.op)), calls[node], None, None,
                           sec / max(calls[node], 1), 0.0)
                for node, sec in seconds.items()]
    return sorted(rows, key=lambda row: -row.per_call)


def graph_order(rows: Sequence[ProfileRow]) -> list[ProfileRow]:
    """``rows`` by uid (the same on every run), each inner row after the node that ran it."""
    inner: dict[str, list[ProfileRow]] = defaultdict(list)
    for row in rows:
        if row.within:
            inner[row.within.split(" ", 1)[0]].append(row)

    def with_inner(level: Sequence[ProfileRow]) -> list[ProfileRow]:
        return [r for row in sorted(level, key=lambda row: row.uid)
                for r in [row, *with_inner(inner.get(f"#{row.uid}", []))]]

    return with_inner([row for row in rows if not row.within])
