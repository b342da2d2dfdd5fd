"""Second and third derivatives of hand-written sigmoid losses stay finite where σ underflows.

The gradient of ``log σ(z)`` reaches sigmoid as ``g / σ(z)``; its rule multiplied that by
``σ(z) (1 - σ(z))``, which stabilize cancels in the first derivative only. The Hessian of
binary cross-entropy was nan at |z| = 1000 on every linker (T.hessian and grad of grad).
The closed forms: d²/dz² BCE = σ(z) σ(-z) for any t, d²/dz² log σ(z) = -σ(z) σ(-z)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode

LINKERS = ["py", pytest.param("c", marks=pytest.mark.skipif(
    importlib.util.find_spec("nbgraph.link.c_linker") is None, reason="no C linker")),
    pytest.param("jax", marks=pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="no JAX"))]
Z = np.array([-1000.0, -745.0, -30.0, -1.0, 0.0, 2.0, 30.0, 745.0, 1000.0])


def _sig(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0, -z))


def _slope(z: np.ndarray) -> np.ndarray:   # σ(z) σ(-z), exact in float64 at any z
    return np.exp(-np.logaddexp(0, -z) - np.logaddexp(0, z))


def _check(got: np.ndarray, want: np.ndarray) -> None:
    assert np.all(np.isfinite(got)), got
    # terms of size 1 cancel at |z| = 30: an absolute error of a few ulps of 1
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["fast_run", "fast_compile"])
@pytest.mark.parametrize("linker", LINKERS)
def test_binary_crossentropy_hessian_is_finite_and_exact(linker: str, optimizer: str) -> None:
    z, t = T.dvector("z"), T.dvector("t")
    s = T.nnet.sigmoid(z)
    cost = (-(t * T.log(s) + (1 - t) * T.log(1 - s))).sum()
    g = T.grad(cost, z)
    f = nbgraph.function([z, t], [g, T.grad(g.sum(), z), T.hessian(cost, z)],
                         mode=Mode(linker, optimizer))
    for tv in (np.zeros_like(Z), np.ones_like(Z), np.full_like(Z, 0.3)):
        first, second, hess = f(Z, tv)
        _check(first, _sig(Z) - tv)
        _check(second, _slope(Z))
        _check(np.diag(hess), _slope(Z))
        np.testing.assert_array_equal(hess - np.diag(np.diag(hess)), 0)


@pytest.mark.parametrize("linker", LINKERS)
def test_log_sigmoid_higher_derivatives(linker: str) -> None:
    z = T.dvector("z")
    s = T.nnet.sigmoid(z)
    d1 = T.grad(T.log(s).sum(), z)
    d2 = T.grad(d1.sum(), z)
    d3 = T.grad(d2.sum(), z)
    e2 = T.grad(T.grad(T.log(1 - s).sum(), z).sum(), z)
    f = nbgraph.function([z], [d1, d2, d3, e2], mode=Mode(linker, "fast_run"))
    one, two, three, other = f(Z)
    _check(one, _sig(-Z))
    _check(two, -_slope(Z))
    _check(three, -_slope(Z) * (_sig(-Z) - _sig(Z)))
    _check(other, -_slope(Z))


def test_second_derivative_matches_finite_differences() -> None:
    # independent of the closed forms: central differences of the compiled first derivative
    z, t = T.dvector("z"), T.dvector("t")
    s = T.nnet.sigmoid(z)
    cost = (-(t * T.log(s) + (1 - t) * T.log(1 - s))).sum()
    g = T.grad(cost, z)
    first = nbgraph.function([z, t], g)
    second = nbgraph.function([z, t], T.grad(g.sum(), z))
    zv, tv, eps = np.array([-3.0, -0.5, 0.0, 1.5, 4.0]), np.full(5, 0.3), 1e-5
    fd = (first(zv + eps, tv) - first(zv - eps, tv)) / (2 * eps)
    np.testing.assert_allclose(second(zv, tv), fd, rtol=1e-7, atol=1e-9)
