"""The inner functions that really ran: a scan's compiled step, an ifelse's compiled branches,
an OpFromGraph's compiled body, opened in place for the Profile view.

The Graph tab opens the user's inner graphs (``inner.expand_inner``); the Profile tab times
what ran, so it opens each inner function as its linker built it (``kernels``: fused loops,
kernels, concrete shapes), whose nodes are the ones ``fn.profile.inner`` timed. A compiled
inner function keeps its input Variables, so its inputs wire to the outer graph as the
user's taps do.
"""

from __future__ import annotations

from typing import Any

from ..core.graph import Apply, Variable
from ..core.printing import inner_graphs
from ..core.records import NodeRecord, Snapshot, record_uid
from .inner import Cluster, Opened, expand_inner, nest, wire_inner
from .kernels import running_snapshot
from .scopes import scope_clusters


def inner_functions(node: Apply) -> list[tuple[str, Any]]:
    """(``step``/``then``/``else``/``body``, compiled function) per inner function compiled
    for ``node``'s op so far (each compiler makes its own), the ``then`` branch first."""
    graphs = inner_graphs(node)
    found = []
    for key, value in getattr(node.op, "_fns", {}).items():
        inner = value[0] if isinstance(value, tuple) else value  # IfElse: (fn, positions)
        taken = key[1] if isinstance(key, tuple) and isinstance(key[1], bool) else None
        label = graphs[0].label if taken is None or not graphs else \
            ("then" if taken else "else")
        found.append((label, inner))
    return sorted(found, key=lambda pair: pair[0] == "else")


def compiled_inner(fn: Any) -> list[tuple[Apply, str, Any]]:
    """(outer node, ``step``/``then``/``else``/``body``, compiled inner function) for each
    inner function compiled for ``fn``'s calls so far, in run order: with ``profile=True``
    those profiled with it (``fn.profile.inner``: their nodes are the timed ones), else the
    unprofiled ones (each compiler key makes its own). Empty before the first call."""
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    if fgraph is None:
        return []
    stats = getattr(fn, "profile", None)
    mine = {id(inner) for inner in stats.inner} if stats is not None else {id(None)}
    return [(node, label, inner) for node in fgraph.toposort()
            for label, inner in inner_functions(node)
            if id(getattr(inner, "profile", None)) in mine]


def _opener(fn: Any) -> Any:
    """``expand_inner``'s opener: a node's compiled inner functions' running graphs."""
    by_node: dict[Apply, list[tuple[str, Any]]] = {}
    for node, label, inner in compiled_inner(fn):
        by_node.setdefault(node, []).append((label, inner))

    def open_node(node: Apply) -> Opened | None:
        if node not in by_node:
            return None
        outer: dict[int, Variable] = {var.uid: out for g in inner_graphs(node)
                                      for var, out in g.outer.items()}
        records: list[NodeRecord] = []
        seen: set[int] = set()
        feeds: list[int] = []
        clusters: list[Cluster] = []
        for label, inner in by_node[node]:
            snap = running_snapshot(inner)
            wired: list[NodeRecord] = []
            box, _ = wire_inner(f"{node.op}: {label} (compiled)", snap.nodes, outer, seen,
                                wired, snap.outputs)
            # a scan inside this step: its own compiled step, in a box inside this one
            opened, boxes = nest(box, Snapshot(tuple(wired), snap.outputs),
                                 inner.maker.fgraph.toposort(), _opener(inner))
            seen.update(rec.uid for rec in opened)
            records += opened
            clusters += boxes
            feeds += [uid for uid in snap.outputs if uid not in feeds]
        return records, tuple(feeds), clusters, {record_uid(v) for v in outer.values()}

    return open_node


def running_drawable(fn: Any) -> tuple[Snapshot, list[Cluster]]:
    """What ran in ``fn`` (``kernels.running_snapshot``) with each inner function that ran
    opened in its box, and the boxes (the Profile view's drawing)."""
    nodes = fn.maker.fgraph.toposort()
    snap, clusters = expand_inner(running_snapshot(fn), nodes, _opener(fn))
    return snap, clusters + scope_clusters(nodes, {rec.uid for rec in snap.nodes})
