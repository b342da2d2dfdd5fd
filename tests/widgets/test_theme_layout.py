"""Both themes, narrow gradient layouts, nested inner graphs and fully wired inner boxes."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from widget_fixtures import make_trace, svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.graphviz import to_dot
from nbgraph.core.records import NodeRecord
from nbgraph.ifelse import ifelse
from nbgraph.widgets import view_passes, view_profile
from nbgraph.widgets.drawing import DIMMED, Picture, Style, graphviz_text, has_gradient
from nbgraph.widgets.graphdata import drawable
from nbgraph.widgets.inner_run import running_drawable
from nbgraph.widgets.render import MIN_ZOOM, WIDE_PT, dot_to_svg, svg_size
from nbgraph.widgets.static import CELL
from nbgraph.widgets.timing import graph_order, profile_rows
from nbgraph.widgets.views import gradient_style

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def luminance(colour: str) -> float:
    rgb = [int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_table_rules_and_the_card_use_the_theme_variables():
    assert "var(--jp-border-color2,#e5e7eb)" in CELL
    view = view_passes(make_trace())
    assert "solid #e5e7eb" not in view.html  # a hard-coded light rule is white on a dark page
    assert view.html.count("var(--jp-border-color2,#e5e7eb)") >= 3  # one per table cell
    card = view.parts["event"]
    assert "var(--jp-border-color2,#e5e7eb)" in card.value
    assert card.layout.width == "auto"  # 100% plus the widget's margin overflowed


def test_dimmed_node_text_reads_on_its_own_fill():
    rec = NodeRecord(7, "Elemwise{exp,no_inplace}", (), "float64[3]", None)
    style = Style(dim=True).highlight([1], ("#fecaca", "#dc2626"), "removed")
    attrs = style.node_style(rec).attrs
    assert (attrs["fontcolor"], attrs["fillcolor"]) == (DIMMED[1], DIMMED[2])
    assert contrast(attrs["fontcolor"], attrs["fillcolor"]) >= 4.5  # WCAG AA for small text
    assert contrast(DIMMED[1], "#9ca3af") < 4.5 < contrast(DIMMED[1], DIMMED[2])


def mlp_gradient(n_wrt=8, profile=False):
    """The loss and its gradients by the first ``n_wrt`` of w1, b1, ..., w4, b4; compiled."""
    X, y = T.dmatrix("X"), T.ivector("y")
    h, params = X, []
    for k in range(1, 5):
        with nbgraph.name_scope(f"layer{k}"):
            w, b = T.dmatrix(f"w{k}"), T.dvector(f"b{k}")
            params += [w, b]
            z = T.dot(h, w) + b
            h = T.nnet.softmax(z) if k == 4 else T.tanh(z)
    loss = T.nnet.categorical_crossentropy(h, y).mean()
    grads = nbgraph.grad(loss, params[:n_wrt])
    return [loss, *grads], nbgraph.function([X, y, *params], [loss, *grads], profile=profile)


def gradient_width(graph, narrow=True):
    snap, boxes = drawable(graph)
    style = gradient_style(snap, 1, boxes)
    style.narrow = narrow
    return svg_size(dot_to_svg(graphviz_text(Picture(snap, style))))[0]


@needs_dot
def test_mlp_gradient_fits_the_page_width_at_a_legible_zoom():
    outputs, fn = mlp_gradient()
    compiled, symbolic = gradient_width(fn), gradient_width(outputs)
    # dot's layout is deterministic: the compiled gradient was 1919 pt wide, 1.7x too wide
    assert gradient_width(fn, narrow=False) * MIN_ZOOM > WIDE_PT * 1.5
    assert compiled * MIN_ZOOM <= WIDE_PT
    assert symbolic < gradient_width(outputs, narrow=False) * 0.6
    snap, boxes = drawable(fn)
    text = graphviz_text(Picture(snap, gradient_style(snap, 1, boxes)))
    assert 'newrank="true"' in text and 'style="rounded,filled"' in text


@needs_dot
def test_mlp_graph_tab_folds_weight_transposes_onto_edges_and_fits_the_page():
    _, fn = mlp_gradient(n_wrt=1)  # notebook 11's ``%%symgraph --grad w1 --shape ...``
    rng = np.random.default_rng(0)
    widths = (20, 32, 32, 32, 10)
    params = [rng.normal(size=shape) for k in range(4)
              for shape in ((widths[k], widths[k + 1]), (widths[k + 1],))]
    fn(rng.normal(size=(64, 20)), rng.integers(0, 10, 64).astype("int32"), *params)
    snap, boxes = drawable(fn)
    text = graphviz_text(Picture(snap, Style(clusters=tuple(boxes), narrow=has_gradient(snap))))
    # dot's layout is deterministic: 1435 pt with the transposes as nodes and edge types
    assert svg_size(dot_to_svg(text))[0] * MIN_ZOOM <= WIDE_PT
    edges = re.findall(r'-> \d+ \[label="\d: (\w+)ᵀ", tooltip="([^"]*)"', text)
    assert sorted(name for name, _ in edges) == ["X", "w2", "w3", "w4"]
    assert all("DimShuffle{1,0}" in tip for _, tip in edges)
    assert 'label="InplaceDimShuffle{1,0}"' not in text
    X = T.dmatrix("X")
    small = nbgraph.function([X], T.dot(X, X.T).sum())  # a small graph keeps its nodes
    snap = drawable(small)[0]
    assert "DimShuffle{1,0}" in graphviz_text(Picture(snap, Style(narrow=True)))


def nested_scan():
    X, h0 = T.dmatrix("X"), T.dscalar("h0")

    def row(x, h):
        inner, _ = nbgraph.scan(lambda e, acc: acc + T.tanh(e), sequences=[x],
                                outputs_info=[h])
        return inner[-1]

    hs, _ = nbgraph.scan(row, sequences=[X], outputs_info=[h0])
    fn = nbgraph.function([X, h0], hs[-1], profile=True)
    got = fn(np.arange(6.0).reshape(2, 3) / 6, 0.5)
    np.testing.assert_allclose(got, 0.5 + np.tanh(np.arange(6.0) / 6).sum())
    return hs[-1], fn


def cluster_blocks(dot: str) -> list[tuple[int, int, str]]:
    """(start line, depth, label) of each cluster in ``dot``'s text."""
    found = []
    for k, line in enumerate(dot.splitlines()):
        if "subgraph cluster_" in line:
            depth = (len(line) - len(line.lstrip())) // 2
            found.append((k, depth, re.search(r'label="([^"]*)"', line).group(1)))
    return found


