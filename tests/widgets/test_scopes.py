"""Name-scope boxes, collapsing them, and search in the Graph view."""

from __future__ import annotations

import shutil

import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.printing import listing
from nbgraph.widgets import view_graph
from nbgraph.widgets.graphdata import drawable
from nbgraph.widgets.scopes import collapse_scopes, find, scope_names

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def two_layers():
    x = T.dmatrix("x")
    h = x
    for k in (1, 2):
        with nbgraph.name_scope(f"layer{k}"):
            w, b = T.dmatrix(f"w{k}"), T.dvector(f"b{k}")
            h = T.tanh(T.dot(h, w) + b)
    return h.sum()


def test_each_scope_is_one_box():
    cost = two_layers()
    snap, clusters = drawable(cost)
    assert scope_names(clusters) == ["layer1", "layer2"]
    labels = {rec.uid: rec.label for rec in snap.nodes}
    layer1 = dict(clusters)["scope layer1"]
    assert sorted(labels[uid] for uid in layer1) == [
        "Elemwise{add,no_inplace}", "Elemwise{tanh,no_inplace}", "InplaceDimShuffle{x,0}",
        "dot"]


def test_collapsed_scope_is_one_node_keeping_edges_in_and_out():
    cost = two_layers()
    snap, clusters = drawable(cost)
    shown, boxes = collapse_scopes(snap, clusters, {"layer1"})
    assert scope_names(boxes) == ["layer2"]
    text = listing(shown)
    assert "layer1 (4 ops)" in text and text.count("Elemwise{tanh") == 1
    layer1 = next(rec for rec in shown.nodes if rec.label == "layer1 (4 ops)")
    names = {rec.uid: rec.name for rec in shown.nodes}
    assert {names[uid] for uid in layer1.inputs} == {"x", "w1", "b1"}
    layer2_dot = next(rec for rec in shown.nodes if rec.label == "dot")
    assert layer1.uid in layer2_dot.inputs  # layer 2 reads the collapsed layer 1
    every, _ = collapse_scopes(snap, clusters, {"layer1", "layer2"})
    assert set(every.outputs) <= {rec.uid for rec in every.nodes}


def test_find_by_uid_name_or_op():
    cost = two_layers()
    snap, _ = drawable(cost)
    by_name = find(snap, "W2")
    assert [rec.name for rec in snap.nodes if rec.uid in by_name] == ["w2"]
    assert len(find(snap, "tanh")) == 2
    uid = by_name[0]
    assert find(snap, f"#{uid}") == [uid] == find(snap, str(uid))
    assert find(snap, "  ") == [] and find(snap, "nothing like it") == []


@needs_dot
def test_graph_view_search_marks_matches_and_collapse_redraws():
    view = view_graph(two_layers())
    assert ">scope layer1</text>" in view.html
    view.parts["find"].value = "tanh"
    drawing = view.parts["drawings"].panes[0].value
    marked = [uid for uid, css in svg_nodes(drawing).items() if "found" in css]
    assert len(marked) == 2 and "2 found" in view.parts["found"].value
    view.parts["collapse"].value = ("layer1", "layer2")
    drawing = view.parts["drawings"].panes[0].value
    assert "layer1 (4 ops)" in drawing and ">scope layer1</text>" not in drawing
