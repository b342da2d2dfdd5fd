"""Theano's gradient helpers: consider_constant, undefined_grad, grad_not_implemented,
DisconnectedType, subgraph_grad (piecewise backprop equals the whole gradient) and format_as;
and grad's consider_constant keeping the blocked Variable's own gradient."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.core.gradient import NullTypeGradError
from nbgraph.core.op import UndefinedGrad
from nbgraph.gradient import (
    DisconnectedGrad,
    DisconnectedType,
    ZeroGrad,
    consider_constant,
    disconnected_type,
    format_as,
    grad_not_implemented,
    subgraph_grad,
    undefined_grad,
)


def test_consider_constant_stops_the_gradient():
    x = T.dscalar("x")
    y = x ** 2
    g = th.grad(consider_constant(y) * x + y, x)        # d/dx (c x + x^2) with c = x^2
    assert g.eval({x: 3.0}) == pytest.approx(9.0 + 6.0)
    assert consider_constant(y).eval({x: 3.0}) == 9.0
    # an integer input has no gradient to zero
    assert th.grad(T.sum(consider_constant(T.lvector()) * x), x, disconnected_inputs="ignore") \
        is not None


def test_undefined_grad_raises_only_when_needed():
    x, y = T.dscalars("x", "y")
    cost = undefined_grad(x) * 2 + y ** 2
    # the seed fill(cost, 1) reads x, as Theano's did
    assert th.grad(cost, y).eval({x: 1.0, y: 3.0}) == 6.0
    with pytest.raises(NullTypeGradError, match=r"UndefinedGrad \(node \d+\).*undefined"):
        th.grad(cost, x)


def test_grad_not_implemented_message():
    op = T.nlinalg.SVD()
    marker = grad_not_implemented(op, 0, T.dmatrix(), "use the formula of ...")
    assert isinstance(marker, UndefinedGrad)
    assert marker.why == "SVD{True, True}.grad is not implemented for input 0: use the " \
                         "formula of ..."


def test_disconnected_type():
    assert DisconnectedType()() is None
    assert DisconnectedType() == DisconnectedType() and str(DisconnectedType()) == \
        "DisconnectedType"


def test_blocked_variable_keeps_its_own_gradient():
    x = T.dscalar("x")
    h = T.tanh(x)
    gx, gh = th.grad(h ** 2, [x, h], consider_constant=[h], disconnected_inputs="ignore")
    assert gh.eval({x: 0.5}) == pytest.approx(2 * np.tanh(0.5))
    assert gx.eval({x: 0.5}) == 0.0   # nothing passes through h


def test_subgraph_grad_backprops_piece_by_piece(rng):
    # Theano's documented example: a two-layer net, backpropagated one layer at a time
    x, t = T.dvector("x"), T.dvector("t")
    w1 = th.shared(rng.normal(size=(3, 4)), name="w1")
    w2 = th.shared(rng.normal(size=(4, 2)), name="w2")
    a1 = T.tanh(T.dot(x, w1))
    a2 = T.tanh(T.dot(a1, w2))
    cost2 = T.sum(T.sqr(a2 - t)) + T.sqr(T.sum(w2))
    cost1 = T.sqr(T.sum(w1))
    next_grad = None
    param_grads = []
    for wrt, end, cost in (([w2], [a1], cost2), ([w1], [x], cost1)):
        wrt_grads, end_grads = subgraph_grad(wrt=wrt, end=end, start=next_grad, cost=cost)
        next_grad = dict(zip(end, end_grads, strict=True))
        param_grads.extend(wrt_grads)
    whole = th.grad(cost1 + cost2, [w2, w1])
    xv, tv = rng.normal(size=3), rng.normal(size=2)
    f = th.function([x, t], param_grads + whole)
    got_w2, got_w1, want_w2, want_w1 = f(xv, tv)
    np.testing.assert_allclose(got_w2, want_w2, rtol=1e-12)
    np.testing.assert_allclose(got_w1, want_w1, rtol=1e-12)
    wrt_grads, end_grads, start_part, cost_part = subgraph_grad([w2], [a1], cost=cost2,
                                                                details=True)
    assert start_part is None and len(cost_part) == 2
    with pytest.raises(ValueError, match="give a cost or start gradients"):
        subgraph_grad([w2], [a1])


def test_format_as():
    assert format_as(True, False, 1) == [1]
    assert format_as(False, True, [1, 2]) == (1, 2)
    assert format_as(False, False, [7]) == 7
    assert format_as(False, False, 7) == 7
    with pytest.raises(ValueError, match="cannot both be true"):
        format_as(True, True, 1)
    with pytest.raises(ValueError, match="expected one output, got 2"):
        format_as(False, False, (1, 2))


def test_theano_gradient_op_classes():
    x = T.dscalar("x")
    assert th.grad(ZeroGrad()(x) * x, x).eval({x: 3.0}) == 3.0
    assert th.grad(DisconnectedGrad()(x) * x + x, x).eval({x: 3.0}) == 4.0
    assert ZeroGrad() == ZeroGrad() and disconnected_type() is None
