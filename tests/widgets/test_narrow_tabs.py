"""Every drawn tab of a 4-layer MLP with its gradient fits the page: Profile, Passes, Gradient.

Transposes and broadcasts are drawn on their edges, named (``w2ᵀ``, ``b1[None,:]``) and, in
the Profile, with their ``#uid · share``: the table's rows still name them and add up.
"""

from __future__ import annotations

import re
import shutil

import ipywidgets as W
import numpy as np
import pytest
from test_theme_layout import mlp_gradient
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.records import NodeRecord, Snapshot
from nbgraph.widgets import view_profile
from nbgraph.widgets.drawing import (
    ADDED,
    EDGE_LABELS_UP_TO,
    Picture,
    Style,
    on_edges,
    short_op,
)
from nbgraph.widgets.drawing import graphviz_text as dot_text
from nbgraph.widgets.graphdata import Collapsed
from nbgraph.widgets.kernels import full_trace
from nbgraph.widgets.pass_inner import InnerNodes
from nbgraph.widgets.passes import step_pictures
from nbgraph.widgets.render import MIN_ZOOM, WIDE_PT, dot_to_svg, svg_size
from nbgraph.widgets.steps import pass_steps
from nbgraph.widgets.timing import profile_rows, time_calls
from nbgraph.widgets.views import view_gradient

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")
PAGE_PT = WIDE_PT / MIN_ZOOM  # 1125 pt: wider drawings scroll sideways at the minimum zoom


def mlp_values():
    rng = np.random.default_rng(0)
    widths = (20, 32, 32, 32, 10)
    params = [rng.normal(size=shape) * 0.3 for k in range(4)
              for shape in ((widths[k], widths[k + 1]), (widths[k + 1],))]
    return [rng.normal(size=(64, 20)), rng.integers(0, 10, 64).astype("int32"), *params]


@pytest.fixture(scope="module")
def mlp():
    """Notebook 11's ``%%symgraph --grad w1 --profile``: outputs and the called function."""
    outputs, fn = mlp_gradient(n_wrt=1, profile=True)
    timing = time_calls(fn, mlp_values(), calls=3)
    return outputs, fn, timing


def svgs(widget) -> list[str]:
    """The SVG of every drawn pane under ``widget``."""
    if isinstance(widget, W.HTML):
        return re.findall(r"<svg.*?</svg>", widget.value, re.S)
    return [svg for child in getattr(widget, "children", ()) for svg in svgs(child)]


def width(svg: str) -> float:
    return svg_size(svg)[0]


@needs_dot
def test_mlp_profile_draws_timed_transposes_on_their_edges_and_fits(mlp):
    _, fn, timing = mlp
    view = view_profile(fn, timing)
    (drawn,) = svgs(view.widget)
    rows = profile_rows(fn, timing)
    by_uid = {row.uid: row for row in rows}
    transposes = {row.uid for row in rows if row.op.endswith("DimShuffle{1,0}")}
    assert len(transposes) == 4  # X, w2, w3, w4 transposed for the backward pass
    assert width(drawn) <= PAGE_PT  # 1347 pt with the transposes drawn as nodes
    assert not transposes & set(svg_nodes(drawn))  # no node, but a labelled edge each:
    # the table lists every timed box, those on an edge saying which
    listed = dict(re.findall(r"<td[^>]*>#(\d+)</td><td[^>]*>(.*?)</td>", view.html))
    on_edges = re.findall(r">\d: (\w+)ᵀ</text>\s*<text[^>]*>#(\d+) · ", drawn)
    assert sorted(name for name, _ in on_edges) == ["X", "w2", "w3", "w4"]
    for name, uid in on_edges:
        assert f"#{uid} · {by_uid[int(uid)].share:.1%}" in drawn  # the row's share
        assert f"drawn on the edge {name}ᵀ" in listed[uid]
    assert {int(uid) for _, uid in on_edges} == transposes
    # the outer rows still add up to the whole
    assert sum(row.share for row in rows if not row.within) == pytest.approx(1.0)
    # the static drawing (coloured by bytes, each box noted ``#uid``) fits too
    (static,) = re.findall(r"<svg.*?</svg>", view.html, re.S)
    assert width(static) <= PAGE_PT and not transposes & set(svg_nodes(static))


@needs_dot
def test_every_pass_of_the_mlp_gradient_fits_and_keeps_its_marked_nodes(mlp):
    _, fn, _ = mlp
    steps = [step for step in pass_steps(full_trace(fn)) if step.changed]
    inner = InnerNodes(fn.maker.fgraph.toposort(), fn)
    widths = []
    for step in steps:
        for picture in step_pictures(step, None, inner):
            text = dot_text(picture)
            widths.append(width(dot_to_svg(text)))
            declared = {int(u) for u in re.findall(r"^\s+(\d+) \[", text, re.M)}
            assert set(picture.style.mark) <= declared  # added/removed nodes stay nodes
    # dot's layout is deterministic: the widest pass was 1514 pt, now 771 pt
    assert len(widths) >= 10 and max(widths) <= PAGE_PT


@needs_dot
def test_mlp_gradient_tab_fits_with_bias_broadcasts_on_edges(mlp):
    outputs, fn, _ = mlp
    view = view_gradient(outputs, fn, n_forward=1)
    drawn = svgs(view.widget)
    assert len(drawn) == 2 and max(width(svg) for svg in drawn) <= PAGE_PT  # 1373 pt before
    for svg in drawn:  # each layer's bias reaches its add on a labelled edge
        assert sorted(re.findall(r">\d: (b\d)\[None,:\]</text>", svg)) == ["b1", "b2", "b3",
                                                                        "b4"]
        assert "ᵀ</text>" not in svg  # the boxed backward part keeps its transposes


