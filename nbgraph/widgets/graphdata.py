"""The first step of every drawing: what a view is given, as a ``Snapshot``, and graph facts.

Everything here works on the trace's plain records (``Snapshot``/``NodeRecord``), so a view
drawn from a live graph and one replayed from a trace's JSON look the same. ``drawing.py``
styles the snapshot into DOT text, ``render.py`` turns that into SVG, ``layout.py`` shows it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..core.graph import Variable, graph_inputs
from ..core.graphviz import chain_groups
from ..core.index_bounds import bound_constants
from ..core.records import NodeRecord, Snapshot, kept_ports, leaf_kind, snapshot_of
from .inner import Cluster, expand_inner, live_nodes
from .inner_shapes import ran_opener
from .kernels import running_snapshot
from .scopes import scope_clusters

_ELEMWISE = re.compile(r"^Elemwise\{([^,}]+)(?:,[^}]*)?\}$")
LABEL_LIMIT = 48  # longer labels (fused composites) are cut; the tooltip keeps the full text


def graph_snapshot(outputs: Sequence[Variable]) -> Snapshot:
    """Records of the symbolic graph above ``outputs`` (uids are the user's own nodes)."""
    leaves = [v for v in graph_inputs(outputs) if v.owner is None]
    return snapshot_of(list(outputs), leaves)


def drawable(graph: object, kernels: bool = True,
             opened: Collection[int] = ()) -> tuple[Snapshot, list[Cluster]]:
    """A Snapshot from a Snapshot, a compiled Function (what runs:
    ``kernels.running_snapshot``), a Variable or a list of Variables, with the inner graphs
    of scan, ifelse and OpFromGraph nodes opened, and the clusters that box them and the
    name scopes (``with nbgraph.name_scope(...)``). ``kernels=False`` draws a Function's
    kernels opened into the nodes they compute, ``opened`` only those whose reduction has
    one of its uids."""
    if isinstance(graph, Snapshot):
        return graph, []
    fgraph = getattr(getattr(graph, "maker", None), "fgraph", None)
    if fgraph is not None:  # kernels as linked, shapes of the last call
        snap, nodes = running_snapshot(graph, kernels, opened), fgraph.toposort()
    elif isinstance(graph, Variable):
        snap, nodes = graph_snapshot([graph]), live_nodes([graph])
    elif isinstance(graph, (list, tuple)) and all(isinstance(v, Variable) for v in graph):
        snap, nodes = graph_snapshot(list(graph)), live_nodes(graph)
    else:
        raise TypeError(f"cannot draw a {type(graph).__name__}; give a Function, a Snapshot or "
                        f"Variables")
    # after a call, the inner graphs' edges show what ran in them (per step for a scan)
    snap, clusters = expand_inner(snap, nodes, ran_opener(graph) if fgraph is not None
                                  else None)
    # an inner graph's box wins over a scope's: to_dot puts a uid in the first box naming it
    drawn = {rec.uid for rec in snap.nodes}
    return snap, clusters + scope_clusters(nodes, drawn)


def as_snapshot(graph: object) -> Snapshot:
    """``drawable(graph)``'s snapshot."""
    return drawable(graph)[0]


def node_kind(record: NodeRecord) -> str:
    """'constant', 'input' (any other leaf) or 'op'."""
    return leaf_kind(record) or "op"


def by_uid(snap: Snapshot) -> dict[int, NodeRecord]:
    return {rec.uid: rec for rec in snap.nodes}


def ancestor_uids(snap: Snapshot, roots: Iterable[int]) -> set[int]:
    """Uids of ``roots`` and every record they depend on."""
    records = by_uid(snap)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        uid = stack.pop()
        if uid in seen or uid not in records:
            continue
        seen.add(uid)
        stack.extend(records[uid].inputs)
    return seen


def backward_uids(snap: Snapshot, n_forward: int) -> set[int]:
    """Op records of the gradient part: tagged ``grad of``, or needed only by the gradients.

    The first ``n_forward`` outputs are the forward outputs; an op no forward output needs is
    backward by construction, which still holds after rewrites dropped the ``grad of`` tags.
    """
    forward = ancestor_uids(snap, snap.outputs[:n_forward])
    return {rec.uid for rec in snap.nodes if rec.inputs and
            (rec.uid not in forward or rec.origin.startswith("grad of"))}


def short_label(label: str, limit: int = LABEL_LIMIT) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def constant_uids(snap: Snapshot) -> set[int]:
    """Constants and the ops computed from constants alone (a broadcast ``DimShuffle{x}``)."""
    found: set[int] = set()
    for rec in snap.nodes:  # records are in topological order
        if node_kind(rec) == "constant" or (rec.inputs and found.issuperset(rec.inputs)):
            found.add(rec.uid)
    return found - set(snap.outputs)


@dataclass(frozen=True)
class Collapsed:
    """What a big graph's drawing shows: ``snapshot`` and the ``chains`` ``to_dot`` folds.

    ``chains`` maps a folded chain's drawn uid (its last member) to its members' uids, as
    ``core.graphviz.chain_groups`` finds them; per-node data (profile time) sums onto that uid.
    """

    snapshot: Snapshot
    chains: dict[int, tuple[int, ...]] = field(default_factory=dict)


def collapse(snap: Snapshot, keep: Iterable[int] = (), min_chain: int = 3,
             drop_constants: bool = True) -> Collapsed:
    """Prepare a big graph (1000+ nodes) for drawing: its chains of ``min_chain``+ elementwise
    ops to fold, and with ``drop_constants`` the snapshot without its constants and the ops
    computed from constants alone. Records in ``keep`` (marked) are never folded or dropped.
    """
    keep_set = set(keep)
    # a slice bound stays: ``to_dot`` writes it into its op's label (``Subtensor{8:16}``)
    bounds = bound_constants(snap.nodes)
    constants = constant_uids(snap) - keep_set - bounds if drop_constants else set()
    nodes = []
    for rec in snap.nodes:
        if rec.uid in constants:
            continue
        if constants.intersection(rec.inputs):
            kept = [k for k, uid in enumerate(rec.inputs) if uid not in constants]
            rec = replace(rec, inputs=tuple(rec.inputs[k] for k in kept),
                          ports=kept_ports(rec, kept))
        nodes.append(rec)
    shown = Snapshot(tuple(nodes), snap.outputs)
    return Collapsed(shown, chain_groups(shown, keep_set, min_chain))


def scalar_name(op: str) -> str | None:
    """``Elemwise{tanh,no_inplace}`` -> ``tanh`` (a narrower label); None for other ops."""
    found = _ELEMWISE.match(op)
    return found.group(1) if found else None
