"""Scan outputs kept as their last value only (``ScanInfo.last_only``): the gradient's
accumulators live in a ring of window + 1 steps, not a stack of every step, and the loop
stays differentiable (through the same loop keeping every step)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph import function
from nbgraph.compile.mode import get_default_mode
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan


def _scan_nodes(fn):
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def test_gradient_accumulators_keep_only_their_total(rng):
    W = T.dmatrix("W")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda h, W: T.tanh(T.dot(W, h)), outputs_info=h0, non_sequences=W,
                 n_steps=6)
    # without scan_pushout, which sums the accumulator after the loop instead
    mode = get_default_mode().excluding("scan_pushout/push_out_add")
    f = function([W, h0], theano.grad(hs[-1].sum(), W), mode=mode)
    (back,) = [n for n in _scan_nodes(f) if n.op.info.last_only]
    for k in back.op.info.last_only:
        assert back.outputs[k].type.shape[0] == 1
    w, h = rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)

    def loss(w):
        state = h
        for _ in range(6):
            state = np.tanh(w @ state)
        return state.sum()
    eps = 1e-6
    numeric = np.zeros_like(w)
    for i in range(3):
        for j in range(3):
            e = np.zeros_like(w)
            e[i, j] = eps
            numeric[i, j] = (loss(w + e) - loss(w - e)) / (2 * eps)
    np.testing.assert_allclose(f(w, h), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_a_last_only_output_is_the_last_row_of_window_then_steps(n):
    x0 = T.dvector("x0")
    k = T.lscalar("k")
    out, _ = scan(lambda a, b: a + 2 * b, outputs_info=[dict(initial=x0, taps=[-2, -1])],
                  n_steps=k)
    node = out.owner
    info = dataclasses.replace(node.op.info, last_only=(0,))
    ring = Scan(node.op.inner_inputs, node.op.inner_outputs, info)(*node.inputs)
    f = function([x0, k], [ring, out])
    init = np.array([1.0, 2.0])
    last, full = f(init, n)
    assert last.shape == (1,)
    np.testing.assert_array_equal(last, np.concatenate([init, full])[-1:])


def test_no_steps_give_a_zero_gradient_for_non_sequences():
    w = T.dvector("w")
    k = T.lscalar("k")
    hs, _ = scan(lambda h, w: h * w, outputs_info=T.ones_like(w), non_sequences=w, n_steps=k)
    g = function([w, k], theano.grad(T.concatenate([T.ones_like(w), hs.flatten()]).sum(), w))
    np.testing.assert_array_equal(g(np.array([0.5, 2.0]), 0), [0.0, 0.0])
    np.testing.assert_allclose(g(np.array([0.5, 2.0]), 2), [1 + 2 * 0.5, 1 + 2 * 2.0])
