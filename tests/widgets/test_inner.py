"""Inner graphs open in place: a scan's step and an ifelse's branches are boxed clusters
wired to the outer graph; the Code tab lists the compiled step's kernels."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.ifelse import ifelse
from nbgraph.widgets import symgraph, view_code, view_gradient, view_graph, view_passes
from nbgraph.widgets.graphdata import drawable
from nbgraph.widgets.inner import failing_node, live_nodes
from nbgraph.widgets.views import code_entries

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def rnn():
    xs, h0, w, u = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w"), T.dmatrix("u")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(x_t, w) + T.dot(h, u)),
                         sequences=[xs], outputs_info=[h0])
    return [xs, h0, w, u], hs


def test_scan_step_is_a_cluster_wired_to_the_outer_graph():
    (xs, h0, w, u), hs = rnn()
    snap, clusters = drawable(hs)
    (label, members), = clusters
    assert label == "Scan: step"
    records = {rec.uid: rec for rec in snap.nodes}
    taps = {records[uid].label: records[uid] for uid in members if records[uid].label in
            ("xs[t+0]", "y[t-1]", "w", "u")}
    assert taps["xs[t+0]"].inputs == (xs.uid,) and taps["w"].inputs == (w.uid,)
    assert records[taps["y[t-1]"].inputs[0]].inputs == (h0.uid,)  # via the initial state
    scan = records[hs.owner.uid]
    tanh = next(uid for uid in members if "tanh" in records[uid].label)
    assert tanh in scan.inputs and xs.uid not in scan.inputs


def test_ifelse_branches_are_two_clusters():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    out = ifelse(T.gt(c, 0), a * 2, b + 1)
    snap, clusters = drawable(out)
    assert [label for label, _ in clusters] == ["IfElse: then", "IfElse: else"]
    records = {rec.uid: rec for rec in snap.nodes}
    then_ops = {records[uid].label for uid in clusters[0][1] if records[uid].inputs}
    assert "Elemwise{mul,no_inplace}" in then_ops
    assert records[out.owner.uid].inputs[0] == out.owner.inputs[0].owner.uid  # the condition


@needs_dot
def test_graph_and_gradient_views_draw_the_step_inside_a_box():
    inputs, hs = rnn()
    f = nbgraph.function(inputs, hs[-1].sum())
    html = view_graph(f).html
    assert html.count("class=\"cluster\"") == 1 and ">Scan: step</text>" in html
    drawn = svg_nodes(html)
    step_nodes = [uid for uid, css in drawn.items() if "op" in css]
    assert len(step_nodes) >= 8
    grads = T.grad(hs[-1].sum(), inputs[2])
    assert "Scan: step" in view_gradient([hs[-1].sum(), grads]).html


def test_code_tab_lists_the_compiled_step_kernels():
    inputs, hs = rnn()
    ns = {v.name: v for v in inputs}
    view = symgraph(ns, last=hs[-1].sum(), shapes={"xs": (4, 2), "h0": (3,)})
    options = view.views["Code"].widget.children[0].options
    step = [label for label in options if "› step ›" in label]
    assert any("dot" in label for label in step) and any("tanh" in label for label in step)
    assert not any(label.endswith(": Scan") for label in options)  # no Scan.perform


def test_code_tab_before_the_first_call_says_when_the_step_compiles():
    inputs, hs = rnn()
    f = nbgraph.function(inputs, hs[-1].sum())
    node = next(n for n in f.maker.fgraph.toposort() if str(n.op) == "Scan")
    scan = dict(code_entries(f))[f"node {node.uid}: Scan"]
    assert scan.startswith("# its inner graph is compiled on the first call")


def test_code_tab_asks_another_backend_for_its_text():
    class Backend:
        def code_text(self):  # noqa: ANN201
            return {"jaxpr": "{ lambda ; a:f64[3]. let b = exp a in (b,) }"}
    view = view_code(Backend())
    assert view.widget.children[0].options == ("jaxpr",)
    assert "lambda" in view.html


def test_rnn_runs_with_random_inputs_and_matches_numpy():
    inputs, hs = rnn()
    ns = {v.name: v for v in inputs}
    view = symgraph(ns, last=hs[-1].sum(), profile=True, calls=2)
    order = [spec.variable for spec in view.fn.maker.inputs]
    rng = np.random.default_rng(1)
    values = {v: rng.uniform(-1, 1, (4, 2) if v.name == "xs" else (3,) if v.name == "h0"
                             else (2, 3) if v.name == "w" else (3, 3)) for v in order}
    h = values[inputs[1]]
    for x_t in values[inputs[0]]:
        h = np.tanh(x_t @ values[inputs[2]] + h @ values[inputs[3]])
    result = view.fn(*[values[v] for v in order])
    np.testing.assert_allclose(result[0] if isinstance(result, list) else result, h.sum(),
                               rtol=1e-12)


@needs_dot
def test_an_error_inside_the_step_marks_the_inner_node():
    xs, h0, w = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w")
    # the failing dot reads the recurrence (a dot of x_t alone would be computed outside the
    # loop for all steps at once, by scan_pushout, and fail there)
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(h, w) + x_t), sequences=[xs],
                         outputs_info=[h0])
    ns = {"xs": xs, "h0": h0, "w": w}
    inner_dot = next(n for n in live_nodes(hs.owner.op.inner_outputs) if str(n.op) == "dot")
    with pytest.raises(ValueError) as info:
        symgraph(ns, last=hs, inputs={"xs": np.ones((3, 2)), "h0": np.ones(4),
                                      "w": np.ones((5, 4))})
    assert failing_node(info.value) is inner_dot
    drawn = svg_nodes(info.value.symgraph.views["Graph"].html)
    assert [uid for uid, css in drawn.items() if "error" in css] == [inner_dot.uid]


@needs_dot
def test_passes_open_the_scan_step_where_the_scan_node_lives_on():
    # a step with no work scan_pushout would move out, so the Scan node is never replaced
    xs, h0, u = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("u")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(x_t + T.dot(h, u)), sequences=[xs],
                         outputs_info=[h0])
    ns = {"xs": xs, "h0": h0, "u": u}
    view = symgraph(ns, last=hs[-1].sum())
    after = view.views["Passes"].parts["drawings"].panes[1].value
    assert ">Scan: step</text>" in after
    assert ">Scan: step</text>" not in view_passes(view.fn.trace).html  # no live nodes given
