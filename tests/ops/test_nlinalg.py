"""nlinalg against numpy.linalg in float64; eigh's gradient by finite differences (on costs
that do not depend on the eigenvectors' signs); norm, matrix_power and matrix_dot are graphs,
checked for values and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from op_shape_check import assert_infer_shape

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor import nlinalg


def _sym(rng, n=4):
    a = rng.normal(size=(n, n))
    return a + a.T


def test_eigh_values_and_vectors(rng):
    a = T.dmatrix("a")
    av = _sym(rng)
    for uplo in ("L", "U"):
        w, v = nlinalg.eigh(a, uplo)
        got_w, got_v = th.function([a], [w, v])(av)
        want_w, _ = np.linalg.eigh(av, uplo)
        np.testing.assert_allclose(got_w, want_w, rtol=1e-12)
        np.testing.assert_allclose(av @ got_v, got_v * got_w, atol=1e-12)
    assert_infer_shape(nlinalg.eigh(a)[1], [a], [av])


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradient(uplo, rng):
    weights = rng.normal(size=(4, 4))
    # eigenvector signs are arbitrary: v ** 2 does not see them
    verify_grad(lambda m: nlinalg.eigh(m + m.T, uplo)[0] * 2 + T.sum(
        nlinalg.eigh(m + m.T, uplo)[1] ** 2 * weights, axis=0), [rng.normal(size=(4, 4))],
        rng=rng)
    # reading one triangle: the gradient lands on that triangle only
    a = T.dmatrix("a")
    g = th.grad(T.sum(nlinalg.eigh(a, uplo)[0] * np.arange(4.0)), a).eval({a: _sym(rng)})
    other = np.triu(g, 1) if uplo == "L" else np.tril(g, -1)
    np.testing.assert_array_equal(other, 0)


def test_eig_svd_qr_lstsq(rng):
    a = T.dmatrix("a")
    av = rng.normal(size=(4, 3))
    sq = rng.normal(size=(3, 3))
    sq = sq @ sq.T   # real eigenvalues
    w, v = th.function([a], nlinalg.eig(a))(sq)
    np.testing.assert_allclose(sq @ v, v * w, atol=1e-12)
    u, s, vt = th.function([a], nlinalg.svd(a, full_matrices=False))(av)
    np.testing.assert_allclose(s, np.linalg.svd(av, compute_uv=False), rtol=1e-12)
    np.testing.assert_allclose((u * s) @ vt, av, atol=1e-12)
    assert_infer_shape(nlinalg.svd(a)[0], [a], [av])
    assert_infer_shape(nlinalg.svd(a, compute_uv=False), [a], [av])
    for mode in ("reduced", "complete", "r", "raw"):
        outs = nlinalg.qr(a, mode)
        assert_infer_shape(outs if mode == "r" else outs[0], [a], [av])
    q, r = th.function([a], nlinalg.qr(a))(av)
    np.testing.assert_allclose(q @ r, av, atol=1e-12)
    np.testing.assert_allclose(nlinalg.qr(a, "r").eval({a: av}), np.linalg.qr(av, "r"))
    b = T.dvector("b")
    bv = rng.normal(size=4)
    got = th.function([a, b], nlinalg.lstsq(a, b))(av, bv)
    want = np.linalg.lstsq(av, bv, rcond=None)
    for g, w_ in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w_, rtol=1e-10)


def test_tensorinv_tensorsolve(rng):
    a = T.dtensor4("a")
    av = rng.normal(size=(4, 6, 8, 3)).reshape(4, 6, 8, 3)
    av = np.eye(24).reshape(4, 6, 8, 3) + 0.1 * av
    np.testing.assert_allclose(nlinalg.tensorinv(a).eval({a: av}), np.linalg.tensorinv(av),
                               rtol=1e-10)
    assert_infer_shape(nlinalg.tensorinv(a), [a], [av])
    b = T.dmatrix("b")
    bv = rng.normal(size=(4, 6))
    np.testing.assert_allclose(nlinalg.tensorsolve(a, b).eval({a: av, b: bv}),
                               np.linalg.tensorsolve(av, bv), rtol=1e-10)
    assert_infer_shape(nlinalg.tensorsolve(a, b), [a, b], [av, bv])


@pytest.mark.parametrize("ord_", [None, 1, 3, 2.5, "inf", "-inf", np.inf, 0])
def test_vector_norm(ord_, rng):
    x = T.dvector("x")
    xv = rng.normal(size=6)
    np_ord = {"inf": np.inf, "-inf": -np.inf}.get(ord_, ord_) if isinstance(ord_, str) else ord_
    np.testing.assert_allclose(nlinalg.norm(x, ord_).eval({x: xv}), np.linalg.norm(xv, np_ord),
                               rtol=1e-12)
    if ord_ != 0:
        verify_grad(lambda v: nlinalg.norm(v, ord_), [xv], rng=rng)


@pytest.mark.parametrize("ord_", [None, "fro", 1, -1, "inf", "-inf"])
def test_matrix_norm(ord_, rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 4))
    np_ord = {"inf": np.inf, "-inf": -np.inf}.get(ord_, ord_) if isinstance(ord_, str) else ord_
    np.testing.assert_allclose(nlinalg.norm(x, ord_).eval({x: xv}), np.linalg.norm(xv, np_ord),
                               rtol=1e-12)
    verify_grad(lambda m: nlinalg.norm(m, ord_), [xv], rng=rng)
    with pytest.raises(ValueError, match="invalid order 3 for matrices"):
        nlinalg.norm(x, 3)


@pytest.mark.parametrize("n", [0, 1, 2, 5, -3])
def test_matrix_power(n, rng):
    m = T.dmatrix("m")
    mv = rng.normal(size=(3, 3)) / 2 + np.eye(3)
    np.testing.assert_allclose(nlinalg.matrix_power(m, n).eval({m: mv}),
                               np.linalg.matrix_power(mv, n), rtol=1e-10)
    if n:
        verify_grad(lambda a: nlinalg.matrix_power(a, n), [mv], rng=rng)


def test_matrix_dot_and_diagonals(rng):
    a, b, c = T.dmatrices("a", "b", "c")
    av, bv, cv = (rng.normal(size=s) for s in [(2, 3), (3, 4), (4, 2)])
    np.testing.assert_allclose(nlinalg.matrix_dot(a, b, c).eval({a: av, b: bv, c: cv}),
                               av @ bv @ cv, rtol=1e-12)
    v = T.dvector("v")
    np.testing.assert_array_equal(nlinalg.alloc_diag(v).eval({v: [1.0, 2.0]}), np.diag([1, 2]))
    np.testing.assert_array_equal(nlinalg.extract_diag(a).eval({a: av}), np.diag(av))
    assert nlinalg.diag is T.diag
