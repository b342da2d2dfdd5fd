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
from .inner import Cluster, Opened, expand_inner, wire_inner
from .kernels import running_snapshot
from .scopes import scope_clusters


def compiled_inner(fn: Any) -> list[tuple[Apply, str, Any]]:
    """(outer node, ``step``/``then``/``else``/``body``, compiled inner function) for each
    inner function that ran in ``fn``'s calls and was profiled with it (``fn.profile.inner``),
    in run order. Empty before the first call or without ``profile=True``."""
    stats = getattr(fn, "profile", None)
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    if stats is None or fgraph is None:
        return []
    mine = {id(inner) for inner in stats.inner}
    found = []
    for node in fgraph.toposort():
        graphs = inner_graphs(node)
        for key, value in getattr(node.op, "_fns", {}).items():
            inner = value[0] if isinstance(value, tuple) else value  # IfElse: (fn, positions)
            if id(getattr(inner, "profile", None)) not in mine:
                continue
            taken = key[1] if isinstance(key, tuple) and isinstance(key[1], bool) else None
            label = graphs[0].label if taken is None else ("then" if taken else "else")
            found.append((node, label, inner))
    return found


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
        for label, inner in sorted(by_node[node], key=lambda pair: pair[0] != "then"):
            snap = running_snapshot(inner)
            clusters.append(wire_inner(f"{node.op}: {label} (compiled)", snap.nodes, outer,
                                       seen, records))
            feeds += [uid for uid in snap.outputs if uid not in feeds]
        return records, tuple(feeds), clusters, {record_uid(v) for v in outer.values()}

    return open_node


def running_drawable(fn: Any) -> tuple[Snapshot, list[Cluster]]:
    """What ran in ``fn`` (``kernels.running_snapshot``) with each inner function that ran
    opened in its box, and the boxes (the Profile view's drawing)."""
    nodes = fn.maker.fgraph.toposort()
    snap, clusters = expand_inner(running_snapshot(fn), nodes, _opener(fn))
    return snap, clusters + scope_clusters(nodes, {rec.uid for rec in snap.nodes})
