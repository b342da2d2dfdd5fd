"""The memory colouring: nodes filled by the bytes of their outputs (tooltips give them), and
in the Gradient tab the forward values the backward pass reads outlined as kept alive."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from widget_fixtures import svg_nodes

import nbgraph
import nbgraph.tensor as T
from nbgraph.widgets import view_gradient, view_profile
from nbgraph.widgets.graphdata import drawable, graph_snapshot
from nbgraph.widgets.memview import byte_sizes, bytes_colour, kept_for_backward, kept_line

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def mlp_grad():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    hidden = T.tanh(T.dot(x, w))
    cost = hidden.sum()
    gw = nbgraph.grad(cost, w)
    f = nbgraph.function([x, w], [cost, gw], profile=True)
    f(np.ones((5, 3)), np.full((3, 7), 0.1))
    return f, [cost, gw]


def test_byte_sizes_are_the_outputs_of_the_last_call():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2)
    assert byte_sizes(f) == {}  # nothing ran yet
    f(np.ones(100))
    (node,) = f.maker.fgraph.toposort()
    assert byte_sizes(f) == {node.uid: 100 * 8}


def test_bytes_colour_scale():
    assert bytes_colour(0, 800) == "#ffffff"
    assert bytes_colour(800, 800) == "#a78bfa"
    assert bytes_colour(5, 0) == "#ffffff"


def test_activations_read_by_the_backward_pass_are_kept():
    f, outs = mlp_grad()
    snap, _ = drawable(f)
    kept = kept_for_backward(snap, 1)
    labels = {rec.uid: rec.label for rec in snap.nodes}
    assert kept and all(rec_uid in labels for rec_uid in kept)
    # tanh(x·w) is read by its own gradient: it stays alive until the backward pass
    assert any("tanh" in labels[uid] for uid in kept)
    # symbolic: the forward dot and tanh are kept, the gradient nodes are not
    sym = graph_snapshot(outs)
    sym_kept = {rec.label for rec in sym.nodes if rec.uid in kept_for_backward(sym, 1)}
    assert "Elemwise{tanh,no_inplace}" in sym_kept


@needs_dot
def test_gradient_tab_colours_the_compiled_graph_by_bytes():
    f, outs = mlp_grad()
    view = view_gradient(graph_snapshot(outs), f, 1)
    sizes = byte_sizes(f)
    colour = view.widget.children[0].children[0]
    assert colour.options == ("forward/backward", "output bytes")
    colour.value = "output bytes"
    drawing = view.widget.children[-1].children[1].children[-1].value
    drawn = svg_nodes(drawing)
    kept = {uid for uid, css in drawn.items() if "kept" in css}
    snap, _ = drawable(f)
    assert kept == kept_for_backward(snap, 1)
    biggest = max(sizes, key=sizes.__getitem__)
    assert sizes[biggest] == 3 * 7 * 8 or sizes[biggest] == 5 * 7 * 8
    assert "kept for the backward pass" in view.widget.children[1].value
    assert "output bytes" in view.html and "kept" in view.html  # the static part too
    colour.value = "forward/backward"
    assert not any("kept" in css for css in svg_nodes(
        view.widget.children[-1].children[1].children[-1].value).values())


@needs_dot
def test_profile_colours_by_bytes_with_tooltips():
    f, _ = mlp_grad()
    view = view_profile(f)
    colour = view.widget.children[-3].children[0]
    colour.value = "output bytes"
    drawing = view.widget.children[-1].children[1].children[0].value
    tanh = [uid for uid, nbytes in byte_sizes(f).items() if nbytes == 5 * 7 * 8]
    assert tanh and "output: 280 B" in drawing
    assert all(f"uid {uid}&#10;" in drawing for uid in tanh)
    assert "output bytes: 0" in view.widget.children[-2].value


def test_kept_line_names_the_kept_values_with_their_bytes():
    f, _ = mlp_grad()
    snap, _ = drawable(f)
    sizes = byte_sizes(f)
    kept = kept_for_backward(snap, 1)
    line = kept_line(snap, sizes, 1)
    assert f"keeps {len(kept)} forward values" in line
    assert all(f"#{uid} " in line for uid in kept)
    assert "280 B" in line  # tanh(x·w): 5×7 float64
