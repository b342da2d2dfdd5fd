"""The views as plain functions: SVG and static HTML for graphs, gradients, code, profiles."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.rewrite.trace import NodeRecord, Snapshot
from nbgraph.widgets import view_code, view_gradient, view_graph, view_passes, view_profile
from nbgraph.widgets.graphdata import graph_snapshot
from nbgraph.widgets.views import heat_colour, lexer_for

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def test_view_graph_static_html_has_svg_with_every_node():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2)
    view = view_graph(f)
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<svg" in bundle["text/html"]
    drawn = svg_nodes(view.html)
    assert set(drawn) == {rec.uid for rec in graph_snapshot(f.maker.fgraph.outputs).nodes}


def test_view_graph_tooltips_give_provenance():
    x = T.dvector("x")
    f = nbgraph.function([x], T.log(1 + x))
    html = view_graph(f).html
    assert "graph input" in html
    assert "created by rule stabilize/log1p" in html


def test_view_graph_error_marks_only_the_node():
    x = T.dvector("x")
    y = T.exp(x)
    view = view_graph([y], highlight=[y.owner.uid], error="ValueError: boom")
    drawn = svg_nodes(view.html)
    assert [uid for uid, css in drawn.items() if "error" in css] == [y.owner.uid]
    assert "ValueError: boom" in view.html


def test_view_passes_static_lists_rules_and_greys_unchanged(trace):
    view = view_passes(trace)
    assert "canonicalize/add_zero" in view.html and "specialize/exp_to_sqr</code>&nbsp;×2" \
        in view.html
    assert "color:#9ca3af" in view.html  # the merge pass changed nothing: greyed, still listed
    assert "merge" in view.html


def test_view_passes_widget_starts_on_first_changing_pass(trace):
    view = view_passes(trace)
    controls, _, panes, rules, _ = view.widget.children
    play, slider, _ = controls.children
    assert slider.value == 0 and slider.max == 2 and play.max == 2
    slider.value = 2
    after = svg_nodes(panes.children[1].value)
    assert {u for u, css in after.items() if "added" in css} == {5, 6}
    assert "specialize/exp_to_sqr" in rules.value


def test_view_gradient_sets_backward_nodes_apart():
    x = T.dvector("x")
    cost = T.tanh(x).sum()
    gx = T.grad(cost, x)
    view = view_gradient([cost, gx], nbgraph.function([x], [cost, gx]), n_forward=1)
    assert view.html.count("backward (gradient)") >= 2  # before and after optimization
    tanh_uid = cost.owner.inputs[0].owner.uid
    assert f"∂ of #{tanh_uid} Elemwise{{tanh,no_inplace}}" in view.html
    assert view.html.count('class="cluster"') == 2


def test_view_code_highlights_each_node():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) + 1)
    view = view_code(f)
    assert len(view.widget.children[0].options) == len(f.source)
    assert '<div class="highlight"' in view.html
    assert lexer_for("void k0(int64_t n) { }").name == "C"
    assert lexer_for("__global__ void k0() {}").name == "CUDA"


def test_view_profile_static_part_has_no_timings():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x).sum(), profile=True)
    for _ in range(3):
        f(np.ones(4))
    view = view_profile(f)
    assert ">3<" in view.html and "µs" not in view.html and "%" not in view.html
    live = view.widget.children[0].value
    assert "µs" in live and "%" in live


def test_view_profile_without_profile_says_how():
    x = T.dvector("x")
    assert "--profile" in view_profile(nbgraph.function([x], x * 2)).html


def test_heat_colour_goes_white_to_orange():
    assert heat_colour(0.0) == "#ffffff" and heat_colour(1.0) == "#ea580c"


def test_big_graph_is_folded_and_drawn():
    nodes = [NodeRecord(1, "x", (), "float64[?]", "x")]
    for k in range(1500):  # ten interleaved chains joined at the end
        uid = 10 + k
        nodes.append(NodeRecord(uid, "Elemwise{exp,no_inplace}",
                                (uid - 10,) if k >= 10 else (1,), "float64[?]", None))
    nodes.append(NodeRecord(5000, "Elemwise{add,no_inplace}",
                            tuple(range(1500, 1510)), "float64[?]", None))
    view = view_graph(Snapshot(tuple(nodes), (5000,)), highlight=[700])
    drawn = svg_nodes(view.html)
    assert len(drawn) < 50 and 700 in drawn and 5000 in drawn
