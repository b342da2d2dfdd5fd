"""scan (Theano tutorial examples, taps, gradients) and the lazy ifelse, against NumPy."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph import function, shared
from nbgraph.compile.verify import verify_grad
from nbgraph.core.graph import Apply
from nbgraph.core.op import Op
from nbgraph.ops.control import ifelse
from nbgraph.ops.random import RandomStreams
from nbgraph.ops.scan.basic import scan


# -- scan: the Theano tutorial examples ---------------------------------------------------
def test_scan_power_of_vector():
    k = T.iscalar("k")
    A = T.dvector("A")
    result, updates = theano.scan(lambda prior, A: prior * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    power = function([A, k], result[-1], updates=updates)
    a = np.arange(10.0)
    np.testing.assert_allclose(power(a, 2), a ** 2)
    np.testing.assert_allclose(power(a, 5), a ** 5)
    assert updates == {}


def test_scan_polynomial_evaluation():
    coefficients = T.dvector("coefficients")
    x = T.dscalar("x")
    max_power = T.as_tensor_variable(np.arange(10000, dtype="int64"))
    components, _ = scan(lambda c, power, x: c * x ** power,
                         sequences=[coefficients, max_power], non_sequences=x)
    polynomial = function([coefficients, x], components.sum())
    coef = np.array([1.0, 0.0, 2.0])
    assert polynomial(coef, 3.0) == pytest.approx(1 + 2 * 3.0 ** 2)


def test_scan_cumulative_sum_and_go_backwards(rng):
    v = T.dvector("v")
    zero = T.as_tensor_variable(np.asarray(0.0))
    forward, _ = scan(lambda s, acc: acc + s, sequences=v, outputs_info=zero)
    backward, _ = scan(lambda s, acc: acc + s, sequences=v, outputs_info=zero,
                       go_backwards=True)
    f = function([v], [forward, backward])
    x = rng.normal(size=7)
    fwd, bwd = f(x)
    np.testing.assert_allclose(fwd, np.cumsum(x))
    np.testing.assert_allclose(bwd, np.cumsum(x[::-1]))


def test_scan_fibonacci_taps():
    x0 = T.dvector("x0")
    fib, _ = scan(lambda a, b: a + b, outputs_info=[dict(initial=x0, taps=[-2, -1])],
                  n_steps=10)
    got = function([x0], fib)([0.0, 1.0])
    expected = [0.0, 1.0]
    for _ in range(10):
        expected.append(expected[-1] + expected[-2])
    np.testing.assert_allclose(got, expected[2:])


def test_scan_sequence_taps(rng):
    s = T.dvector("s")
    out, _ = scan(lambda a, b, c: a * 100 + b * 10 + c, sequences=[dict(input=s, taps=[-2, 0, 1])])
    x = rng.normal(size=9)
    # tap k at step t reads s[t + k + 2]; 9 - 3 = 6 steps
    expected = x[0:6] * 100 + x[2:8] * 10 + x[3:9]
    np.testing.assert_allclose(function([s], out)(x), expected)


def test_scan_multiple_outputs_and_map(rng):
    x = T.dmatrix("x")
    h0 = T.dvector("h0")
    [hs, norms], _ = scan(lambda row, h: [h + row, T.sqrt(T.sum(row ** 2))],
                          sequences=x, outputs_info=[h0, None])
    xv, hv = rng.normal(size=(5, 3)), rng.normal(size=3)
    got_h, got_n = function([x, h0], [hs, norms])(xv, hv)
    np.testing.assert_allclose(got_h, hv + np.cumsum(xv, axis=0))
    np.testing.assert_allclose(got_n, np.linalg.norm(xv, axis=1))
    single, _ = scan(lambda row: row * 2, sequences=x, return_list=True)
    assert isinstance(single, list) and len(single) == 1


def test_scan_n_steps_shorter_than_sequence_and_too_long():
    s = T.dvector("s")
    n = T.lscalar("n")
    out, _ = scan(lambda a: a * 2, sequences=s, n_steps=n)
    f = function([s, n], out)
    np.testing.assert_allclose(f([1.0, 2.0, 3.0], 2), [2.0, 4.0])
    with pytest.raises(ValueError, match="n_steps=5"):
        f([1.0, 2.0, 3.0], 5)
    with pytest.raises(ValueError, match="n_steps"):
        scan(lambda h: h, outputs_info=T.dscalar())


def test_scan_closure_shared_and_strict(rng):
    W = shared(rng.normal(size=(3, 3)), name="W")
    b = T.dvector("b")
    x = T.dmatrix("x")
    out, _ = scan(lambda row: T.dot(row, W) + b, sequences=x)
    xv, bv = rng.normal(size=(4, 3)), rng.normal(size=3)
    np.testing.assert_allclose(function([x, b], out)(xv, bv), xv @ W.get_value() + bv)
    with pytest.raises(ValueError, match="strict=True"):
        scan(lambda row: T.dot(row, W) + b, sequences=x, strict=True)


def test_scan_updates_returned_by_fn():
    count = shared(np.float64(0.0), name="count")
    s = T.dvector("s")
    out, updates = scan(lambda a: (a * 2, {count: count + a}), sequences=s)
    f = function([s], out, updates=updates)
    np.testing.assert_allclose(f([1.0, 2.0, 3.0]), [2.0, 4.0, 6.0])
    assert count.get_value() == 6.0
    f([1.0, 1.0])
    assert count.get_value() == 8.0


def test_scan_random_draws_differ_per_step_and_advance():
    srng = RandomStreams(seed=3)
    draws, updates = scan(lambda: srng.uniform((2,)), n_steps=4)
    assert len(updates) == 1
    f = function([], draws, updates=updates)
    first, second = f(), f()
    assert first.shape == (4, 2)
    assert len({tuple(row) for row in first}) == 4
    assert not np.allclose(first, second)


def test_scan_redraws_an_outer_draw_each_step_unless_a_non_sequence():
    srng = RandomStreams(seed=5)
    noise = srng.uniform((3,))
    s = T.dvector("s")
    closed, updates = scan(lambda a: a + noise, sequences=s)
    assert list(updates) == [noise.rng]
    rows = function([s], closed, updates=updates)(np.zeros(4))
    assert len({tuple(row) for row in rows}) == 4
    # the loop advanced the stream: its next run draws other values
    assert not np.allclose(rows, function([s], closed, updates=updates)(np.zeros(4)))
    # the outer draw itself still compiles alone (its default update is its own)
    assert function([], noise)().shape == (3,)

    fixed, updates = scan(lambda a, n: a + n, sequences=s, non_sequences=noise)
    assert not updates
    rows = function([s], fixed)(np.zeros(4))
    assert len({tuple(row) for row in rows}) == 1


def test_scan_dtype_mismatch_is_explained():
    x0 = T.fscalar("x0")
    with pytest.raises(TypeError, match="initial state"):
        scan(lambda h: h * np.float64(2.0) + T.dscalar("y"), outputs_info=x0, n_steps=3)


def test_scan_pickles_and_copies(rng):
    v = T.dvector("v")
    out, _ = scan(lambda a, acc: acc * a, sequences=v,
                  outputs_info=T.as_tensor_variable(np.asarray(1.0)))
    f = function([v], out)
    x = rng.uniform(0.5, 1.5, size=5)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(f))(x), np.cumprod(x))
    np.testing.assert_allclose(f.copy()(x), np.cumprod(x))


# -- scan: gradients by finite differences ------------------------------------------------
def _rnn(x, h0, W, U):
    hs, _ = scan(lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)), sequences=x,
                 outputs_info=h0, non_sequences=[W, U])
    return hs


def test_scan_grad_rnn(rng):
    verify_grad(_rnn, [rng.normal(size=(5, 3)), rng.normal(size=4),
                       rng.normal(size=(3, 4)) * 0.5, rng.normal(size=(4, 4)) * 0.5], rng=rng)


def _mit_sot(x0, c):
    out, _ = scan(lambda a, b, c: a * c + T.sin(b), n_steps=6,
                  outputs_info=[dict(initial=x0, taps=[-2, -1])], non_sequences=c)
    return out


def _seq_taps(s, w):
    out, _ = scan(lambda a, b, c, w: a * b + c * w, sequences=[dict(input=s, taps=[-2, 0, 1])],
                  non_sequences=w)
    return out


def _backwards_truncated_steps(s, h0):
    out, _ = scan(lambda a, b, h: T.sin(a * h) + b * h, n_steps=3, go_backwards=True,
                  sequences=[dict(input=s, taps=[-1, 1])], outputs_info=h0)
    return out


def _mapped_and_recurrent(s, w):
    [acc, mapped], _ = scan(lambda a, h, w: [h * T.cos(a) + w, T.exp(a * w)], sequences=s,
                            outputs_info=[T.zeros_like(w), None], non_sequences=w)
    return acc.sum() + mapped.sum()


@pytest.mark.parametrize("fun, shapes", [
    (_mit_sot, [(2, 3), (3,)]),
    (_seq_taps, [(7,), ()]),
    (_backwards_truncated_steps, [(6,), ()]),
    (_mapped_and_recurrent, [(5, 2), (2,)]),
])
def test_scan_grad_structures(fun, shapes, rng):
    verify_grad(fun, [rng.normal(size=s) for s in shapes], rng=rng)


def test_scan_hessian_second_order(rng):
    w = T.dvector("w")
    x0 = T.dvector("x0")
    hs, _ = scan(lambda h, w: T.tanh(h * w), outputs_info=x0, non_sequences=w, n_steps=3)
    g = theano.grad(hs.sum(), w)
    f_h = function([w, x0], T.hessian(hs.sum(), w))
    f_g = function([w, x0], g)
    wv, xv = rng.normal(size=2) * 0.5, rng.normal(size=2)
    eps = 1e-6
    numeric = np.array([(f_g(wv + eps * e, xv) - f_g(wv - eps * e, xv)) / (2 * eps)
                        for e in np.eye(2)])
    np.testing.assert_allclose(f_h(wv, xv), numeric, rtol=1e-5, atol=1e-7)


def test_scan_truncate_gradient_stops_early():
    s = T.dvector("s")
    one = T.as_tensor_variable(np.asarray(1.0))
    full, _ = scan(lambda a, h: h * a + a, sequences=s, outputs_info=one)
    cut, _ = scan(lambda a, h: h * a + a, sequences=s, outputs_info=one, truncate_gradient=2)
    x = np.array([0.5, 0.6, 0.7, 0.8, 0.9])
    g_full = function([s], theano.grad(full[-1], s))(x)
    g_cut = function([s], theano.grad(cut[-1], s))(x)
    np.testing.assert_allclose(g_cut[:3], 0.0)
    np.testing.assert_allclose(g_cut[3:], g_full[3:])


def test_jacobian_and_hessian_analytic(rng):
    x = T.dvector("x")
    A = T.dmatrix("A")
    jac = function([x, A], T.jacobian(T.tanh(T.dot(A, x)), x))
    hess = function([x], T.hessian(T.sum(x ** 3) + x[0] * x[1], x))
    xv, av = rng.normal(size=3), rng.normal(size=(4, 3))
    y = np.tanh(av @ xv)
    np.testing.assert_allclose(jac(xv, av), (1 - y ** 2)[:, None] * av)
    expected = np.diag(6 * xv)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(hess(xv), expected)


# -- ifelse -----------------------------------------------------------------------------------
class CountingOp(Op):
    """Identity that counts its performs (proves which branch ran)."""

    calls = 0

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        type(self).calls += 1
        output_storage[0][0] = inputs[0] * 1

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


def test_ifelse_values_and_lists(rng):
    a, b = T.dscalars("a", "b")
    x, y = T.dmatrices("x", "y")
    z = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    pair = ifelse(T.lt(a, b), [x * 2, T.sum(y)], [x - 1, T.sum(x)])
    f = function([a, b, x, y], [z, *pair])
    xv, yv = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    for got, expected in zip(f(1.0, 2.0, xv, yv), [xv.mean(), xv * 2, yv.sum()], strict=True):
        np.testing.assert_allclose(got, expected)
    got = f(3.0, 2.0, xv, yv)
    np.testing.assert_allclose(got[0], yv.mean())
    np.testing.assert_allclose(got[1], xv - 1)
    np.testing.assert_allclose(got[2], xv.sum())
    assert isinstance(pair, list) and len(pair) == 2


def test_ifelse_is_lazy():
    c = T.iscalar("c")
    x = T.dvector("x")
    out = ifelse(c, x + 1, CountingOp()(x) * 3)
    f = function([c, x], out)
    CountingOp.calls = 0
    np.testing.assert_allclose(f(1, [1.0, 2.0]), [2.0, 3.0])
    assert CountingOp.calls == 0
    np.testing.assert_allclose(f(0, [1.0, 2.0]), [3.0, 6.0])
    assert CountingOp.calls == 1


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_ifelse_grad(sign, rng):
    def fun(x, y):
        return ifelse(T.gt(T.sum(x), 0), T.exp(x) * y, 2.0 * T.sin(y) + x * 0)

    verify_grad(fun, [sign * rng.uniform(0.5, 1.0, size=3), rng.normal(size=3)], rng=rng)


def test_ifelse_types():
    x = T.dvector("x")
    c = T.iscalar("c")
    padded = ifelse(c, x, 0)
    assert padded.dtype == "float64" and padded.ndim == 1
    np.testing.assert_allclose(function([c, x], padded)(0, [1.0, 2.0]), [0.0, 0.0])
    with pytest.raises(TypeError, match="else branch"):
        ifelse(c, x, T.dmatrix("m"))
    with pytest.raises(ValueError, match="outputs"):
        ifelse(c, [x, x], [x])
    with pytest.raises(TypeError, match="scalar"):
        ifelse(x, x, x)
