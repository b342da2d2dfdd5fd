"""Random inputs for %%symgraph: open dimensions tied by the graph get one size."""

from __future__ import annotations

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.ifelse import ifelse
from nbgraph.widgets import symgraph
from nbgraph.widgets.dims import DEFAULT_DIM, input_shapes, smallest_dim
from nbgraph.widgets.symgraph import call_values


def mlp():
    x, y = T.dmatrix("x"), T.ivector("y")
    params = [T.dmatrix("w1"), T.dvector("b1"), T.dmatrix("w2"), T.dvector("b2")]
    w1, b1, w2, b2 = params
    hidden = T.nnet.relu(T.dot(x, w1) + b1)
    probs = T.nnet.softmax(T.dot(hidden, w2) + b2)
    loss = T.nnet.categorical_crossentropy(probs, y).mean()
    return [x, y, *params], loss


def test_dot_sides_and_biases_share_sizes():
    (x, y, w1, b1, w2, b2), loss = mlp()
    shapes = input_shapes([loss], [x, y, w1, b1, w2, b2], {x: (5, 4)})
    assert shapes[x] == (5, 4) and shapes[w1] == (4, DEFAULT_DIM)
    assert shapes[b1] == (DEFAULT_DIM,) and shapes[w2][0] == shapes[b1][0]
    assert shapes[b2] == (shapes[w2][1],) and shapes[y] == (5,)


def test_fixed_size_flows_forward_through_the_graph():
    (x, y, w1, b1, w2, b2), loss = mlp()
    shapes = input_shapes([loss], [x, y, w1, b1, w2, b2], {w2: (7, 2)})
    assert shapes[b1] == (7,) and shapes[w1][1] == 7 and shapes[b2] == (2,)


def test_mlp_with_labels_runs_without_any_shape():
    inputs, loss = mlp()
    ns = {v.name: v for v in inputs}
    view = symgraph(ns, last=loss, grad=["w1"], profile=True, calls=2)
    order = [spec.variable for spec in view.fn.maker.inputs]
    values = call_values(order, ns, {}, {}, [loss])
    by_var = dict(zip(order, values, strict=True))
    x, y, w1, b1, w2, b2 = (by_var[v] for v in inputs)
    assert max(y) < smallest_dim({v: np.shape(val) for v, val in by_var.items()})
    hidden = np.maximum(x @ w1 + b1, 0)
    logits = hidden @ w2 + b2
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    expected = -np.log(probs[np.arange(len(y)), y]).mean()
    np.testing.assert_allclose(view.fn(*values)[0], expected, rtol=1e-10)
    assert view.views["Profile"].text.startswith("profile of")


def test_scan_step_ties_sequence_state_and_weights():
    xs, h0, w, u = T.dmatrix("xs"), T.dvector("h0"), T.dmatrix("w"), T.dmatrix("u")
    hs, _ = nbgraph.scan(lambda x_t, h: T.tanh(T.dot(x_t, w) + T.dot(h, u)),
                         sequences=[xs], outputs_info=[h0])
    shapes = input_shapes([hs], [xs, h0, w, u], {xs: (6, 2), h0: (4,)})
    assert shapes[w] == (2, 4) and shapes[u] == (4, 4)


def test_ifelse_branches_tie_their_inputs():
    c, a, b = T.dscalar("c"), T.dvector("a"), T.dvector("b")
    out = ifelse(T.gt(c, 0), a * 2, b + 1)
    shapes = input_shapes([out], [c, a, b], {a: (5,)})
    assert shapes[b] == (5,) and shapes[c] == ()


def test_unrelated_dims_keep_the_default():
    x, z = T.dvector("x"), T.dvector("z")
    shapes = input_shapes([x.sum() + z.sum()], [x, z], {x: (8,)})
    assert shapes[z] == (DEFAULT_DIM,)
