"""Second derivatives of the stable forms: finite and exact at extreme logits (analytic
value), and equal to finite differences of the gradient on moderate inputs, on every linker."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.ops import nnet

MODES = ["FAST_COMPILE", "FAST_RUN", "JAX"]
EXTREME = np.array([-1000.0, -800.0, -50.0, -30.0, -1.0, 0.0, 1.0, 30.0, 50.0, 800.0, 1000.0])


def _mode(mode: str) -> str:
    if mode == "JAX":
        pytest.importorskip("jax")
    return mode


@pytest.mark.parametrize("mode", MODES)
def test_bce_of_sigmoid_hessian_exact_at_extremes(mode: str) -> None:
    """d²/dz² binary_crossentropy(σ(z), t) = σ(z) σ(-z) for every t (was nan at |z| ≈ 1000)."""
    z, t = T.dvector("z"), T.dvector("t")
    cost = nnet.binary_crossentropy(nnet.sigmoid(z), t).sum()
    f = theano.function([z, t], [T.hessian(cost, z), T.grad(cost, z), cost], mode=_mode(mode))
    tv = np.linspace(0.0, 1.0, len(EXTREME))
    hess, slope, value = f(EXTREME, tv)
    expected = expit(EXTREME) * expit(-EXTREME)
    np.testing.assert_allclose(np.diag(hess), expected, rtol=1e-13, atol=0)
    assert np.count_nonzero(hess - np.diag(np.diag(hess))) == 0
    np.testing.assert_allclose(slope, expit(EXTREME) - tv, rtol=1e-13, atol=1e-16)
    logaddexp = np.logaddexp(0, -EXTREME) * tv + np.logaddexp(0, EXTREME) * (1 - tv)
    np.testing.assert_allclose(value, logaddexp.sum(), rtol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_logistic_regression_hessian(mode: str) -> None:
    """hessian(bce(σ(X w), y).sum(), w) = X^T diag(σ σ(-·)) X, with rows at |Xw| ~ 1000."""
    X, w, y = T.dmatrix("X"), T.dvector("w"), T.dvector("y")
    cost = nnet.binary_crossentropy(nnet.sigmoid(T.dot(X, w)), y).sum()
    f = theano.function([X, w, y], T.hessian(cost, w), mode=_mode(mode))
    Xv = np.array([[1000.0, 1.0], [-1000.0, 2.0], [3.0, -1.0], [30.0, 0.5]])
    wv, yv = np.array([1.0, 0.5]), np.array([1.0, 0.0, 1.0, 0.3])
    zv = Xv @ wv
    expected = Xv.T @ np.diag(expit(zv) * expit(-zv)) @ Xv
    np.testing.assert_allclose(f(Xv, wv, yv), expected, rtol=1e-12)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("build", [
    lambda z, t: nnet.binary_crossentropy(nnet.sigmoid(z), t),
    lambda z, t: nnet.sigmoid_binary_crossentropy(z, t),
    lambda z, t: T.log(T.exp(z) + T.exp(-z)) * t,
], ids=["bce_sigmoid", "sigmoid_bce", "logaddexp"])
def test_hessian_matches_finite_differences(build, mode: str) -> None:
    """Central differences of the gradient on moderate inputs (float64)."""
    z, t = T.dvector("z"), T.dvector("t")
    cost = build(z, t).sum()
    f = theano.function([z, t], [T.hessian(cost, z), T.grad(cost, z)], mode=_mode(mode))
    rng = np.random.default_rng(1)
    zv, tv = rng.normal(scale=3.0, size=5), rng.uniform(size=5)
    hess, _ = f(zv, tv)
    eps = 1e-5
    fd = np.empty((5, 5))
    for k in range(5):
        step = np.zeros(5)
        step[k] = eps
        fd[:, k] = (f(zv + step, tv)[1] - f(zv - step, tv)[1]) / (2 * eps)
    np.testing.assert_allclose(hess, fd, rtol=1e-6, atol=1e-8)