def members_of(dot: str, start: int) -> set[int]:
    """The node uids declared directly or deeper inside the cluster opened at ``start``."""
    lines = dot.splitlines()
    indent = len(lines[start]) - len(lines[start].lstrip())
    uids = set()
    for line in lines[start + 1:]:
        if line.strip() == "}" and len(line) - len(line.lstrip()) == indent:
            break
        found = re.match(r"\s+(\d+) \[", line)
        if found:
            uids.add(int(found.group(1)))
    return uids


@pytest.mark.parametrize("which", ["user", "compiled"])
def test_a_scan_inside_a_scan_is_a_box_inside_a_box(which):
    out, fn = nested_scan()
    snap, boxes = drawable([out]) if which == "user" else running_drawable(fn)
    dot = to_dot(snap, clusters=boxes)
    blocks = cluster_blocks(dot)
    assert [depth for _, depth, _ in blocks] == [1, 2]
    outer, inner = (members_of(dot, start) for start, _, _ in blocks)
    labels = {rec.uid: rec.label for rec in snap.nodes}
    adds = {uid for uid in inner if labels[uid].startswith("Elemwise{add")}
    assert adds and inner < outer  # the inner step's acc + ..., in both boxes
    scans = {uid for uid in outer - inner if labels[uid].startswith("Scan")}
    assert len(scans) == 1  # the inner scan node sits in the outer step's box
    fed = {uid for rec in snap.nodes if rec.uid in scans for uid in rec.inputs}
    assert fed & inner  # its inner step's output feeds it


def test_grad_of_ifelse_wires_every_input_of_its_compiled_branch():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    out = ifelse(T.gt(c, 0), T.exp(a) * 2, T.log1p(b ** 2)).sum()
    fn = nbgraph.function([c, a, b], [out, *nbgraph.grad(out, [a])], profile=True)
    got = fn(1.0, np.ones(3), np.ones(3))
    np.testing.assert_allclose(got[1], 2 * np.exp(np.ones(3)))
    snap, boxes = running_drawable(fn)
    by_uid = {rec.uid: rec for rec in snap.nodes}
    read = {uid for rec in snap.nodes for uid in rec.inputs}
    assert len(boxes) == 2
    for _, members in boxes:
        for uid in members:  # nothing in a box hangs loose: each value is read somewhere
            assert uid in read, f"#{uid} {by_uid[uid].label} is drawn unconnected"
    cond = next(rec.uid for rec in snap.nodes if rec.label.startswith("Elemwise{gt"))
    for rec in snap.nodes:  # both IfElse nodes keep their condition's edge
        if rec.label.startswith("IfElse"):
            assert rec.inputs[0] == cond


@needs_dot
def test_profile_draws_the_nested_step_nodes():
    _, fn = nested_scan()
    svg = view_profile(fn).html
    _, boxes = running_drawable(fn)
    nested = min((members for _, members in boxes), key=len)
    assert len(boxes) == 2 and nested <= set(svg_nodes(svg))  # the inner step's nodes drawn


def test_rows_of_a_scan_inside_a_step_name_that_scan():
    _, fn = nested_scan()
    snap, boxes = running_drawable(fn)
    outer_box, inner_box = sorted((members for _, members in boxes), key=len, reverse=True)
    labels = {rec.uid: rec.label for rec in snap.nodes}
    inner_scan = next(uid for uid in outer_box - inner_box if labels[uid] == "Scan")
    rows = profile_rows(fn)
    within = {row.uid: row.within for row in rows}
    timed = [uid for uid in inner_box if uid in within]
    assert timed and all(within[uid].startswith(f"#{inner_scan} ") for uid in timed)
    ordered = [row.uid for row in graph_order(rows)]
    assert ordered.index(inner_scan) < min(ordered.index(uid) for uid in timed)
