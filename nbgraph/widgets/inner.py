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
from ..core.records import (
    NodeRecord,
    Snapshot,
    kept_ports,
    output_port,
    record_uid,
    snapshot_records,
)

Cluster = tuple[str, frozenset[int]]
# one opened node: its inner records, the uids feeding it, its boxes, the outer uids wired in
Opened = tuple[list[NodeRecord], tuple[int, ...], list[Cluster], set[int]]


def wire_inner(label: str, inner: Iterable[NodeRecord], outer: Mapping[int, Variable],
               seen: set[int], records: list[NodeRecord],
               outputs: Iterable[int] = ()) -> Cluster:
    """Add ``inner``'s records not yet ``seen`` to ``records``, each inner input (a uid in
    ``outer``) rewired as a tap fed by its outer Variable; the cluster that boxes them. An
    inner input nothing inside reads (a compiled branch whose rewrites dropped its use) is
    left out: drawn, it would hang in the box unconnected."""
    inner = list(inner)
    read = {uid for rec in inner for uid in rec.inputs} | set(outputs)
    members = []
    for rec in inner:
        if rec.uid in seen:
            continue
        fed_by = outer.get(rec.uid)
        if fed_by is not None and rec.uid not in read:
            continue
        seen.add(rec.uid)
        if fed_by is not None:  # an inner input: a tap fed by its outer Variable
            several = fed_by.owner is not None and len(fed_by.owner.outputs) > 1
            rec = replace(rec, inputs=(record_uid(fed_by),), origin="user",  # a scan's 2nd
                          ports=(output_port(fed_by),) if several else ())  # output: port 1
        records.append(rec)
        members.append(rec.uid)
    return label, frozenset(members)


def nest(label: str, snap: Snapshot, nodes: Iterable[Apply],
         opener: Callable[[Apply], Opened | None] | None = None
         ) -> tuple[list[NodeRecord], list[Cluster]]:
    """One inner graph's records with its own inner graphs opened (a scan inside a scan's
    step), its box named ``label`` first, then the boxes nested in it: ``to_dot`` draws a
    box whose uids another box holds inside that one."""
    opened, inside = expand_inner(snap, nodes, opener)
    members = frozenset(rec.uid for rec in opened.nodes)
    return list(opened.nodes), [(label, members), *inside]


def inner_records(node: Apply) -> Opened:
    """The records of ``node``'s inner graphs (taps wired to the outer records, their own
    inner graphs opened in nested boxes), the uids that feed ``node`` (its inner outputs),
    the clusters, the outer uids."""
    records: list[NodeRecord] = []
    seen: set[int] = set()
    feeds: list[int] = []
    clusters = []
    for graph in inner_graphs(node):
        inner, outputs = snapshot_records(list(graph.outputs), list(graph.outer))
        outer_by_uid = {var.uid: outer for var, outer in graph.outer.items()}
        wired: list[NodeRecord] = []
        label, _ = wire_inner(f"{node.op}: {graph.label}", inner, outer_by_uid, seen, wired,
                              outputs)
        opened, boxes = nest(label, Snapshot(tuple(wired), tuple(outputs)),
                             live_nodes(graph.outputs))
        seen.update(rec.uid for rec in opened)
        records += opened
        clusters += boxes
        feeds += [uid for uid in outputs if uid not in feeds]
    wired_uids = {record_uid(outer) for g in inner_graphs(node) for outer in g.outer.values()}
    return records, tuple(feeds), clusters, wired_uids


def _controls(node: Apply) -> int:
    """How many leading inputs of ``node`` no inner input stands for: a scan's step count,
    an ifelse's condition (which its gradient's ifelse may also pass into its branches)."""
    op = node.op
    return 1 if hasattr(op, "split_outer") or hasattr(op, "then_outputs") else 0


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
        opened = (opener or inner_records)(node) if node is not None else None
        if node is None or opened is None:
            records.append(rec)
            continue
        inner, feeds, boxes, wired = opened
        skip = _controls(node)  # n_steps, the condition: drawn as edges into the node
        kept = [k for k, uid in enumerate(rec.inputs) if k < skip or uid not in wired]
        records += inner
        # which output of an inner node feeds the loop is not kept: such an edge reads
        # all its types, as the inner record's own type does
        records.append(replace(rec, inputs=tuple(rec.inputs[k] for k in kept) + feeds,
                               ports=kept_ports(rec, kept, len(feeds))))
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
