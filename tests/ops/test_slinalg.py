"""slinalg against scipy.linalg in float64, gradients by finite differences (Cholesky, Solve
for each structure, Eigvalsh plain and generalized, Expm), shape inference and errors."""

from __future__ import annotations

import numpy as np
import pytest
from op_shape_check import assert_infer_shape
from scipy import linalg

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor import slinalg


def _spd(rng, n=4):
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.parametrize("lower", [True, False])
def test_cholesky(lower, rng):
    a = T.dmatrix("a")
    av = _spd(rng)
    got = slinalg.Cholesky(lower)(a).eval({a: av})
    np.testing.assert_allclose(got, linalg.cholesky(av, lower=lower), rtol=1e-12)
    # a symmetric function of a free matrix: the gradient must see both triangles
    verify_grad(lambda m: slinalg.Cholesky(lower)(m.dot(m.T) + 4 * T.eye(4)),
                [rng.normal(size=(4, 4))], rng=rng)
    assert_infer_shape(slinalg.cholesky(a), [a], [av])


def test_cholesky_errors_or_nans():
    a = T.dmatrix("a")
    bad = -np.eye(2)
    with pytest.raises(ValueError, match=r"Cholesky\{True, raise\} at node \d+: the matrix is "
                                         r"not positive definite"):
        th.function([a], slinalg.cholesky(a))(bad)
    assert np.isnan(slinalg.Cholesky(on_error="nan")(a).eval({a: bad})).all()


@pytest.mark.parametrize("structure", ["general", "symmetric", "lower_triangular",
                                       "upper_triangular"])
@pytest.mark.parametrize("b_ndim", [1, 2])
def test_solve(structure, b_ndim, rng):
    a = T.dmatrix("a")
    b = T.dvector("b") if b_ndim == 1 else T.dmatrix("b")
    av = _spd(rng)
    if structure == "lower_triangular":
        av = np.tril(av)
    elif structure == "upper_triangular":
        av = np.triu(av)
    bv = rng.normal(size=(4,) if b_ndim == 1 else (4, 2))
    got = slinalg.solve(a, b, A_structure=structure).eval({a: av, b: bv})
    np.testing.assert_allclose(av @ got, bv, atol=1e-12)
    tri = {"lower_triangular": np.tril, "upper_triangular": np.triu}.get(structure)
    verify_grad(lambda m, r: slinalg.solve(m, r, A_structure=structure), [av, bv], rng=rng)
    if tri is not None:   # only the triangle read gets a gradient
        g = th.grad(T.sum(slinalg.solve(a, b, A_structure=structure)), a).eval({a: av, b: bv})
        np.testing.assert_array_equal(g, tri(g))
    assert_infer_shape(slinalg.solve(a, b, structure), [a, b], [av, bv])


def test_solve_helpers_and_errors(rng):
    a, b = T.dmatrix("a"), T.dvector("b")
    av, bv = np.tril(_spd(rng)), rng.normal(size=4)
    np.testing.assert_allclose(slinalg.solve_lower_triangular(a, b).eval({a: av, b: bv}),
                               linalg.solve_triangular(av, bv, lower=True), rtol=1e-12)
    np.testing.assert_allclose(slinalg.solve_upper_triangular(a, b).eval({a: av.T, b: bv}),
                               linalg.solve_triangular(av.T, bv), rtol=1e-12)
    spd = _spd(rng)
    np.testing.assert_allclose(slinalg.solve_symmetric(a, b).eval({a: spd, b: bv}),
                               np.linalg.solve(spd, bv), rtol=1e-12)
    with pytest.raises(ValueError, match="A_structure must be one of"):
        slinalg.solve(a, b, A_structure="triangle")
    with pytest.raises(ValueError, match=r"differ in rows"):
        slinalg.solve(T.tensor("float64", shape=(3, 3)), T.tensor("float64", shape=(4,)))


def test_eigvalsh(rng):
    a, b = T.dmatrices("a", "b")
    av, bv = _spd(rng) - 5 * np.eye(4), _spd(rng)
    np.testing.assert_allclose(slinalg.eigvalsh(a).eval({a: av}), linalg.eigvalsh(av),
                               rtol=1e-12)
    np.testing.assert_allclose(slinalg.eigvalsh(a, b).eval({a: av, b: bv}),
                               linalg.eigvalsh(av, bv), rtol=1e-12)
    verify_grad(lambda m: slinalg.eigvalsh(m + m.T), [rng.normal(size=(4, 4))], rng=rng)
    verify_grad(lambda m, n: slinalg.eigvalsh(m + m.T, n.dot(n.T) + 4 * T.eye(4)),
                [rng.normal(size=(4, 4)), rng.normal(size=(4, 4))], rng=rng)
    assert_infer_shape(slinalg.eigvalsh(a), [a], [av])


def test_expm(rng):
    a = T.dmatrix("a")
    av = rng.normal(size=(4, 4)) / 2
    np.testing.assert_allclose(slinalg.expm(a).eval({a: av}), linalg.expm(av), rtol=1e-12)
    verify_grad(slinalg.expm, [av], rng=rng)
    # a defective (non-diagonalizable) matrix: the Fréchet form still has a gradient
    verify_grad(slinalg.expm, [np.array([[1.0, 1.0], [0.0, 1.0]])], rng=rng)
    assert_infer_shape(slinalg.expm(a), [a], [av])


def test_kron(rng):
    a, b = T.dmatrices("a", "b")
    av, bv = rng.normal(size=(2, 3)), rng.normal(size=(4, 2))
    np.testing.assert_allclose(slinalg.kron(a, b).eval({a: av, b: bv}), np.kron(av, bv),
                               rtol=1e-15)
    verify_grad(slinalg.kron, [av, bv], rng=rng)
    with pytest.raises(TypeError, match="must sum to 3 or more"):
        slinalg.kron(T.dvector(), T.dvector())
