"""to_dot: constant slice bounds folded into their op's label, and each edge typed by the
output it carries (a two-output node's edges are told apart)."""

from __future__ import annotations

import re

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.graphviz import DotOptions, to_dot
from nbgraph.core.index_bounds import fold_bounds
from nbgraph.core.printing import debugprint
from nbgraph.core.records import NodeRecord, output_type, snapshot_records
from nbgraph.ops.nlinalg import eigh
from nbgraph.rewrite.trace import Trace

_NODE = re.compile(r'^ +(\d+) \[id="(\d+)", label="((?:[^"\\]|\\.)*)", '
                   r'tooltip="((?:[^"\\]|\\.)*)"', re.M)
_EDGE = re.compile(r'^ +(\d+) -> (\d+)(?: \[label="([^"]*)"\])?;', re.M)


def drawn(text: str) -> dict[int, tuple[str, str]]:
    """uid -> (label, tooltip) of each node in DOT text from ``to_dot``."""
    return {int(m.group(1)): (m.group(3), m.group(4)) for m in _NODE.finditer(text)}


def edges(text: str) -> list[tuple[int, int, str | None]]:
    return [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in _EDGE.finditer(text)]


def test_constant_slice_bounds_are_written_into_the_label_not_drawn():
    x = T.dvector("x")
    gate = x[8:16]
    low, high = gate.owner.inputs[1:]
    text = to_dot([gate])
    nodes = drawn(text)
    assert nodes[gate.owner.uid][0] == "Subtensor{8:16}"
    assert low.uid not in nodes and high.uid not in nodes
    assert "TensorConstant{8}" not in text.replace(f"#{low.uid} TensorConstant{{8}}", "")
    # the tooltip keeps the whole story: the op as built and the constants by uid
    assert (f"Subtensor{{int64:int64:}}, bounds: #{low.uid} TensorConstant{{8}}, "
            f"#{high.uid} TensorConstant{{16}}") in nodes[gate.owner.uid][1]
    assert edges(text) == [(x.uid, gate.owner.uid, "float64[?]")]  # one input: no "0:"
    # Theano's drawing, constants as nodes, on request; debugprint keeps Theano's format
    plain = drawn(to_dot([gate], options=DotOptions(fold_bounds=False)))
    assert plain[gate.owner.uid][0] == "Subtensor{int64:int64:}"
    assert plain[low.uid][0] == "TensorConstant{8}"
    assert "Subtensor{int64:int64:} [id A]" in debugprint(gate, file="str")


def test_each_index_form_folds_as_python_writes_it():
    x, i = T.dmatrix("x"), T.lscalar("i")
    cases = {x[-1]: "Subtensor{-1}", x[24:]: "Subtensor{24:}", x[:, 2]: "Subtensor{::, 2}",
             x[i:3, ::2]: "Subtensor{int64:3, ::2}",
             T.inc_subtensor(x[:, 1], 1.0): "IncSubtensor{Inc;::, 1}"}
    for var, label in cases.items():
        assert drawn(to_dot([var]))[var.owner.uid][0] == label
    # a symbolic bound stays a node and an edge, numbered as the op's inputs now read
    part = x[i:3, ::2]
    assert (i.uid, part.owner.uid, "1: int64[]") in edges(to_dot([part]))


def test_a_constant_that_is_data_is_still_drawn():
    x = T.dmatrix("x")
    cleared = T.set_subtensor(x[1:3], 0.0)  # 0.0 is the value written: data, not a bound
    zero = cleared.owner.inputs[1]
    text = to_dot([cleared])
    nodes = drawn(text)
    assert nodes[cleared.owner.uid][0] == "IncSubtensor{Set;1:3}"
    assert nodes[zero.uid][0] == "TensorConstant{0.0}"
    assert (zero.uid, cleared.owner.uid, "1: float64[]") in edges(text)
    # one constant read as a bound and as data (exp's only input): drawn, with its data edge
    k = T.constant(np.int64(2))
    out = x[k:] + T.exp(k)
    sliced = out.owner.inputs[0].owner
    text = to_dot([out])
    assert drawn(text)[sliced.uid][0] == "Subtensor{2:}"
    assert k.uid in drawn(text)
    grown = out.owner.inputs[1].owner.inputs[0].owner  # exp(k), then broadcast for the sum
    assert list(grown.inputs) == [k]
    assert [(src, dst) for src, dst, _ in edges(text) if src == k.uid] == [(k.uid, grown.uid)]
    f = nbgraph.function([x], out)
    np.testing.assert_allclose(f(np.arange(12.0).reshape(4, 3)),
                               np.arange(12.0).reshape(4, 3)[2:] + np.exp(2))


def test_a_marked_bound_stays_a_node_and_folding_twice_is_folding_once():
    x = T.dvector("x")
    gate = x[8:16]
    low = gate.owner.inputs[1]
    assert low.uid in drawn(to_dot([gate], highlight=[low.uid]))
    records, _ = snapshot_records([gate])
    once, notes = fold_bounds(records)
    twice, again = fold_bounds(once)
    assert once == twice and again == {}
    assert [r.label for r in once] == ["x", "Subtensor{8:16}"]


def test_edges_from_a_two_output_node_carry_the_type_of_their_output():
    a = T.dmatrix("a")
    w, v = eigh(a)  # one Apply: eigenvalues float64[?], eigenvectors float64[?,?]
    assert w.owner is v.owner
    out = T.dot(v, w)
    records, _ = snapshot_records([out])
    record = {r.uid: r for r in records}[out.owner.uid]
    assert record.inputs == (w.owner.uid, w.owner.uid) and record.ports == (1, 0)
    text = to_dot([out])
    assert sorted(label for src, _, label in edges(text) if src == w.owner.uid) == [
        "0: float64[?,?]", "1: float64[?]"]
    assert "float64[?], float64[?,?]" not in [label for _, _, label in edges(text)]
    first = T.exp(w)  # the first output, read alone
    assert edges(to_dot([first])) == [(a.uid, w.owner.uid, "float64[?,?]"),
                                      (w.owner.uid, first.owner.uid, "float64[?]")]
    single = {r.uid: r for r in snapshot_records([T.exp(a)])[0]}  # one output: no ports
    assert all(r.ports == () for r in single.values())
    # a trace's JSON keeps the ports, and reads back equal
    fn = nbgraph.function([a], out)
    assert Trace.from_json(fn.trace.to_json()) == fn.trace
    values = np.array([[2.0, 1.0], [1.0, 3.0]])
    ev, vec = np.linalg.eigh(values)
    np.testing.assert_allclose(fn(values), vec @ ev)


def test_output_type_picks_one_output_and_falls_back_to_all():
    rec = NodeRecord(5, "Eigh{L}", (1,), "float64[?], float64[?,?]", None)
    assert output_type(rec, 1) == "float64[?,?]" and output_type(rec, 0) == "float64[?]"
    assert output_type(rec, None) == "float64[?], float64[?,?]"
    reader = NodeRecord(6, "dot", (5, 5), "float64[?]", None, ports=(1,))  # misaligned
    assert reader.input_ports() == (None, None)
    # no ports: not known (a view rewired the inputs), so an edge reads all the types
    assert NodeRecord(7, "exp", (5,), "float64[?]", None).input_ports() == (None,)
