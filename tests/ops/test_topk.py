"""topk/argtopk against NumPy (largest and smallest, along each axis), the gather/scatter pair
that carries the gradient, shape inference and errors."""

from __future__ import annotations

import numpy as np
import pytest
from op_shape_check import assert_infer_shape

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.ops.topk import PutAlongAxis, TakeAlongAxis


@pytest.mark.parametrize("kth", [2, -3, 4])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_topk_matches_numpy(kth, axis, rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(4, 5))
    values, idx = T.topk_and_argtopk(x, kth, axis=axis)
    got_v, got_i = th.function([x], [values, idx])(xv)
    order = np.argsort(-xv if kth > 0 else xv, axis=axis, kind="stable")
    want_i = np.take(order, np.arange(abs(kth)), axis=axis)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_v, np.take_along_axis(xv, want_i, axis))


def test_topk_gradient(rng):
    verify_grad(lambda a: T.topk(a, 2, axis=0) ** 2, [rng.normal(size=(4, 3))], rng=rng)
    verify_grad(lambda a: T.topk(a, -2), [rng.normal(size=(2, 5))], rng=rng)


def test_put_along_axis_accumulates_and_differentiates(rng):
    base, vals = T.dmatrices("base", "vals")
    idx = np.array([[0, 0], [2, 1]])
    bv, vv = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    want = bv.copy()
    for r in range(2):
        for c in range(2):
            want[r, idx[r, c]] += vv[r, c]
    got = PutAlongAxis(1)(base, vals, idx).eval({base: bv, vals: vv})
    np.testing.assert_allclose(got, want, rtol=1e-15)
    verify_grad(lambda b, v: PutAlongAxis(1)(b, v, idx), [bv, vv], rng=rng)
    verify_grad(lambda a: TakeAlongAxis(1)(a, idx), [bv], rng=rng)


def test_infer_shape(rng):
    x, k = T.dmatrix("x"), T.lscalar("k")
    xv = rng.normal(size=(4, 6))
    assert_infer_shape(T.argtopk(x, k, axis=1), [x, k], [xv, 3])
    assert T.argtopk(x, -2).type.shape == (None, 2)


def test_bad_kth_names_the_node(rng):
    x = T.dvector("x")
    f = th.function([x], T.argtopk(x, 7))
    with pytest.raises(ValueError, match=r"kth=7 for an axis of length 3 .* at node|"
                                         r"at node \d+: kth=7 for an axis of length 3"):
        f(rng.normal(size=3))
