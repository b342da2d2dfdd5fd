"""Gradient defects found by finite differences and at extreme inputs, one test each, on the
py, C and JAX linkers against float64 NumPy."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit as _expit

import nbgraph
import nbgraph.tensor as T
from nbgraph.gradient import numeric_grad, verify_grad

MODES = ["FAST_COMPILE", "FAST_RUN", "JAX"]


@pytest.mark.parametrize("mode", MODES)
def test_set_subtensor_repeated_index_grad_goes_to_the_kept_write(mode: str) -> None:
    # x[[0, 2, 0]] = y keeps y's last row 0: its first row 0 never reaches the output
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    verify_grad(lambda a, b: T.set_subtensor(a[[0, 2, 0]], b), [x, y], mode=mode, rng=rng)
    xm, ym = T.dmatrix("x"), T.dmatrix("y")
    gy = nbgraph.grad(T.set_subtensor(xm[[0, 2, 0]], ym).sum(), ym)
    np.testing.assert_array_equal(nbgraph.function([xm, ym], gy, mode=mode)(x, y),
                                  [[0] * 4, [1] * 4, [1] * 4])


@pytest.mark.parametrize("mode", MODES)
def test_set_subtensor_repeated_pairs_and_broadcast_value(mode: str) -> None:
    rng = np.random.default_rng(1)
    x, s = rng.normal(size=(3, 4)), np.array(0.7)
    # the pair (1, 2) twice, and a scalar set at two equal rows: counted once each
    verify_grad(lambda a, b: T.set_subtensor(a[[1, 0, 1], [2, 3, 2]], b),
                [x, rng.normal(size=3)], mode=mode, rng=rng)
    verify_grad(lambda a, b: T.set_subtensor(a[[2, 2]], b) * a, [x, s], mode=mode, rng=rng)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_pinv_gradient(mode: str, shape: tuple[int, int]) -> None:
    # was NullTypeGradError; Theano 1.0's MatrixPinv is differentiable
    rng = np.random.default_rng(2)
    verify_grad(lambda a: T.nlinalg.pinv(a), [rng.normal(size=shape)], mode=mode, rng=rng)


def test_pinv_gradient_at_constant_lower_rank() -> None:
    rng = np.random.default_rng(3)   # a rank-2 4x3 matrix stays rank 2 under the differences
    verify_grad(lambda u, v: T.nlinalg.pinv(T.dot(u, v)),
                [rng.normal(size=(4, 2)), rng.normal(size=(2, 3))], rng=rng)


# the JAX linker does not translate U and V^T (their signs are the solver's choice)
@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4)])
def test_singular_values_gradient(mode: str, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=shape)
    verify_grad(lambda m: T.nlinalg.svd(m, compute_uv=False), [a], mode=mode, rng=rng)
    # the nuclear norm's gradient is U V^T
    u, _, vt = np.linalg.svd(a, full_matrices=False)
    m = T.dmatrix("m")
    g = nbgraph.grad(T.nlinalg.svd(m, compute_uv=False).sum(), m)
    np.testing.assert_allclose(nbgraph.function([m], g, mode=mode)(a), u @ vt, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_max_min_with_ties_share_the_gradient(mode: str) -> None:
    # central differences at a tie of two give g / 2 to each (jax.grad gives g / k at k ties);
    # all of g to each made the slice's gradient total k g
    v = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]])
    x = T.dmatrix("x")
    for cost, want in [(T.max(x, axis=1).sum(), [[0, 0.5, 0.5], [0.5, 0.5, 0]]),
                       (T.min(-x, axis=1).sum(), [[0, -0.5, -0.5], [-0.5, -0.5, 0]]),
                       (T.max(x), [[0, 0.5, 0.5], [0, 0, 0]]),
                       (T.max_and_argmax(x, axis=0)[0].sum(), [[0, 1, 1], [1, 0, 0]])]:
        got = nbgraph.function([x], nbgraph.grad(cost, x), mode=mode)(v)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        fd = numeric_grad(nbgraph.function([x], cost, mode=mode), [v.copy()], 1e-6)[0]
        np.testing.assert_allclose(got, fd, atol=1e-6)
    three = nbgraph.function([x], nbgraph.grad(T.max(x, axis=1).sum(), x), mode=mode)
    np.testing.assert_allclose(three(np.full((1, 3), 2.0)), [[1 / 3] * 3], rtol=1e-12)
    xf = T.fmatrix("xf")   # float32 keeps its dtype
    gf = nbgraph.function([xf], nbgraph.grad(T.max(xf), xf), mode=mode)(v.astype("float32"))
    assert gf.dtype == np.float32 and np.isclose(gf.sum(), 1)


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())
    return e / e.sum()


EXTREME = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 800.0, 1000.0])


def _hot(v: np.ndarray) -> np.ndarray:
    return np.eye(len(v))[3]   # the label the softmax forms pick

STABLE_FORMS = {
    "log(1+exp(x))": (lambda x: T.log(1 + T.exp(x)).sum(), _expit),
    "log(sigmoid(x))": (lambda x: T.log(T.nnet.sigmoid(x)).sum(), lambda v: _expit(-v)),
    "log(1-sigmoid(x))": (lambda x: T.log(1 - T.nnet.sigmoid(x)).sum(), lambda v: -_expit(v)),
    "exp(x)/(1+exp(x))": (lambda x: (T.exp(x) / (1 + T.exp(x))).sum(),
                          lambda v: _expit(v) * _expit(-v)),
    "binary_crossentropy": (lambda x: T.nnet.binary_crossentropy(T.nnet.sigmoid(x), 0.3).sum(),
                            lambda v: _expit(v) - 0.3),
    "logsumexp": (lambda x: T.log(T.sum(T.exp(x))), _softmax),
    "log(softmax)": (lambda x: T.log(T.nnet.softmax(x.dimshuffle("x", 0)))[0, 3],
                     lambda v: _hot(v) - _softmax(v)),
    "categorical_crossentropy": (
        lambda x: T.nnet.categorical_crossentropy(T.nnet.softmax(x.dimshuffle("x", 0)),
                                                  T.constant(np.array([3]))).sum(),
        lambda v: _softmax(v) - _hot(v)),
}


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "PY", "FAST_RUN", "JAX"])
@pytest.mark.parametrize("form", sorted(STABLE_FORMS))
def test_gradient_finite_at_extreme_logits(form: str, mode: str) -> None:
    # FAST_COMPILE had no stabilize pass: these gradients were nan at |x| ~ 1000 there
    build, want = STABLE_FORMS[form]
    x = T.dvector("x")
    fn = nbgraph.function([x], nbgraph.grad(build(x), x), mode=mode)
    got = fn(EXTREME)
    assert np.isfinite(got).all(), got
    np.testing.assert_allclose(got, want(EXTREME), rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
def test_pow_exponent_gradient_at_zero_base(mode: str) -> None:
    # d(x**y)/dy = x**y log(x) is 0 at x = 0, y > 0 (it was 0 * log(0) = nan)
    x, y = T.dvector("x"), T.dvector("y")
    gx, gy = nbgraph.grad((x ** y).sum(), [x, y])
    xv, yv = np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.5, 3.0])
    got_x, got_y = nbgraph.function([x, y], [gx, gy], mode=mode)(xv, yv)
    np.testing.assert_allclose(got_y, [0.0, 0.0, 8 * np.log(2.0)], rtol=1e-12)
    np.testing.assert_allclose(got_x, [0.0, np.inf, 12.0], rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_verify_grad_broadcasts_length_one_axes(mode: str) -> None:
    # Theano's verify_grad typed a (1, n) point broadcastable: a bias row against a batch
    rng = np.random.default_rng(5)
    verify_grad(lambda x, b: T.tanh(x + b), [rng.normal(size=(4, 3)), rng.normal(size=(1, 3))],
                mode=mode, rng=rng)
    verify_grad(lambda x, g, b: T.nnet.bn.batch_normalization_train(x, g, b, axes=(0,))[0],
                [rng.normal(size=(4, 3)), rng.normal(size=(1, 3)), rng.normal(size=(1, 3))],
                mode=mode, rng=rng)


@functools.cache
def _compiled_form(form: str, mode: str) -> nbgraph.compile.function.Function:
    x = T.dvector("x")
    return nbgraph.function([x], nbgraph.grad(STABLE_FORMS[form][0](x), x), mode=mode)


@settings(max_examples=60, deadline=None)
@given(form=st.sampled_from(sorted(STABLE_FORMS)), mode=st.sampled_from(["FAST_COMPILE", "PY"]),
       values=st.lists(st.floats(-1000, 1000), min_size=4, max_size=6))
def test_stable_forms_anywhere_in_the_range(form: str, mode: str, values: list[float]) -> None:
    v = np.asarray(values)
    got = _compiled_form(form, mode)(v)
    assert np.isfinite(got).all(), (form, mode, v, got)
    np.testing.assert_allclose(got, STABLE_FORMS[form][1](v), rtol=1e-7, atol=1e-12)
