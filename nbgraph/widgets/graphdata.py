"""Graph data for the views: snapshots of live graphs, node kinds, and big-graph collapsing.

Everything here works on the trace's plain records (``Snapshot``/``NodeRecord``), so a view
drawn from a live graph and one replayed from a trace's JSON look the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..compile.rewrite.trace import NodeRecord, Snapshot
from ..core.graph import Variable, graph_inputs
from ..core.printing import listing
from ..core.records import snapshot_of

CONSTANT_PREFIXES = ("TensorConstant", "ScalarConstant", "Constant")
LABEL_LIMIT = 48  # longer labels (fused composites) are cut; the tooltip keeps the full text


def graph_snapshot(outputs: Sequence[Variable]) -> Snapshot:
    """Records of the symbolic graph above ``outputs`` (uids are the user's own nodes)."""
    leaves = [v for v in graph_inputs(outputs) if v.owner is None]
    return snapshot_of(list(outputs), leaves)


def node_kind(record: NodeRecord) -> str:
    """'constant', 'input' (any other leaf) or 'op'."""
    if record.inputs:
        return "op"
    if record.label.startswith(CONSTANT_PREFIXES):
        return "constant"
    return "input"


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


@dataclass(frozen=True)
class Collapsed:
    """A snapshot with chains folded into single records; ``members`` maps back to uids."""

    snapshot: Snapshot
    members: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def expand(self, uids: Iterable[int]) -> set[int]:
        """The drawn uids standing for ``uids`` (a folded chain stands for its members)."""
        wanted = set(uids)
        drawn = set(wanted)
        for group, members in self.members.items():
            if wanted.intersection(members):
                drawn.add(group)
        return drawn


def constant_uids(snap: Snapshot) -> set[int]:
    """Constants and the ops computed from constants alone (a broadcast ``DimShuffle{x}``)."""
    found: set[int] = set()
    for rec in snap.nodes:  # records are in topological order
        if node_kind(rec) == "constant" or (rec.inputs and found.issuperset(rec.inputs)):
            found.add(rec.uid)
    return found - set(snap.outputs)


def _consumers(snap: Snapshot) -> dict[int, list[int]]:
    users: dict[int, list[int]] = {rec.uid: [] for rec in snap.nodes}
    for rec in snap.nodes:
        for uid in rec.inputs:
            users.setdefault(uid, []).append(rec.uid)
    return users


def _chains(snap: Snapshot, keep: set[int], ignore: set[int]) -> list[list[int]]:
    """Maximal runs of op records where each feeds only the next and the next has one op input.

    Such a run draws as a line of boxes; folding it keeps the drawing's shape (its fan-in and
    fan-out) while dropping most of its nodes.
    """
    records = by_uid(snap)
    users = _consumers(snap)
    outputs = set(snap.outputs)

    def op_inputs(rec: NodeRecord) -> list[int]:
        return [u for u in rec.inputs if u in records and records[u].inputs and u not in ignore]

    def links_to_next(uid: int) -> int | None:
        nxt = users.get(uid, [])
        if len(nxt) != 1 or uid in outputs or uid in keep or uid in ignore or nxt[0] in keep:
            return None
        if op_inputs(records[nxt[0]]) != [uid]:  # the next op's only non-constant op input
            return None
        return nxt[0]

    linked: dict[int, int] = {}
    for rec in snap.nodes:
        if rec.inputs and (nxt := links_to_next(rec.uid)) is not None:
            linked[rec.uid] = nxt
    has_prev = set(linked.values())
    chains = []
    for rec in snap.nodes:
        if rec.uid in linked and rec.uid not in has_prev:
            chain = [rec.uid]
            while chain[-1] in linked:
                chain.append(linked[chain[-1]])
            chains.append(chain)
    return chains


def collapse(snap: Snapshot, keep: Iterable[int] = (), min_chain: int = 3,
             drop_constants: bool = True) -> Collapsed:
    """Fold chains of ``min_chain``+ op records into one record each (for 1000+ node graphs).

    A folded record takes the last member's uid (so edges to it stay valid) and a label
    like ``5 ops: exp → … → log``. With ``drop_constants``, constants and the ops computed
    from constants alone are left out. Records in ``keep`` (highlighted) are never folded.
    """
    keep_set = set(keep)
    records = by_uid(snap)
    members: dict[int, tuple[int, ...]] = {}
    folded_into: dict[int, int] = {}
    constants = constant_uids(snap) - keep_set if drop_constants else set()
    for chain in _chains(snap, keep_set, constants):
        if len(chain) < min_chain:
            continue
        last = chain[-1]
        members[last] = tuple(chain)
        for uid in chain[:-1]:
            folded_into[uid] = last
    nodes: list[NodeRecord] = []
    for rec in snap.nodes:
        if rec.uid in folded_into or rec.uid in constants:
            continue
        if rec.uid in members:
            chain = [records[u] for u in members[rec.uid]]
            inputs = tuple(u for c in chain for u in c.inputs
                           if u not in members[rec.uid] and u not in constants)
            label = (f"{len(chain)} ops: {short_label(chain[0].label, 20)} → … → "
                     f"{short_label(chain[-1].label, 20)}")
            rec = NodeRecord(rec.uid, label, inputs, rec.type, rec.name, rec.origin)
        elif constants.intersection(rec.inputs):
            inputs = tuple(u for u in rec.inputs if u not in constants)
            rec = NodeRecord(rec.uid, rec.label, inputs, rec.type, rec.name, rec.origin)
        nodes.append(rec)
    return Collapsed(Snapshot(tuple(nodes), snap.outputs), members)


def listing_text(snap: Snapshot) -> str:
    """``printing.listing`` of a snapshot: one line per node, ``%12:float64[3] = exp %9``."""
    return listing(snap)
