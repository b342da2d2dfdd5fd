"""The LSTM of notebook 11 drawn in its Graph tab: gate slices labelled ``Subtensor{8:16}``,
the step's inputs at the top of its box, the whole drawing within the page; a scan's two
outputs typed apart on their edges."""

from __future__ import annotations

import itertools
import re
import shutil

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.widgets.drawing import Picture, Style, graphviz_text
from nbgraph.widgets.graphdata import collapse, drawable, graph_snapshot
from nbgraph.widgets.render import MIN_ZOOM, WIDE_PT, dot_to_svg, svg_size
from nbgraph.widgets.views import view_graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
N = 8  # hidden units: the four gates are the four quarters of one product


def lstm_graph():
    """Notebook 11's LSTM cell: its inputs and the last hidden state's squared norm."""
    xs, h0, c0 = T.dmatrix("xs"), T.dvector("h0"), T.dvector("c0")
    W, U, b = T.dmatrix("W"), T.dmatrix("U"), T.dvector("b")  # noqa: N806

    def step(x_t, h, c):
        z = T.dot(x_t, W) + T.dot(h, U) + b
        i, f, o = (T.nnet.sigmoid(z[k * N:(k + 1) * N]) for k in range(3))
        c_new = f * c + i * T.tanh(z[3 * N:])
        return T.tanh(c_new) * o, c_new

    (hs, _), _ = nbgraph.scan(step, sequences=[xs], outputs_info=[h0, c0])
    return (xs, h0, c0, W, U, b), (hs[-1] ** 2).sum()


def lstm():
    """Notebook 11's LSTM, compiled and run once on 10 steps."""
    inputs, cost = lstm_graph()
    fn = nbgraph.function(list(inputs), cost)
    rng = np.random.default_rng(0)
    fn(rng.normal(size=(10, 4)), np.zeros(N), np.zeros(N), rng.normal(size=(4, 4 * N)),
       rng.normal(size=(N, 4 * N)), np.zeros(4 * N))
    return fn


def graph_dot(fn) -> str:
    """The Graph tab's DOT text (``view_graph``'s picture)."""
    snap, boxes = drawable(fn)
    return graphviz_text(Picture(snap, Style(clusters=tuple(boxes))))


@needs_dot
def test_lstm_graph_tab_fits_the_page_with_its_gate_bounds_in_the_labels():
    fn = lstm()
    text = graph_dot(fn)
    labels = re.findall(r'label="(Subtensor\{[^"]*\})"', text)
    assert sorted(labels) == ["Subtensor{-1}", "Subtensor{0:8}", "Subtensor{0:int64}",
                              "Subtensor{16:24}", "Subtensor{24:}", "Subtensor{8:16}"]
    assert not re.search(r'label="TensorConstant\{(8|16|24)\}"', text)
    # the step's taps (h and c at t-1, U, b, the pushed-out x·W) open its box on one rank
    taps = re.search(r"\{ rank=same; ([\d; ]+); \}", text).group(1).split("; ")
    assert len(taps) == 5
    svg = dot_to_svg(text)
    # dot's layout is deterministic: 1870 pt with the bounds as nodes and the taps beside
    # the box at the ranks they are read at, past the sideways-scroll hint at any zoom
    width = svg_size(svg)[0]
    assert width * MIN_ZOOM <= WIDE_PT
    assert "wider than the page" not in view_graph(fn).html
    heights = set()
    for uid in taps:  # each node's shape: an ellipse centred at its rank's y
        shape = re.search(rf'<g id="n{uid}" class="[^"]*">.*?<ellipse[^>]* cy="(-?\d+)"',
                          svg, re.S)
        heights.add(shape.group(1))
    assert len(heights) == 1


def test_a_scans_two_outputs_are_typed_apart_on_their_edges():
    xs, h0 = T.dmatrix("xs"), T.dvector("h0")
    (hs, norms), _ = nbgraph.scan(lambda x, h: (T.tanh(x + h), T.sqrt((x * h).sum())),
                                  sequences=[xs], outputs_info=[h0, None])
    fn = nbgraph.function([xs, h0], hs[-1].sum() + norms.sum())
    got = fn(np.ones((5, 3)) * 0.1, np.zeros(3))
    h, want = np.zeros(3), []
    for _ in range(5):
        want.append(np.sqrt((0.1 * h).sum()))
        h = np.tanh(0.1 + h)
    np.testing.assert_allclose(got, h.sum() + sum(want))
    scan = next(node for node in fn.maker.fgraph.toposort() if str(node.op).startswith("Scan"))
    out_edges = re.findall(rf'^  {scan.uid} -> \d+ \[label="([^"]*)"', graph_dot(fn), re.M)
    # after the call: 5 steps of h (3 wide) and 5 norms, each on the edge reading it
    assert sorted(out_edges) == ["float64[5,3]", "float64[5]"]


