"""Scan gradients read the forward loop's residuals (ops/scan/residuals.py) instead of
recomputing them. Every loop form is differentiated both ways (``_old`` builds the gradient
with no residuals, the construction before) and compiled on the py and c linkers: the
gradients agree with each other and with central finite differences in float64; the LSTM's
gradient loop no longer recomputes the forward products."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.graph import toposort
from nbgraph.ops.blas import Gemm
from nbgraph.ops.control import IfElse
from nbgraph.ops.linalg import Dot
from nbgraph.ops.scan import grad as scan_grad_module
from nbgraph.ops.scan.basic import scan, until
from nbgraph.ops.scan.op import Scan
from nbgraph.ops.scan.residuals import Residuals

LINKERS = ["py", "c"]


def _grads(cost: Any, wrt: list[Any], residuals: bool) -> tuple[list[Any], int]:
    """``grad(cost, wrt)`` with residuals, or as before without; how many were used."""
    found = scan_grad_module.find_residuals
    used = []

    def spy(*args: Any) -> Residuals:
        res = found(*args) if residuals else Residuals([], [])
        used.append(len(res.values))
        return res

    scan_grad_module.find_residuals = spy
    try:
        return theano.grad(cost, wrt), sum(used)
    finally:
        scan_grad_module.find_residuals = found


def _numeric(f: Callable[..., Any], values: list[np.ndarray], k: int, idx: tuple,
             eps: float = 1e-6) -> float:
    up = [v.copy() for v in values]
    down = [v.copy() for v in values]
    up[k][idx] += eps
    down[k][idx] -= eps
    return (float(f(*up)) - float(f(*down))) / (2 * eps)


def _check(inputs: list[Any], cost: Any, values: list[np.ndarray], linker: str,
           wrt: list[int] | None = None, extra: list[tuple[Any, ...]] = ()) -> int:
    """Gradients with residuals against the old construction and finite differences, on
    ``values`` and on each of ``extra`` (other input values); returns residuals used."""
    wrt = list(range(len(inputs))) if wrt is None else wrt
    new, used = _grads(cost, [inputs[k] for k in wrt], True)
    old, _ = _grads(cost, [inputs[k] for k in wrt], False)
    mode = Mode(linker, "fast_run")
    f_new = function(inputs, new, mode=mode)
    f_old = function(inputs, old, mode=mode)
    f_cost = function(inputs, cost, mode=Mode("py", "fast_run"))
    for vals in [values, *[list(e) for e in extra]]:
        got, want = f_new(*vals), f_old(*vals)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)
        for k, g in zip(wrt, got, strict=True):
            g = np.asarray(g)
            if g.size == 0 or not np.issubdtype(vals[k].dtype, np.floating):
                continue
            for idx in {(0,) * g.ndim, tuple(s - 1 for s in g.shape)}:
                np.testing.assert_allclose(g[idx], _numeric(f_cost, vals, k, idx),
                                           rtol=1e-5, atol=1e-7)
    return used


# -- the loop forms ----------------------------------------------------------------------------
def _gated() -> tuple[list[Any], Any]:
    X, W, U, b, h0 = T.dtensor3("X"), T.dmatrix("W"), T.dmatrix("U"), T.dvector("b"), \
        T.dmatrix("h0")
    n = 3

    def step(x_t, h, c):
        pre = T.dot(x_t, W) + T.dot(h, U) + b
        i, f, o = (T.sigmoid(pre[:, k * n:(k + 1) * n]) for k in range(3))
        c = f * c + i * T.tanh(pre[:, 3 * n:])
        return o * T.tanh(c), c

    (hs, cs), _ = scan(step, sequences=X, outputs_info=[h0, h0])
    return [X, W, U, b, h0], T.sum(hs[-1] ** 2) + 0.1 * T.sum(hs * cs)


def _gated_values(rng: np.random.Generator, n: int = 3) -> list[np.ndarray]:
    return [rng.normal(size=(4, 2, 3)), rng.normal(size=(3, 4 * n)) * 0.5,
            rng.normal(size=(n, 4 * n)) * 0.5, rng.normal(size=4 * n) * 0.1,
            rng.normal(size=(2, n))]


@pytest.mark.parametrize("linker", LINKERS)
def test_gated_recurrence(linker, rng):
    inputs, cost = _gated()
    # the gates, tanh(c), and pre (read for its shape by the slices' gradient)
    assert _check(inputs, cost, _gated_values(rng), linker) == 6


def test_gated_recurrence_on_the_jax_linker(rng):
    pytest.importorskip("jax")
    inputs, cost = _gated()
    grads, used = _grads(cost, inputs, True)
    values = _gated_values(rng)
    got = function(inputs, grads, mode="JAX")(*values)
    want = function(inputs, grads, mode=Mode("py", "fast_run"))(*values)
    assert used == 6
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_taps_and_go_backwards(linker, go_backwards, rng):
    """Sequence taps (-1, 0, 2), recurrence taps (-2, -1), a mapped output."""
    x, z, w, a0 = T.dmatrix("x"), T.dmatrix("z"), T.dmatrix("w"), T.dmatrix("a0")

    def step(x_m1, x_0, x_2, z_t, a_m2, a_m1, w):
        gate = T.sigmoid(T.dot(a_m1, w) + x_0)
        a = gate * T.tanh(a_m2 + x_2) + T.exp(x_m1) * 0.1
        return a, T.sin(T.dot(a, w.T)) * z_t

    (a, m), _ = scan(step, sequences=[dict(input=x, taps=[-1, 0, 2]), z],
                     outputs_info=[dict(initial=a0, taps=[-2, -1]), None],
                     non_sequences=w, go_backwards=go_backwards)
    cost = T.sum(a ** 2) + T.sum(m)
    values = [rng.normal(size=(7, 3)) * 0.5, rng.normal(size=(8, 3)) * 0.5,
              rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(2, 3)) * 0.5]
    assert _check([x, z, w, a0], cost, values, linker) >= 2


@pytest.mark.parametrize("linker", LINKERS)
def test_until(linker, rng):
    x, w = T.dmatrix("x"), T.dmatrix("w")

    def step(x_t, h, w):
        new = T.tanh(T.dot(h, w) + x_t) * T.sigmoid(x_t.sum() + h)
        return new, until(T.sum(new ** 2) > 0.15)

    hs, _ = scan(step, sequences=x, outputs_info=T.zeros((3,)) + 0.3, non_sequences=w)
    cost = T.sum(hs ** 2) + T.sum(hs[-1])
    values = [rng.normal(size=(8, 3)) * 0.3, rng.normal(size=(3, 3))]
    steps = function([x, w], hs.shape[0])(*values)
    assert 1 < steps < 8   # it stopped early
    assert _check([x, w], cost, values, linker) >= 1


@pytest.mark.parametrize("linker", LINKERS)
def test_step_counts_zero_and_more(linker, rng):
    x, w, h0, k = T.dmatrix("x"), T.dmatrix("w"), T.dvector("h0"), T.lscalar("k")
    hs, _ = scan(lambda x_t, h, w: T.tanh(T.dot(h, w)) * T.sigmoid(x_t), sequences=x,
                 outputs_info=h0, non_sequences=w, n_steps=k)
    cost = T.sum(T.concatenate([h0[None], hs]) ** 2)
    values = [rng.normal(size=(5, 3)), rng.normal(size=(3, 3)), rng.normal(size=3),
              np.array(3)]
    extra = [(values[0], values[1], values[2], np.array(s)) for s in (0, 1, 5)]
    assert _check([x, w, h0, k], cost, values, linker, wrt=[0, 1, 2], extra=extra) >= 1
    # sequences giving no steps at all
    empty = [np.zeros((0, 3)), values[1], values[2]]
    g, _ = _grads(cost, [x, w, h0], True)
    got = function([x, w, h0, k], g, mode=Mode(linker, "fast_run"))(*empty, np.array(-1))
    np.testing.assert_allclose(got[2], 2 * values[2], rtol=1e-12)
    assert got[0].shape == (0, 3) and not np.any(got[1])


@pytest.mark.parametrize("linker", LINKERS)
def test_nested_scan(linker, rng):
    x, w = T.dtensor3("x"), T.dmatrix("w")

    def outer(x_t, h, w):
        inner, _ = scan(lambda r, s, w: T.tanh(T.dot(s, w) + r), sequences=x_t,
                        outputs_info=h, non_sequences=w)
        return T.sigmoid(inner[-1]) * h + 0.1

    hs, _ = scan(outer, sequences=x, outputs_info=T.ones((2,)) * 0.5, non_sequences=w)
    cost = T.sum(hs ** 2)
    values = [rng.normal(size=(3, 2, 2)) * 0.5, rng.normal(size=(2, 2))]
    assert _check([x, w], cost, values, linker) >= 1


@pytest.mark.parametrize("linker", LINKERS)
def test_truncated_gradient(linker, rng):
    x, w, h0 = T.dmatrix("x"), T.dmatrix("w"), T.dvector("h0")
    hs, _ = scan(lambda x_t, h, w: T.tanh(T.dot(h, w) + x_t) * T.sigmoid(h), sequences=x,
                 outputs_info=h0, non_sequences=w, truncate_gradient=2)
    cost = T.sum(hs ** 2)
    new, used = _grads(cost, [x, w, h0], True)
    old, _ = _grads(cost, [x, w, h0], False)
    values = [rng.normal(size=(5, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)]
    mode = Mode(linker, "fast_run")
    got, want = function([x, w, h0], new, mode=mode)(*values), \
        function([x, w, h0], old, mode=mode)(*values)
    assert used >= 1   # truncated: not the full derivative, so old against new only
    for g, w_ in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w_, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("linker", LINKERS)
def test_shared_updates_and_non_sequences(linker, rng):
    count = theano.shared(np.float64(0.0), name="count")
    x, w, v = T.dmatrix("x"), T.dmatrix("w"), T.dvector("v")

    def step(x_t, h, v):
        return T.tanh(T.dot(h, w) * v + x_t) * T.exp(-h * h), {count: count + 1}

    hs, updates = scan(step, sequences=x, outputs_info=T.zeros((3,)) + 0.2, non_sequences=v)
    cost = T.sum(hs ** 2)
    values = [rng.normal(size=(4, 3)), rng.normal(size=(3, 3)), rng.normal(size=3)]
    assert _check([x, w, v], cost, values, linker) >= 1
    g, _ = _grads(cost, [w], True)
    fn = function([x, w, v], g, updates=updates, mode=Mode(linker, "fast_run"))
    fn(*values)
    assert count.get_value() == 4


@pytest.mark.parametrize("linker", LINKERS)
def test_second_derivative_through_the_residuals(linker, rng):
    x, w = T.dmatrix("x"), T.dvector("w")
    hs, _ = scan(lambda x_t, h, w: T.tanh(h * w + x_t) * T.sigmoid(w), sequences=x,
                 outputs_info=T.zeros((3,)) + 0.1, non_sequences=w)
    cost = T.sum(hs ** 2)
    (g,), _ = _grads(cost, [w], True)
    hess_new, _ = _grads(T.sum(g * g), [w], True)
    (g_old,), _ = _grads(cost, [w], False)
    hess_old, _ = _grads(T.sum(g_old * g_old), [w], False)
    values = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    mode = Mode(linker, "fast_run")
    got = function([x, w], hess_new, mode=mode)(*values)[0]
    want = function([x, w], hess_old, mode=mode)(*values)[0]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    f = function([x, w], T.sum(g * g), mode=Mode("py", "fast_run"))
    np.testing.assert_allclose(got[0], _numeric(f, values, 1, (0,)), rtol=1e-5)


def test_a_value_whose_shape_changes_per_step_is_recomputed(rng):
    """x_t[:k_t] (k read from a sequence) has no single step shape: no residual for it."""
    x, k, w = T.dmatrix("x"), T.lvector("k"), T.dscalar("w")

    def step(x_t, k_t, h, w):
        part = T.tanh(x_t[:k_t] * w + h)
        return h + T.sum(part * part)

    hs, _ = scan(step, sequences=[x, k], outputs_info=T.constant(0.0, dtype="float64"),
                 non_sequences=w)
    values = [rng.normal(size=(4, 5)), np.array([1, 3, 5, 2]), np.array(0.7)]
    _check([x, k, w], T.sum(hs), values, "py", wrt=[0, 2])


# -- structure: the LSTM's gradient loop recomputes no forward product -------------------------
def _products(nodes: list[Any]) -> int:
    return sum(isinstance(n.op, (Dot, Gemm)) for n in nodes)


def _counts(fn: Any) -> tuple[int, int, int]:
    """(products outside loops, products inside loops, loops)."""
    nodes = fn.maker.fgraph.toposort()
    scans = [n for n in nodes if isinstance(n.op, Scan)]
    lazy = [toposort(n.op.then_outputs) for n in nodes if isinstance(n.op, IfElse)]
    outer = _products(nodes) + sum(_products(branch) for branch in lazy)
    return outer, sum(_products(toposort(n.op.inner_outputs)) for n in scans), len(scans)


@pytest.mark.parametrize("linker", LINKERS)
def test_lstm_gradient_recomputes_no_forward_product(linker, rng):
    X = T.tensor3("X", dtype="float32")
    W, U = T.matrix("W", dtype="float32"), T.matrix("U", dtype="float32")
    n = 4

    def step(x_t, h, c):
        pre = T.dot(x_t, W) + T.dot(h, U)
        i, f, o = (T.sigmoid(pre[:, k * n:(k + 1) * n]) for k in range(3))
        c = f * c + i * T.tanh(pre[:, 3 * n:])
        return o * T.tanh(c), c

    h0 = T.zeros((X.shape[1], n), dtype="float32")
    (hs, _), _ = scan(step, sequences=X, outputs_info=[h0, h0])
    cost = T.sum(hs[-1] ** 2)
    mode = Mode(linker, "fast_run")
    new, _ = _grads(cost, [W, U], True)
    old, _ = _grads(cost, [W, U], False)
    f_new, f_old = function([X, W, U], new, mode=mode), function([X, W, U], old, mode=mode)
    # forward x@W outside, h@U inside; backward dpre@U.T inside, dW and dU outside; the old
    # construction also recomputed x@W and h@U (outside, for all steps) for the gradient
    assert _counts(f_new) == (3, 2, 2)
    assert _counts(f_old) == (5, 2, 2)
    values = [rng.normal(size=(5, 2, 3)).astype("float32"),
              (rng.normal(size=(3, 4 * n)) * 0.5).astype("float32"),
              (rng.normal(size=(n, 4 * n)) * 0.5).astype("float32")]
    for g, w in zip(f_new(*values), f_old(*values), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
