"""Profile opens the inner functions that ran: a scan's compiled step and an ifelse's
compiled branches are drawn in their boxes, and each inner node is a row after its node."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.ifelse import ifelse
from nbgraph.widgets import symgraph, view_profile
from nbgraph.widgets.drawing import Picture, graphviz_text
from nbgraph.widgets.graphdata import backward_uids, drawable
from nbgraph.widgets.inner_run import compiled_inner, running_drawable
from nbgraph.widgets.timing import ProfileRow, graph_order, profile_rows, time_calls
from nbgraph.widgets.views import code_entries, gradient_style, open_rows

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def rnn_function():
    xs, h0, w, u = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w"), T.dmatrix("u")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(x_t, w) + T.dot(h, u)),
                         sequences=[xs], outputs_info=[h0])
    f = nbgraph.function([xs, h0, w, u], hs[-1].sum(), profile=True)
    rng = np.random.default_rng(0)
    values = [rng.normal(size=(6, 3)), rng.normal(size=4), rng.normal(size=(3, 4)),
              rng.normal(size=(4, 4))]
    return f, values


def test_scan_step_rows_follow_the_scan_row():
    f, values = rnn_function()
    assert compiled_inner(f) == []  # the step compiles on the first call
    timing = time_calls(f, values, calls=4)
    (scan, label, step), = compiled_inner(f)
    assert label == "step" and type(scan.op).__name__ == "Scan"
    rows = profile_rows(f, timing)
    inner = [row for row in rows if row.within]
    assert {row.uid for row in inner} == {n.uid for n in step.maker.fgraph.toposort()}
    assert all(row.within == f"#{scan.uid} Scan step" and row.calls == 4 for row in inner)
    at = [row.uid for row in rows].index(scan.uid)  # right after the scan's own row
    assert {row.uid for row in rows[at + 1: at + 1 + len(inner)]} == {r.uid for r in inner}
    # each inner sample is one call's sum over the steps: the step's totals, per call
    for row in inner:
        node = next(n for n in step.profile.node_time if n.uid == row.uid)
        assert len(timing.samples[node]) == 4
        assert row.median == pytest.approx(float(np.median(timing.samples[node])))
    own = [row for row in rows if not row.within]
    assert sum(row.share for row in own) == pytest.approx(1.0)
    ordered = graph_order(rows)
    assert ordered[[r.uid for r in ordered].index(scan.uid) + 1].within


def test_scan_step_rows_from_totals_are_per_call_of_the_function():
    f, values = rnn_function()
    for _ in range(3):
        f(*values)
    (scan, _, step), = compiled_inner(f)
    rows = {row.uid: row for row in profile_rows(f) if row.within}
    for node, total in step.profile.node_time.items():
        assert step.profile.node_calls[node] == 3 * 6  # six steps a call
        assert rows[node.uid].mean == pytest.approx(total / 3, rel=1e-12)
        assert rows[node.uid].calls == 3


@needs_dot
def test_profile_draws_the_compiled_step_with_its_times():
    f, values = rnn_function()
    view = view_profile(f, time_calls(f, values, calls=3))
    (scan, _, step), = compiled_inner(f)
    snap, clusters = running_drawable(f)
    boxes = dict(clusters)
    members = boxes[f"{scan.op}: step (compiled)"]
    inner_ops = {n.uid for n in step.maker.fgraph.toposort()}
    assert inner_ops <= members
    drawing = view.widget.children[-1].children[1].children[0].value
    drawn = svg_nodes(drawing)
    assert inner_ops <= set(drawn) and scan.uid in drawn
    assert all(f"#{uid} · " in drawing for uid in inner_ops)  # each noted with its share
    assert "↳ #" in view.plain and "Scan step" in view.html


def test_ifelse_branches_each_get_their_rows():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    out = ifelse(T.gt(c, 0), T.exp(a) * 2, b + 1)
    g = nbgraph.function([c, a, b], out, profile=True)
    np.testing.assert_allclose(g(1.0, np.zeros(3), np.zeros(3)), np.full(3, 2.0))
    g(-1.0, np.zeros(3), np.zeros(3))
    labels = sorted(label for _, label, _ in compiled_inner(g))
    assert labels == ["else", "then"]
    within = {row.within.rsplit(" ", 1)[1] for row in profile_rows(g) if row.within}
    assert within == {"then", "else"}


def test_code_lists_the_branches_that_were_compiled():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    g = nbgraph.function([c, a, b], ifelse(T.gt(c, 0), T.exp(a) * 2, T.log1p(b ** 2)))
    node = next(n for n in g.maker.fgraph.toposort() if type(n.op).__name__ == "IfElse")
    before = [label for label, _ in code_entries(g)]
    assert f"node {node.uid}: IfElse" in before  # compiled on its first call
    np.testing.assert_allclose(g(-1.0, np.ones(3), np.ones(3)), np.log1p(np.ones(3)))
    labels = [label for label, _ in code_entries(g)]
    assert any(label.startswith(f"node {node.uid}: IfElse › else › ") for label in labels)
    assert not any("› then ›" in label for label in labels)
    g(1.0, np.ones(3), np.ones(3))
    branches = [label.split(" › ")[1] for label in code_entries_labels(g) if " › " in label]
    assert branches.index("then") < branches.index("else")


def code_entries_labels(fn):
    return [label for label, _ in code_entries(fn)]


@needs_dot
def test_symgraph_gradient_section_opens_the_step_before_optimization():
    xs, h0, w = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(x_t, w) + h),
                         sequences=[xs], outputs_info=[h0])
    view = symgraph({"xs": xs, "h0": h0, "w": w}, last=hs[-1].sum(), grad=["w"])
    summary = view.views["Gradient"].summary  # the symbolic gradient only
    assert "Scan: step" in summary and "grad_of_scan" in summary


def test_a_backward_scan_step_keeps_its_own_box_inside_the_backward_box():
    xs, h0, w = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(x_t, w) + h),
                         sequences=[xs], outputs_info=[h0])
    cost = hs[-1].sum()
    snap, clusters = drawable([cost, nbgraph.grad(cost, w)])
    style = gradient_style(snap, 1, clusters)
    step = dict(clusters)["Scan{grad_of_scan}: step"]
    ops = {rec.uid for rec in snap.nodes if rec.inputs}
    assert step & ops and step & ops <= style.cluster[1] <= backward_uids(snap, 1)
    assert dict(clusters)["Scan: step"].isdisjoint(style.cluster[1])  # the forward step
    # in the DOT text: the step's box is nested in the backward box, its nodes in the step
    text = graphviz_text(Picture(snap, style))
    blocks = [line.strip() for line in text.splitlines() if "subgraph" in line or
              line.strip() == "}"]
    group = blocks.index(next(b for b in blocks if "cluster_group" in b))
    inner = blocks.index(next(b for b in blocks if "Scan{grad_of_scan}: step" in b))
    assert group < inner and blocks[inner + 1] == "}" and blocks[inner + 2] == "}"
    body = text.split("Scan{grad_of_scan}: step", 1)[1].split("\n    }", 1)[0]
    drawn_in_step = {int(u) for u in re.findall(r"^ +(\d+) \[id=", body, re.M)}
    assert drawn_in_step and drawn_in_step <= step
    fn = nbgraph.function([xs, h0, w], nbgraph.grad(cost, w))
    rng = np.random.default_rng(0)
    xv, hv, wv = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(2, 2))
    eps, numeric = 1e-6, np.zeros_like(wv)

    def forward(wm):
        h = hv
        for x_t in xv:
            h = np.tanh(x_t @ wm + h)
        return h.sum()
    for i in np.ndindex(*wv.shape):
        bump = np.zeros_like(wv)
        bump[i] = eps
        numeric[i] = (forward(wv + bump) - forward(wv - bump)) / (2 * eps)
    np.testing.assert_allclose(fn(xv, hv, wv), numeric, rtol=1e-5)


def test_a_long_step_does_not_hide_the_other_nodes():
    def row(uid, within=""):
        return ProfileRow(uid, "op", 1, None, None, 1.0, 0.1, within)

    rows = [row(1)] + [row(100 + k, "#1 Scan step") for k in range(10)] + \
        [row(k) for k in range(2, 12)]
    top, rest = open_rows(rows)
    assert [r.uid for r in top] == [1, 100, 101, 102, *range(2, 9)]
    assert sorted(r.uid for r in top + rest) == sorted(r.uid for r in rows)
    assert open_rows(rows[:9]) == (rows[:9], [])  # short tables stay open