def test_a_folded_big_graph_keeps_its_bounds_in_the_labels():
    x = T.dvector("x")
    gate = x[8:16]
    out = gate * 2.0
    snap = graph_snapshot([out])
    folded = collapse(snap)  # a graph of 120+ records: constants go to tooltips
    kept = {rec.label for rec in folded.snapshot.nodes}
    assert "TensorConstant{2.0}" not in kept  # a data constant: dropped, as before
    assert {"TensorConstant{8}", "TensorConstant{16}"} <= kept  # bounds: for the label
    text = graphviz_text(Picture(folded.snapshot))
    assert 'label="Subtensor{8:16}"' in text
    assert not re.search(r'label="TensorConstant', text)


def lstm_gradient():
    """Notebook 11's LSTM cell as ``%%symgraph --grad W`` draws it: cost and gradient by W."""
    inputs, cost = lstm_graph()
    fn = nbgraph.function(list(inputs), [cost, nbgraph.grad(cost, inputs[3])])
    return inputs, fn


@needs_dot
@pytest.mark.parametrize("first_uid", [1, 10 ** 6])  # a fresh kernel; a long session
def test_lstm_gradient_drawings_are_narrower_with_python_slices_and_the_step_boxed_inside(
        first_uid, monkeypatch):
    from nbgraph.core import graph as core_graph
    from nbgraph.widgets.views import gradient_style

    # uids label nodes and tooltips: the drawing must fit however many digits they have
    monkeypatch.setattr(core_graph, "_uids", itertools.count(first_uid))
    inputs, fn = lstm_gradient()
    snap, boxes = drawable(fn)
    graph = graphviz_text(Picture(snap, Style(clusters=tuple(boxes), narrow=True)))
    gradient = graphviz_text(Picture(snap, gradient_style(snap, 1, boxes)))
    for text in (graph, gradient):
        labels = re.findall(r'label="([^"\\]*)', text)
        assert not [label for label in labels if "Subtensor{" in label]
        assert "[:int64:]" in labels and "[::-1]" in labels and "[8:16]" in labels
        tips = re.findall(r'tooltip="([^"]*)"', text)
        assert any("\\nSubtensor{:int64:}" in tip for tip in tips)  # the full op, in the tooltip
    # a crowded drawing leaves each backward node's origin to its tooltip, not a note
    assert "∂" not in "".join(re.findall(r'label="([^"]*)"', gradient))
    assert len(re.findall(r'tooltip="[^"]*∂ of #\d+', gradient)) > 40
    # dot's layout is deterministic. Graph 1752 pt with Subtensor{int64:} labels, nodes at
    # least 0.75 in wide and 0.15 in apart; gradient 2455 pt with its backward step's box
    # beside the backward box and each backward node noted `∂ of #1487 Scan`
    page = WIDE_PT / MIN_ZOOM
    assert svg_size(dot_to_svg(graph))[0] <= page
    assert svg_size(dot_to_svg(gradient))[0] <= page
    blocks = [re.search(r'label="([^"]*)"', line).group(1)
              for line in gradient.splitlines() if "subgraph" in line]
    # the backward box holds the backward step and its ifelse; the forward step is outside
    assert blocks[:2] == ["backward (gradient)", "Scan{grad_of_scan}: step"]
    assert blocks[-1] == "Scan: step"
    assert gradient.index('"Scan: step"') > gradient.index("\n  }\n")  # after the box closes
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(4, 4)), np.zeros(N), np.zeros(N),
              rng.normal(size=(4, 4 * N)) * 0.5, rng.normal(size=(N, 4 * N)) * 0.5,
              np.zeros(4 * N)]
    cost, grad = fn(*values)

    def forward(w):
        h, c = values[1], values[2]
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        for x_t in values[0]:
            z = x_t @ w + h @ values[4] + values[5]
            i, f, o = (sig(z[k * N:(k + 1) * N]) for k in range(3))
            c = f * c + i * np.tanh(z[3 * N:])
            h = np.tanh(c) * o
        return (h ** 2).sum()

    np.testing.assert_allclose(cost, forward(values[3]))
    k, eps = (1, 5), 1e-6
    bump = np.zeros_like(values[3])
    bump[k] = eps
    numeric = (forward(values[3] + bump) - forward(values[3] - bump)) / (2 * eps)
    np.testing.assert_allclose(grad[k], numeric, rtol=1e-5)
