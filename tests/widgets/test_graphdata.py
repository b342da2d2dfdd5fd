"""Graph data for the views: live snapshots, gradient parts, folding big graphs."""

from __future__ import annotations

import re

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.graphviz import DotOptions, chain_groups, to_dot
from nbgraph.core.printing import listing
from nbgraph.rewrite.trace import NodeRecord, Snapshot
from nbgraph.widgets.drawing import COLLAPSE_AT, Picture, graphviz_text
from nbgraph.widgets.graphdata import (
    Collapsed,
    as_snapshot,
    backward_uids,
    collapse,
    graph_snapshot,
    node_kind,
)


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


def test_as_snapshot_takes_functions_variables_and_snapshots():
    x = T.dvector("x")
    y = T.exp(x)
    snap = graph_snapshot([y])
    assert as_snapshot(y) == as_snapshot([y]) == as_snapshot(snap) == snap
    f = nbgraph.function([x], y * 2)
    assert as_snapshot(f).outputs == (f.maker.fgraph.outputs[0].owner.uid,)
    try:
        as_snapshot(3)
    except TypeError as err:
        assert "cannot draw a int" in str(err)
    else:
        raise AssertionError("as_snapshot(3) drew something")


def test_backward_uids_are_gradient_nodes():
    x = T.dvector("x")
    cost = T.exp(x).sum()
    gx = T.grad(cost, x)
    snap = graph_snapshot([cost, gx])
    back = backward_uids(snap, 1)
    forward_ops = {cost.owner.uid, cost.owner.inputs[0].owner.uid}
    assert gx.owner.uid in back
    assert not back & forward_ops


def folded_dot(folded: Collapsed) -> str:
    """What ``core.graphviz.to_dot`` draws of a collapsed snapshot, with the views' ids."""
    return to_dot(folded.snapshot, chains=folded.chains, options=DotOptions(id_prefix="n"))


def drawn_nodes(folded: Collapsed) -> dict[int, str]:
    """uid -> label of each node drawn for a collapsed snapshot."""
    dot = folded_dot(folded)
    return {int(m.group(1)): m.group(2)
            for m in re.finditer(r'^  (\d+) \[id="n\d+", label="([^"]*)"', dot, flags=re.M)}


def test_collapse_folds_long_chains_and_constants():
    snap = chain_graph(1200)
    folded = collapse(snap)
    last = snap.outputs[0]
    assert folded.chains == {last: tuple(range(10, 1210))}
    assert [rec.uid for rec in folded.snapshot.nodes] == [1, *range(10, 1210)]  # no constant
    assert folded.snapshot.nodes[-1].inputs == (last - 1,)
    drawn = drawn_nodes(folded)
    assert set(drawn) == {1, last}  # x and one folded chain
    assert drawn[last].startswith("1200 elementwise ops\\nop0 → op1 → …")


def test_collapse_keeps_highlighted_nodes_visible():
    snap = chain_graph(50)
    folded = collapse(snap, keep=[30])
    assert all(30 not in members for members in folded.chains.values())
    assert sorted(folded.chains) == [29, 59]
    dot = folded_dot(folded)
    drawn = set(drawn_nodes(folded))
    assert drawn == {1, 29, 30, 59}
    for a, b in re.findall(r"^  (\d+) -> (\d+)", dot, flags=re.M):  # edges join drawn nodes
        assert {int(a), int(b)} <= drawn


def test_collapse_is_core_chain_groups_without_constants():
    snap = chain_graph(5)
    assert collapse(snap, drop_constants=False).chains == chain_groups(snap)
    assert collapse(snap, min_chain=6).chains == {}
    assert collapse(snap, drop_constants=False).snapshot.nodes == snap.nodes
    assert len(collapse(snap).snapshot.nodes) == len(snap.nodes) - 1  # the constant


def test_listing_of_a_snapshot_has_one_line_per_record():
    snap = chain_graph(3)
    lines = listing(snap).splitlines()
    for rec in snap.nodes:
        assert any(line.startswith(f"%{rec.uid}:") for line in lines)
    assert any(line.startswith("%11:") and line.endswith("%10") for line in lines)


def test_collapse_ignores_broadcast_constants_in_chains():
    x = T.dvector("x")
    h = x * 2
    for _ in range(40):
        h = T.tanh(h) + 0.1  # each add also reads a DimShuffle of a constant
    cost = h.sum()
    snap = graph_snapshot([cost])
    folded = collapse(snap)
    assert all(node_kind(rec) != "constant" for rec in folded.snapshot.nodes)
    # mul, 40 x (tanh, add) fold into one chain; the Sum is no elementwise op
    assert folded.chains == {h.owner.uid: folded.chains[h.owner.uid]}
    members = folded.chains[h.owner.uid]
    assert len(members) == 81 and len(set(members)) == 81
    assert set(drawn_nodes(folded)) == {x.uid, h.owner.uid, cost.owner.uid}


def test_a_200_node_graph_folds_its_chains_and_constants():
    x = T.dvector("x")
    h = x
    for k in range(50):  # exp, mul by a constant: 4 records per step
        h = T.exp(h) * (k + 2)
    snap = graph_snapshot([h.sum()])
    assert COLLAPSE_AT < len(snap.nodes) < 250
    dot = graphviz_text(Picture(snap))
    assert "elementwise ops" in dot and "TensorConstant" not in dot
