"""After a call, the Graph tab's inner boxes show the shapes that ran: a scan step's per-step
rows, the taken ifelse branch's values; the branch not taken keeps its symbolic ``?``."""

from __future__ import annotations

import re

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.ifelse import ifelse
from nbgraph.widgets.drawing import Picture, Style, graphviz_text
from nbgraph.widgets.graphdata import drawable


def edge_types(fn, into: int) -> list[str]:
    """The type labels on the Graph tab's DOT edges into record ``into``."""
    snap, clusters = drawable(fn)
    dot = graphviz_text(Picture(snap, Style(clusters=tuple(clusters), edge_labels=True)))
    return re.findall(rf" -> {into} \[label=\"(?:\d+: )?([^\"]+)\"", dot)


def test_scan_step_edges_show_per_step_shapes():
    xs, h0, w, u = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w"), T.dmatrix("u")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(x_t, w) + T.dot(h, u)),
                         sequences=[xs], outputs_info=[h0])
    f = nbgraph.function([xs, h0, w, u], hs[-1].sum())
    scan = next(n for n in f.maker.fgraph.toposort() if type(n.op).__name__ == "Scan")
    tanh = scan.op.inner_outputs[0].owner  # the optimized step's (x·w pushed out of it)
    add = tanh.inputs[0].owner
    assert edge_types(f, tanh.uid) == ["float64[?]"]  # nothing ran yet
    rng = np.random.default_rng(0)
    f(rng.normal(size=(6, 3)), rng.normal(size=4), rng.normal(size=(3, 4)),
      rng.normal(size=(4, 4)))
    # one step: a row of x·w (4,) plus h·u (4,), not the 6 steps' stack
    dot = next(v.owner for v in add.inputs if v.owner is not None)
    assert edge_types(f, dot.uid) == ["float64[4]", "float64[4,4]"]  # h, u
    assert edge_types(f, tanh.uid) == ["float64[4]"]
    assert edge_types(f, add.uid) == ["float64[4]", "float64[4]"]
    assert "float64[4]" in edge_types(f, scan.uid)  # the step's output into the loop


def test_ifelse_taken_branch_concrete_untaken_keeps_question_marks():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    f = nbgraph.function([c, a, b], ifelse(T.gt(c, 0), T.exp(a) * 2, T.log1p(b ** 2)))
    op = next(n.op for n in f.maker.fgraph.toposort() if type(n.op).__name__ == "IfElse")
    mul, log1p = op.then_outputs[0].owner, op.else_outputs[0].owner
    exp, power = mul.inputs[0].owner, log1p.inputs[0].owner
    f(1.0, np.ones(5), np.ones(7))
    assert edge_types(f, mul.uid)[0] == "float64[5]"
    assert edge_types(f, exp.uid) == ["float64[5]"]
    assert edge_types(f, log1p.uid) == ["float64[?]"]  # the else branch never ran
    assert edge_types(f, power.uid)[0] == "float64[?]"
    f(-1.0, np.ones(5), np.ones(7))  # now it has: b's 7 values
    assert edge_types(f, log1p.uid) == ["float64[7]"]
    assert edge_types(f, power.uid)[0] == "float64[7]"


def test_gate_slices_in_a_step_get_their_rows():
    xs, h0, u = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("u")

    def step(x_t, h):
        z = T.dot(h, u) + x_t  # both gates in one product, as an LSTM's
        return T.tanh(z[:4]) * T.nnet.sigmoid(z[4:])

    hs, _ = nbgraph.scan(step, sequences=[xs], outputs_info=[h0])
    f = nbgraph.function([xs, h0, u], hs[-1].sum())
    rng = np.random.default_rng(1)
    f(rng.normal(size=(5, 8)), rng.normal(size=4), rng.normal(size=(4, 8)))
    snap, clusters = drawable(f)
    (_, step_box), = clusters
    types = {rec.label.split("{")[0]: rec.type for rec in snap.nodes
             if rec.uid in step_box and rec.inputs}
    assert types["Subtensor"] == "float64[4]" and types["dot"] == "float64[8]"
    assert "?" not in "".join(types.values()), types


def test_op_from_graph_body_edges_after_a_call():
    a, b = T.dvector("a"), T.dvector("b")
    body = nbgraph.OpFromGraph([a, b], [T.exp(a) * b + a])
    x, y = T.dvector("x"), T.dvector("y")
    f = nbgraph.function([x, y], body(x, y).sum())

    def body_types():
        snap, clusters = drawable(f)
        (_, box), = clusters
        return {rec.type for rec in snap.nodes if rec.uid in box}

    assert body_types() == {"float64[?]"}  # before the first call
    f(np.ones(3), np.ones(3))
    assert body_types() == {"float64[3]"}
