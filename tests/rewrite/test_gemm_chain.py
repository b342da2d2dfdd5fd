"""Theano's gemm chain: ``W + s * (dot(a, b) - dot(c, d))`` as a shared variable's update
becomes ``gemm(gemm(W, s, a, b, 1), -s, c, d, 1)``, both in place in W's buffer; the destroy
checks keep it from overwriting a W something still reads."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.ops.blas import Gemm

MODES = {"c": Mode("c", "fast_run"), "py": Mode("py", "fast_run")}


def _data(rng, dtype):
    return (rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 5)).astype(dtype),
            rng.standard_normal((6, 3)).astype(dtype), rng.standard_normal((6, 5)).astype(dtype))


def _update(W, a, b, c, d, s=0.25):
    return W + s * (T.dot(a.T, b) - T.dot(c.T, d))


def _want(w, a, b, c, d, s=0.25):
    f64 = [x.astype("float64") for x in (w, a, b, c, d)]
    return f64[0] + s * (f64[1].T @ f64[2] - f64[3].T @ f64[4])


def _gemms(fn):
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Gemm)]


@pytest.mark.parametrize("mode", ["c", "py"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_update_is_two_gemms_in_place_in_w(mode, dtype, rng):
    w0 = rng.standard_normal((3, 5)).astype(dtype)
    W = nbgraph.shared(w0.copy(), name="W")
    a, b, c, d = (T.matrix(n, dtype=dtype) for n in "abcd")
    fn = nbgraph.function([a, b, c, d], T.sum(a), updates=[(W, _update(W, a, b, c, d))],
                          mode=MODES[mode])
    gemms = _gemms(fn)
    assert [str(n.op) for n in gemms] == ["Gemm{inplace}", "Gemm{inplace}"]
    assert gemms[0].inputs[0] in fn.maker.fgraph.inputs
    assert gemms[1].inputs[0] is gemms[0].outputs[0]
    address = W.get_value(borrow=True).ctypes.data
    tol = 1e-5 if dtype == "float32" else 1e-13
    want = w0.astype("float64")
    for k in range(3):
        vals = [v * (k + 1) for v in _data(rng, dtype)]
        fn(*vals)
        want = _want(want, *vals)
        got = W.get_value(borrow=True)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
        if mode == "c":
            assert got.ctypes.data == address   # the same buffer every call


@pytest.mark.parametrize("mode", ["c", "py"])
@pytest.mark.parametrize("case", ["readers", "w_output", "update_output", "link_reads_w"])
def test_w_read_elsewhere_is_not_corrupted(mode, case, rng):
    """Readers of the old W (a dot, a view, W itself as an output) see the old value; a
    chain link that reads W itself, or an update also returned, is not made in place."""
    w0 = rng.standard_normal((3, 5))
    W = nbgraph.shared(w0.copy(), name="W")
    a, b, c, d = T.dmatrices("a", "b", "c", "d")
    x = T.dmatrix("x")
    vals = _data(rng, "float64")
    new, want_w = _update(W, a, b, c, d), _want(w0, *vals)
    xv = rng.standard_normal((2, 3))
    if case == "readers":
        outs, wants = [T.dot(x, W), W.T * 2], [xv @ w0, w0.T * 2]
    elif case == "w_output":
        outs, wants = [W], [w0]
    elif case == "update_output":
        outs, wants = [new], [want_w]
    else:   # the second link reads W (a view of it): it must not be overwritten first
        xv = rng.standard_normal((3, 5))
        new = W + 0.5 * (T.dot(a.T, b) - T.dot(W[:, :3], x))
        want_w = w0 + 0.5 * (vals[0].T @ vals[1] - w0[:, :3] @ xv)
        outs, wants = [T.sum(x)], [xv.sum()]
    fn = nbgraph.function([a, b, c, d, x], outs, updates=[(W, new)], mode=MODES[mode],
                          on_unused_input="ignore")
    for _ in range(2):
        W.set_value(w0.copy())
        got = fn(*vals, xv)
        for g, w in zip(got, wants, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=1e-13)
        np.testing.assert_allclose(W.get_value(), want_w, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("mode", ["c", "py"])
def test_failing_second_link_leaves_w_unchanged(mode, rng):
    """A call whose second gemm has bad shapes raises before anything is written to W."""
    w0 = rng.standard_normal((3, 5))
    W = nbgraph.shared(w0.copy(), name="W")
    a, b, c, d = T.dmatrices("a", "b", "c", "d")
    fn = nbgraph.function([a, b, c, d], T.sum(a), updates=[(W, _update(W, a, b, c, d))],
                          mode=MODES[mode])
    assert [str(n.op) for n in _gemms(fn)] == ["Gemm{inplace}", "Gemm{inplace}"]
    va, vb, vc, vd = _data(rng, "float64")
    with pytest.raises(ValueError, match="gemm"):
        fn(va, vb, vc, vd[:5])
    np.testing.assert_array_equal(W.get_value(), w0)


@pytest.mark.parametrize("mode", ["c", "py"])
def test_sgd_with_gradients_through_the_chain(mode, rng):
    """W -= lr * grad of a loss with two products of W: the chain gives NumPy's step."""
    w0 = rng.standard_normal((3, 4)) * 0.1
    W = nbgraph.shared(w0.copy(), name="W")
    x1, x2 = T.dmatrices("x1", "x2")
    loss = T.sum(T.tanh(T.dot(x1, W))) + 0.5 * T.sum(T.sqr(T.dot(x2, W)))
    g = nbgraph.grad(loss, W)
    fn = nbgraph.function([x1, x2], loss, updates=[(W, W - 0.1 * g)], mode=MODES[mode])
    v1, v2 = rng.standard_normal((5, 3)), rng.standard_normal((7, 3))
    fn(v1, v2)
    grad = v1.T @ (1 - np.tanh(v1 @ w0) ** 2) + v2.T @ (v2 @ w0)
    np.testing.assert_allclose(W.get_value(), w0 - 0.1 * grad, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("linker", ["c", "py"])
def test_nan_guard_restores_w_when_the_second_link_overflows(linker, rng):
    """A linker that checks after writing (NanGuardMode) copies W before the chain runs and
    puts it back when the second gemm's result is inf."""
    from nbgraph.compile.nanguardmode import NanGuardMode
    w0 = rng.standard_normal((3, 5))
    W = nbgraph.shared(w0.copy(), name="W")
    a, b, c, d = T.dmatrices("a", "b", "c", "d")
    fn = nbgraph.function([a, b, c, d], T.sum(a), updates=[(W, _update(W, a, b, c, d))],
                          mode=NanGuardMode(linker=linker))
    assert [str(n.op) for n in _gemms(fn)] == ["Gemm{inplace}", "Gemm{inplace}"]
    va, vb, vc, vd = _data(rng, "float64")
    with pytest.raises(Exception, match="inf"):
        fn(va, vb, vc * 1e200, vd * 1e200)
    np.testing.assert_array_equal(W.get_value(), w0)
    fn(va, vb, vc, vd)
    np.testing.assert_allclose(W.get_value(), _want(w0, va, vb, vc, vd), rtol=1e-13)
