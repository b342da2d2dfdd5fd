"""to_dot's folding: small constant operands written into their op's label (``Gemv{α=1,
β=0}``), and nodes drawn on edges keeping their tooltip."""

from __future__ import annotations

import re

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.graphviz import DotOptions, NodeStyle, to_dot

_TIP = re.compile(r'^ +(\d+) -> (\d+) \[label="([^"]*)", tooltip="((?:[^"\\]|\\.)*)"\];', re.M)


def test_a_node_drawn_on_an_edge_keeps_its_tooltip_line():
    w, x = T.dmatrix("w"), T.dmatrix("x")
    wt = w.T
    out = T.dot(x, wt)
    note = "output: 256 B (in its input's buffer: a view of w)"
    text = to_dot([out], on_edges={wt.owner.uid: "wᵀ\n#7 · 0.4%"},
                  styles={wt.owner.uid: NodeStyle(tooltip=note)})
    (edge,) = [m for m in _TIP.finditer(text)]
    assert (int(edge.group(1)), int(edge.group(2))) == (w.uid, out.owner.uid)
    assert edge.group(3) == "1: wᵀ\\n#7 · 0.4% float64[?,?]"
    # the head is the edge's first line, then the op, then the node's own tooltip line
    assert edge.group(4) == (f"wᵀ: InplaceDimShuffle{{1,0}}, float64[?,?], uid "
                             f"{wt.owner.uid}\\n{note}")
    assert f"{wt.owner.uid} [" not in text  # not drawn as a node
    # without a style the tooltip is the one line
    plain = to_dot([out], on_edges={wt.owner.uid: "wᵀ"})
    assert [m.group(4) for m in _TIP.finditer(plain)] == [
        f"wᵀ: InplaceDimShuffle{{1,0}}, float64[?,?], uid {wt.owner.uid}"]
    fn = nbgraph.function([x, w], out)
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(fn(a, b), a @ b.T)


_NODE = re.compile(r'^ +(\d+) \[id="(\d+)", label="((?:[^"\\]|\\.)*)", '
                   r'tooltip="((?:[^"\\]|\\.)*)"', re.M)
_EDGE = re.compile(r"^ +(\d+) -> (\d+)", re.M)


def drawn(text: str) -> dict[int, tuple[str, str]]:
    return {int(m.group(1)): (m.group(3), m.group(4)) for m in _NODE.finditer(text)}


def logistic():
    X, t, w = T.dmatrix("X"), T.dvector("t"), T.dvector("w")
    cost = T.nnet.binary_crossentropy(T.nnet.sigmoid(T.dot(X, w)), t).mean()
    fn = nbgraph.function([X, t, w], [cost, T.grad(cost, w)])
    return (X, t, w), fn


def test_blas_alpha_beta_and_placeholder_are_written_into_the_gemv_label():
    (X, t, w), fn = logistic()
    snap = fn.trace.passes[-1].after
    by_uid = {r.uid: r for r in snap.nodes}
    gemvs = [r for r in snap.nodes if r.label == "Gemv{no_inplace}"]
    assert len(gemvs) == 2  # X·w forward, Xᵀ·g backward
    text = to_dot(snap)
    nodes = drawn(text)
    for gemv in gemvs:
        y, alpha, _, _, beta = (by_uid[u] for u in gemv.inputs)
        assert (y.label, alpha.label, beta.label) == (
            "TensorConstant{[0.0]}", "TensorConstant{1.0}", "TensorConstant{0.0}")
        label, tip = nodes[gemv.uid]
        assert label == "Gemv{no_inplace}\\ny=[0.0] α=1.0 β=0.0"
        assert (f"Gemv{{no_inplace}}, constants: #{y.uid} TensorConstant{{[0.0]}}, "
                f"#{alpha.uid} TensorConstant{{1.0}}, #{beta.uid} TensorConstant{{0.0}}") in tip
        for const in (y, alpha, beta):
            assert const.uid not in nodes and f"{const.uid} -> " not in text
        # A and x stay edges, numbered as drawn
        assert [int(m.group(1)) for m in _EDGE.finditer(text)
                if int(m.group(2)) == gemv.uid] == [gemv.inputs[2], gemv.inputs[3]]
    assert "TensorConstant{[1.0]}" not in {label for label, _ in nodes.values()}  # 1 - t
    # Theano's drawing, constants as nodes, on request
    plain = drawn(to_dot(snap, options=DotOptions(fold_bounds=False)))
    assert plain[gemvs[0].uid][0] == "Gemv{no_inplace}" and gemvs[0].inputs[1] in plain
    rng = np.random.default_rng(0)
    xv, tv, wv = rng.normal(size=(6, 3)), (rng.random(6) < 0.5) * 1.0, rng.normal(size=3)
    p = 1 / (1 + np.exp(-xv @ wv))
    cost, gw = fn(xv, tv, wv)
    np.testing.assert_allclose(cost, np.mean(-tv * np.log(p) - (1 - tv) * np.log(1 - p)))
    np.testing.assert_allclose(gw, xv.T @ (p - tv) / 6)