def test_narrow_drawings_shorten_elementwise_labels_and_keep_them_in_the_tooltip():
    assert short_op("Elemwise{Cast{float64},no_inplace}") == "Cast{float64}"
    assert short_op("Elemwise{add,inplace}") == "add (inplace)"
    assert short_op("Elemwise{Composite{clip(i0, 0, 1)}}") == "Composite{clip(i0, 0, 1)}"
    assert short_op("InplaceDimShuffle{1,0}") == "InplaceDimShuffle{1,0}"
    # basic indexing as Python writes it; the advanced ops keep their names
    assert [short_op(f"Subtensor{{{i}}}") for i in ("8:16", "::-1", "int64:", "-1", "::, 2")] \
        == ["[8:16]", "[::-1]", "[int64:]", "[-1]", "[::, 2]"]
    assert short_op("IncSubtensor{Inc;8:16}") == "[8:16] +="
    assert short_op("IncSubtensor{InplaceSet;0:8}") == "[0:8] = (inplace)"
    assert short_op("AdvancedSubtensor") == "AdvancedSubtensor"
    assert short_op("AdvancedIncSubtensor1{inplace,set}") == "AdvancedIncSubtensor1{inplace,set}"
    rec = NodeRecord(7, "Elemwise{tanh,no_inplace}", (1,), "float64[3]", None)
    assert "Elemwise{tanh,no_inplace}" in Style(narrow=True).node_style(rec).tooltip
    assert "Elemwise{tanh" not in Style().node_style(rec).tooltip  # drawn in full there


def padded(*records: NodeRecord) -> Snapshot:
    """``records`` and a chain of exps after them: big enough for views to go on edges."""
    chain = [NodeRecord(100 + k, "Elemwise{exp,no_inplace}", (100 + k - 1 if k else 9,),
                        "float64[?,?]", None) for k in range(EDGE_LABELS_UP_TO)]
    return Snapshot(records + tuple(chain), (chain[-1].uid,))


def test_which_views_go_on_their_edges():
    b, c = NodeRecord(1, "b", (), "float64[?]", "b"), NodeRecord(2, "TensorConstant{1}", (),
                                                                   "int8[]", None)
    snap = padded(
        b, c,
        NodeRecord(3, "InplaceDimShuffle{x,0}", (1,), "float64[1,?]", None),   # b[None,:]
        NodeRecord(4, "DimShuffle{1,0}", (3,), "float64[?,1]", None),  # a view of a view
        NodeRecord(5, "InplaceDimShuffle{x}", (2,), "int8[1]", None),  # of a constant
        NodeRecord(6, "Elemwise{add,no_inplace}", (4, 3), "float64[?,?]", None),
        NodeRecord(7, "DimShuffle{1,0}", (6,), "float64[?,?]", None),  # #6ᵀ
        NodeRecord(8, "DimShuffle{1,x,0}", (6,), "float64[?,1,?]", None),  # reorders: stays
        NodeRecord(9, "Elemwise{mul,no_inplace}", (7, 8, 5), "float64[?,?]", None))
    folded = Collapsed(snap)
    assert on_edges(folded, Style(narrow=True, note={7: "#7 · 2.0%"})) == {
        3: "b[None,:]", 7: "#6ᵀ\n#7 · 2.0%"}
    assert on_edges(folded, Style(narrow=True).highlight([7], ADDED, "added")) == {
        3: "b[None,:]"}  # a marked node stays a node
    assert on_edges(folded, Style(narrow=True, cluster=("backward", frozenset({7})))) == {
        3: "b[None,:]"}  # a boxed backward part keeps its transposes
    assert on_edges(folded, Style()) == {}  # only narrow drawings
    text = dot_text(Picture(snap, Style(narrow=True)))
    assert "  3 [" not in text and "  7 [" not in text and "  4 [" in text
    assert '1 -> 4 [label="b[None,:]"' in text and '6 -> 9 [label="0: #6ᵀ"' in text


@needs_dot
def test_tour_logistic_regression_gradient_and_profile_fit_the_page():
    """The tour's cells 7 and 11: each Gemv drew its y, alpha and beta as three constant
    boxes in one row (1266 and 1199 pt); written into its label, both fit."""
    X, t, w = T.dmatrix("X"), T.dvector("t"), T.dvector("w")
    cost = T.nnet.binary_crossentropy(T.nnet.sigmoid(T.dot(X, w)), t).mean()
    gw = T.grad(cost, w)
    grad_view = view_gradient([cost, gw], nbgraph.function([X, t, w], [cost, gw]), n_forward=1)
    fn = nbgraph.function([X, t, w], [cost, gw], profile=True)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(50, 20)), (rng.random(50) < 0.5) * 1.0, rng.normal(size=20)]
    profile = view_profile(fn, time_calls(fn, values, calls=2))
    drawn = svgs(grad_view.widget) + svgs(profile.widget)
    assert len(drawn) == 3 and max(width(svg) for svg in drawn) <= PAGE_PT
    for svg in drawn[1:]:  # after optimization: the two Gemvs, with their constants
        assert svg.count(">y=[0.0] α=1.0 β=0.0</text>") == 2
        assert ">TensorConstant{" not in svg
    p = 1 / (1 + np.exp(-values[0] @ values[2]))
    np.testing.assert_allclose(fn(*values)[1], values[0].T @ (p - values[1]) / 50)
