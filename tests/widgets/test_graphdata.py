"""Graph data for the views: live snapshots, gradient parts, folding big graphs."""

from __future__ import annotations

import nbgraph.tensor as T
from nbgraph.compile.rewrite.trace import NodeRecord, Snapshot
from nbgraph.widgets.graphdata import (backward_uids, collapse, graph_snapshot, listing_text,
                                       node_kind)


def chain_graph(n: int) -> Snapshot:
    """x -> n unary ops in a line -> output, plus a constant feeding the last op."""
    nodes = [NodeRecord(1, "x", (), "float64[?]", "x"),
             NodeRecord(2, "TensorConstant{2}", (), "int8[]", None)]
    for k in range(n):
        uid = 10 + k
        inputs = (uid - 1,) if k else (1,)
        if k == n - 1:
            inputs += (2,)
        nodes.append(NodeRecord(uid, f"Elemwise{{op{k}}}", inputs, "float64[?]", None))
    return Snapshot(tuple(nodes), (10 + n - 1,))


def test_graph_snapshot_of_live_graph_kinds():
    x = T.dvector("x")
    y = T.exp(x) * 2
    snap = graph_snapshot([y])
    kinds = {rec.label: node_kind(rec) for rec in snap.nodes}
    assert kinds["x"] == "input"
    assert any(k == "constant" for label, k in kinds.items() if "Constant" in label)
    assert snap.outputs == (y.owner.uid,)


def test_backward_uids_are_gradient_nodes():
    x = T.dvector("x")
    cost = T.exp(x).sum()
    gx = T.grad(cost, x)
    snap = graph_snapshot([cost, gx])
    back = backward_uids(snap, 1)
    forward_ops = {cost.owner.uid, cost.owner.inputs[0].owner.uid}
    assert gx.owner.uid in back
    assert not back & forward_ops


def test_collapse_folds_long_chains_and_constants():
    snap = chain_graph(1200)
    folded = collapse(snap)
    assert len(folded.snapshot.nodes) == 2  # x and one folded chain
    group = folded.snapshot.nodes[-1]
    assert group.uid == snap.outputs[0] and group.label.startswith("1200 ops")
    assert group.inputs == (1,)
    assert folded.expand([500]) == {500, group.uid}


def test_collapse_keeps_highlighted_nodes_visible():
    snap = chain_graph(50)
    folded = collapse(snap, keep=[30])
    drawn = {rec.uid for rec in folded.snapshot.nodes}
    assert 30 in drawn and len(drawn) < 10
    for rec in folded.snapshot.nodes:  # every edge still points at a drawn node
        assert set(rec.inputs) <= drawn


def test_listing_text_has_one_line_per_record():
    snap = chain_graph(3)
    lines = listing_text(snap).splitlines()
    for rec in snap.nodes:
        assert any(line.startswith(f"%{rec.uid}:") for line in lines)
    assert any(line.startswith("%11:") and line.endswith("%10") for line in lines)


def test_collapse_ignores_broadcast_constants_in_chains():
    x = T.dvector("x")
    h = x * 2
    for _ in range(40):
        h = T.tanh(h) + 0.1  # each add also reads a DimShuffle of a constant
    snap = graph_snapshot([h.sum()])
    folded = collapse(snap)
    ops = [rec for rec in folded.snapshot.nodes if rec.inputs]
    assert len(ops) == 1 and ops[0].label.startswith("82 ops")
    assert sorted(u for group in folded.members.values() for u in group) == \
        sorted(set(u for group in folded.members.values() for u in group))