def test_small_constants_fold_as_a_call_and_data_constants_stay_nodes():
    x, n = T.dvector("x"), T.iscalar("n")
    above = T.gt(x, 0.0)       # the 0.0 and its broadcast: `(·, 0.0)`
    grown = T.alloc(0.5, n)    # the 0.5 is the Alloc's data: stays; no size is constant
    sized = T.alloc(x[0], 3)   # the size 3 folds, the data is drawn: `(·, 3)`
    alone = T.exp(T.constant(2.0))              # a constant as the only input stays
    wide = x + T.constant(np.array([1.0, 2.0, 3.0]))  # three elements: not small
    text = to_dot([above, grown, sized, alone, wide])
    nodes = drawn(text)
    assert nodes[above.owner.uid][0] == "Elemwise{gt,no_inplace}\\n(·, 0.0)"
    spread = above.owner.inputs[1].owner
    assert spread.uid not in nodes and spread.inputs[0].uid not in nodes
    assert (f"#{spread.uid} InplaceDimShuffle{{x}} of #{spread.inputs[0].uid} "
            "TensorConstant{0.0}") in nodes[above.owner.uid][1]
    assert nodes[grown.owner.uid][0] == "Alloc" and grown.owner.inputs[0].uid in nodes
    assert nodes[sized.owner.uid][0] == "Alloc\\n(·, 3)"
    assert nodes[alone.owner.uid][0] == "Elemwise{exp,no_inplace}"
    assert alone.owner.inputs[0].uid in nodes
    assert nodes[wide.owner.uid][0] == "Elemwise{add,no_inplace}"
    # a marked constant (a rewrite added it, or it is highlighted) is not folded
    zero = spread.inputs[0]
    kept = drawn(to_dot([above], highlight=[zero.uid]))
    assert zero.uid in kept and spread.uid in kept
    assert kept[above.owner.uid][0] == "Elemwise{gt,no_inplace}"
    fn = nbgraph.function([x, n], [above, grown, sized, alone, wide])
    got = fn(np.array([-1.0, 2.0, 0.0]), 2)
    for value, want in zip(got, [[False, True, False], [0.5, 0.5], [-1.0] * 3, np.exp(2.0),
                                 [0.0, 4.0, 3.0]], strict=True):
        np.testing.assert_allclose(value, want)


def test_inner_graph_ops_keep_their_constant_inputs():
    from nbgraph.ifelse import ifelse

    c, a = T.dscalar("c"), T.dvector("a")
    chosen = ifelse(T.gt(c, 0), a * 2, a)
    n_steps = T.constant(np.int64(4))
    rows, _ = nbgraph.scan(lambda h: h * 2.0, outputs_info=[a], n_steps=n_steps)
    text = to_dot([chosen, rows])
    nodes = drawn(text)
    assert nodes[chosen.owner.uid][0] == "IfElse"
    loop = rows.owner  # Scan(n_steps=4, a as a row, 2.0 broadcast: the step's operand)
    assert [str(v) for v in loop.inputs[::2]] == ["TensorConstant{4}", "InplaceDimShuffle{x}.0"]
    assert nodes[loop.uid][0] == "Scan"
    for var in loop.inputs:  # wired by position into the step: every input stays an edge
        assert f"  {var.owner.uid if var.owner else var.uid} -> {loop.uid}" in text
    f = nbgraph.function([c, a], [chosen, rows])
    got, steps = f(1.0, np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, [2.0, 4.0])
    np.testing.assert_allclose(steps[-1], [16.0, 32.0])


def test_relabel_runs_after_folding_on_the_first_line_of_each_op():
    x = T.dvector("x")
    gate = x[8:16]
    above = T.gt(gate, 0.0)
    seen = []

    def short(label: str) -> str:
        seen.append(label)
        return label.split("{", 1)[0].lower()

    nodes = drawn(to_dot([above], options=DotOptions(relabel=short)))
    assert sorted(seen) == ["Elemwise{gt,no_inplace}", "Subtensor{8:16}"]  # folded, no leaf
    assert nodes[gate.owner.uid][0] == "subtensor"
    assert nodes[above.owner.uid][0] == "elemwise\\n(·, 0.0)"
    assert nodes[x.uid][0] == "x"
    np.testing.assert_allclose(nbgraph.function([x], above)(np.arange(-8.0, 12.0)),
                               np.arange(0.0, 8.0) > 0)
