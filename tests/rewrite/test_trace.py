"""The trace (STYLE B6): snapshot records, provenance, stable uids, exact JSON round trip."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.core.fgraph import FunctionGraph
from nbgraph.core.gradient import grad
from nbgraph.rewrite.trace import (
    NodeRecord,
    PassRecord,
    RewriteEvent,
    Snapshot,
    Trace,
    fused_pass,
    snapshot,
)


def _mlp_step():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    # softplus's gradient is one sigmoid (stabilize), so tanh gives fusion something to fuse
    cost = T.sum(T.log(1 + T.exp(T.dot(x, w))) * 1 + T.tanh(T.dot(x, w)))
    return [x, w], [cost, grad(cost, w)]


def test_snapshot_records():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x) + T.constant(np.array([2.0]))])
    snap = snapshot(fgraph)
    labels = [n.label for n in snap.nodes]
    assert labels == ["x", "Elemwise{exp,no_inplace}", "TensorConstant{[2.0]}",
                      "Elemwise{add,no_inplace}"]
    x_rec, exp_rec, const_rec, add_rec = snap.nodes
    assert x_rec == NodeRecord(x.uid, "x", (), "float64[?]", "x", "user")
    assert exp_rec.inputs == (x.uid,) and add_rec.inputs == (exp_rec.uid, const_rec.uid)
    assert const_rec.type == "float64[1]" and snap.outputs == (add_rec.uid,)


def test_records_are_frozen_and_slotted():
    rec = NodeRecord(1, "x", (), "float64[?]", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.uid = 2  # type: ignore[misc]
    for cls in (NodeRecord, Snapshot, RewriteEvent, PassRecord, Trace):
        assert hasattr(cls, "__slots__")


def test_origin_grad_and_rule():
    inputs, outputs = _mlp_step()
    fn = function(inputs, outputs)
    first = fn.trace.passes[0].before
    origins = {n.origin for n in first.nodes}
    assert "user" in origins
    assert any(o.startswith("grad of ") and "(" in o for o in origins)
    last = fn.trace.passes[-1].after
    assert any(n.origin == "fuse_elemwise/fuse_elemwise" for n in last.nodes)


def test_events_name_rules_and_uids_are_stable():
    inputs, outputs = _mlp_step()
    fn = function(inputs, outputs)
    passes = fn.trace.passes
    assert [e.rule for e in fn.trace.events()] == [e.rule for p in passes for e in p.events]
    for prev, cur in zip(passes, passes[1:], strict=False):
        assert prev.after == cur.before
    for record in passes:
        before = {n.uid: n for n in record.before.nodes}
        after = {n.uid: n for n in record.after.nodes}
        added = {u for e in record.events for u in e.added}
        removed = {u for e in record.events for u in e.removed}
        assert set(after) - set(before) <= added | {n.uid for n in record.after.nodes
                                                    if not n.inputs}
        assert {u for u in before if before[u].inputs} - set(after) <= removed
        for uid in set(before) & set(after):   # a surviving node keeps its label
            assert before[uid].label == after[uid].label


def test_json_round_trip_exact():
    inputs, outputs = _mlp_step()
    trace = function(inputs, outputs).trace
    text = trace.to_json()
    assert text.startswith('{"version": 2')
    again = Trace.from_json(text)
    assert again == trace and again.to_json() == text
    assert isinstance(again.passes[0].before.nodes[0].inputs, tuple)


def test_json_version_checked():
    with pytest.raises(ValueError, match="version"):
        Trace.from_json('{"version": 99, "passes": []}')


def test_fast_compile_trace_values(rng):
    x = T.dvector("x")
    fn = function([x], T.exp(x) + T.exp(x), mode="FAST_COMPILE")
    assert [p.name for p in fn.trace.passes] == ["merge", "constant_fold", "stabilize", "dce"]
    assert [e.rule for e in fn.trace.events()] == ["merge/merge_nodes"]
    xv = rng.normal(size=3)
    np.testing.assert_allclose(fn(xv), 2 * np.exp(xv))


def test_fused_pass_merges_each_group_into_its_last_record():
    x = NodeRecord(1, "x", (), "float64[?]", "x")
    exp = NodeRecord(2, "Elemwise{exp,no_inplace}", (1,), "float64[?]", None)
    total = NodeRecord(3, "Sum", (2,), "float64[]", "s")
    step = fused_pass("link", Snapshot((x, exp, total), (3,)), {3: (2, 3)},
                      {3: "Kernel{exp → Sum}"}, "link/fuse")
    assert [r.uid for r in step.after.nodes] == [1, 3]
    kernel = step.after.nodes[1]
    assert (kernel.label, kernel.inputs, kernel.name, kernel.origin) == \
        ("Kernel{exp → Sum}", (1,), "s", "link/fuse")
    assert [(e.rule, e.removed, e.added) for e in step.events] == [("link/fuse", (2, 3), (3,))]
    assert Trace.from_json(Trace((step,)).to_json()).passes[0] == step


def test_json_keeps_which_output_each_input_reads():
    """A replayed trace types a multi-output node's edges exactly, as the live trace does."""
    import json

    from nbgraph.core.graphviz import to_dot
    from nbgraph.ops.nlinalg import eigh

    a = T.dmatrix("a")
    w, v = eigh(a)  # one Apply: eigenvalues float64[?], eigenvectors float64[?,?]
    fn = function([a], T.dot(v, w))
    back = Trace.from_json(fn.trace.to_json())
    for live, read in zip(fn.trace.passes, back.passes, strict=True):
        assert [r.ports for r in read.after.nodes] == [r.ports for r in live.after.nodes]
    after = back.passes[-1].after.nodes
    (eig,) = [r for r in after if r.label.startswith("Eigh")]
    (gemv,) = [r for r in after if r.inputs.count(eig.uid) == 2]  # dot(v, w) as a Gemv
    assert [p for u, p in zip(gemv.inputs, gemv.input_ports(), strict=True)
            if u == eig.uid] == [1, 0]
    text = to_dot(back.passes[-1].after)
    eig_edges = [line.split(": ", 1)[1] for line in text.splitlines()
                 if f" {eig.uid} -> {gemv.uid} " in line]
    assert eig_edges == ['float64[?,?]"];', 'float64[?]"];']  # A, then x; not both types
    # records without ports keep Theano-era JSON: 8 fields, and such JSON still reads
    nodes = json.loads(fn.trace.to_json())["passes"][-1]["after"]["nodes"]
    assert sorted({len(n) for n in nodes}) == [8, 9]
    old = json.dumps({"version": 2, "passes": [{"name": "p", "seconds": 0.0, "events": [],
                      "before": {"nodes": [n[:8] for n in nodes], "outputs": []},
                      "after": {"nodes": [n[:8] for n in nodes], "outputs": []}}]})
    assert all(r.ports == () for r in Trace.from_json(old).passes[0].after.nodes)
    values = np.array([[2.0, 1.0], [1.0, 3.0]])
    ev, vec = np.linalg.eigh(values)
    np.testing.assert_allclose(fn(values), vec @ ev)


