"""Inner graphs opened in place: a scan's step, an ifelse's branches, an OpFromGraph's body.

``expand_inner`` adds the inner nodes of every such node to a snapshot, in one labelled box
per inner graph (``core.graphviz.to_dot``'s ``clusters``). Each inner input becomes a small
node fed by the outer Variable it stands for (a scan's ``y[t-1]`` tap by the initial state,
its ``x[t]`` by the sequence); the inner outputs feed the outer node, which stays drawn as
the loop (or the choice) that collects them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from ..core.graph import Apply, Variable
from ..core.printing import inner_graphs
from ..core.records import NodeRecord, Snapshot, record_uid, snapshot_records

Cluster = tuple[str, frozenset[int]]
# one opened node: its inner records, the uids feeding it, its boxes, the outer uids wired in
Opened = tuple[list[NodeRecord], tuple[int, ...], list[Cluster], set[int]]


def wire_inner(label: str, inner: Iterable[NodeRecord], outer: Mapping[int, Variable],
               seen: set[int], records: list[NodeRecord]) -> Cluster:
    """Add ``inner``'s records not yet ``seen`` to ``records``, each inner input (a uid in
    ``outer``) rewired as a tap fed by its outer Variable; the cluster that boxes them."""
    members = []
    for rec in inner:
        if rec.uid in seen:
            continue
        seen.add(rec.uid)
        fed_by = outer.get(rec.uid)
        if fed_by is not None:  # an inner input: a tap fed by its outer Variable
            rec = replace(rec, inputs=(record_uid(fed_by),), origin="user")
        records.append(rec)
        members.append(rec.uid)
    return label, frozenset(members)


def _inner_records(node: Apply) -> Opened:
    """The records of ``node``'s inner graphs (taps wired to the outer records), the uids
    that feed ``node`` (its inner outputs), one cluster per inner graph, the outer uids."""
    records: list[NodeRecord] = []
    seen: set[int] = set()
    feeds: list[int] = []
    clusters = []
    for graph in inner_graphs(node):
        inner, outputs = snapshot_records(list(graph.outputs), list(graph.outer))
        outer_by_uid = {var.uid: outer for var, outer in graph.outer.items()}
        clusters.append(wire_inner(f"{node.op}: {graph.label}", inner, outer_by_uid, seen,
                                   records))
        feeds += [uid for uid in outputs if uid not in feeds]
    wired = {record_uid(outer) for g in inner_graphs(node) for outer in g.outer.values()}
    return records, tuple(feeds), clusters, wired


def expand_inner(snap: Snapshot, nodes: Iterable[Apply],
                 opener: Callable[[Apply], Opened | None] | None = None
                 ) -> tuple[Snapshot, list[Cluster]]:
    """``snap`` with the inner graphs of its nodes (``nodes``: the live ones it was made
    from) opened, and the clusters that box them; ``snap`` itself when none has any.
    ``opener`` gives a node's inner records (default: the user's inner graphs; the Profile
    view opens the compiled inner functions instead, ``inner_run.py``), None to leave it."""
    by_uid = {node.uid: node for node in nodes if inner_graphs(node)}
    if not by_uid:
        return snap, []
    records: list[NodeRecord] = []
    clusters: list[Cluster] = []
    for rec in snap.nodes:
        node = by_uid.get(rec.uid)
        opened = (opener or _inner_records)(node) if node is not None else None
        if opened is None:
            records.append(rec)
            continue
        inner, feeds, boxes, wired = opened
        kept = tuple(uid for uid in rec.inputs if uid not in wired)  # n_steps, the condition
        records += inner
        records.append(replace(rec, inputs=kept + feeds))
        clusters += boxes
    return Snapshot(tuple(records), snap.outputs), clusters


def live_nodes(outputs: Iterable[Variable]) -> list[Apply]:
    """Every Apply above ``outputs`` (the nodes ``expand_inner`` may open)."""
    seen: dict[int, Apply] = {}
    stack = [v.owner for v in outputs if v.owner is not None]
    while stack:
        node = stack.pop()
        if node.uid in seen:
            continue
        seen[node.uid] = node
        stack += [v.owner for v in node.inputs if v.owner is not None]
    return list(seen.values())


def failing_node(err: BaseException) -> Apply | None:
    """The node an error names (``err.node``); for an error inside a scan's step or an
    ifelse branch, the user's own inner node it happened in, when it can be told apart."""
    node = getattr(err, "node", None)
    cause = err.__cause__
    while node is not None and cause is not None:
        inner = getattr(cause, "node", None)
        if inner is None:
            break
        found = _user_inner_node(node, inner)
        if found is None:
            break
        node, cause = found, cause.__cause__
    return node


def _user_inner_node(outer: Apply, compiled: Apply) -> Apply | None:
    """The node of ``outer``'s inner graph that ``compiled`` (a node of its compiled inner
    function, a copy) stands for: same op, and the same inner inputs where it reads them
    (a compiled inner graph keeps its input Variables). None when no single node fits."""
    candidates = []
    for graph in inner_graphs(outer):
        inputs = set(graph.outer)
        for node in live_nodes(graph.outputs):
            if str(node.op) != str(compiled.op) or len(node.inputs) != len(compiled.inputs):
                continue
            if all(mine is theirs for mine, theirs in zip(node.inputs, compiled.inputs,
                                                          strict=True) if theirs in inputs):
                candidates.append(node)
    unique = list(dict.fromkeys(candidates))
    return unique[0] if len(unique) == 1 else None