def test_fused_pass_keeps_the_ports_of_the_group_reads():
    a = NodeRecord(1, "a", (), "float64[?,?]", "a")
    eig = NodeRecord(2, "Eigh{L}", (1,), "float64[?], float64[?,?]", None)
    exp = NodeRecord(3, "Elemwise{exp,no_inplace}", (2,), "float64[?,?]", None, ports=(1,))
    mul = NodeRecord(4, "Elemwise{mul,no_inplace}", (3, 2), "float64[?,?]", None, ports=(0, 0))
    total = NodeRecord(5, "Sum", (4,), "float64[]", None)
    step = fused_pass("link", Snapshot((a, eig, exp, mul, total), (5,)), {5: (3, 4, 5)},
                      {5: "Kernel{exp → mul → Sum}"}, "link/fuse")
    kernel = step.after.nodes[-1]
    # eigh read twice, once per output: two reads, each with its own port
    assert (kernel.inputs, kernel.ports, kernel.input_ports()) == ((2, 2), (1, 0), (1, 0))
    back = Trace.from_json(Trace((step,)).to_json()).passes[0].after.nodes[-1]
    assert back.ports == (1, 0)
    # a group none of whose members had ports gets none (as records of one-output reads)
    plain = fused_pass("link", Snapshot((a, total), (5,)), {5: (5,)}, {}, "link/fuse")
    assert plain.after.nodes[-1].ports == ()
