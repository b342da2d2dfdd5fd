"""The C linker's Gemv thunk (``beta == 0``: NumPy's gemv into a reused buffer, ``y`` unread)
and the build-time checks Gemm and Gemv share."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.ops import blas
from nbgraph.ops.alloc import zeros

C = Mode("c", "fast_run")
PY = Mode("py", "fast_run")


def _refuse(monkeypatch):
    def perform(*args):
        raise AssertionError("Gemv.perform ran")
    monkeypatch.setattr(blas.Gemv, "perform", perform)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matrix_vector_products_run_without_perform(dtype, rng, monkeypatch):
    A, x = T.matrix("A", dtype=dtype), T.vector("x", dtype=dtype)
    scaled = blas.gemv_no_inplace(zeros((A.shape[0],), dtype=dtype), np.asarray(2.5, dtype),
                                  A, x, np.asarray(0, dtype))
    outs = [T.dot(A, x), T.dot(A.T, x[:3]), scaled]
    a = rng.standard_normal((3, 4)).astype(dtype)
    v = rng.standard_normal(4).astype(dtype)
    py = nbgraph.function([A, x], outs, mode=PY)(a, v)
    _refuse(monkeypatch)  # before compiling: perform's thunk holds the method it found then
    f = nbgraph.function([A, x], outs, mode=C)
    assert sum(isinstance(n.op, blas.Gemv) for n in f.maker.fgraph.toposort()) == 3
    first = f(a, v)
    kept = [r.copy() for r in first]
    second = f(2 * a, v)   # a new call may reuse buffers, never the results handed out
    tol = 1e-6 if dtype == "float32" else 1e-14
    for got, want, p in zip(first, [a @ v, a.T @ v[:3], 2.5 * (a @ v)], py, strict=True):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol)
        np.testing.assert_allclose(p, want, rtol=tol)
    for got, was in zip(first, kept, strict=True):
        np.testing.assert_array_equal(got, was)
    np.testing.assert_allclose(second[0], 2 * (a @ v), rtol=tol)


def test_nonzero_beta_and_bad_shapes_take_perform(rng):
    A, y, x = T.dmatrix("A"), T.dvector("y"), T.dvector("x")
    f = nbgraph.function([A, y, x], blas.gemv_no_inplace(y, 2.0, A, x, 0.5), mode=C)
    a, b, v = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal(4)
    np.testing.assert_allclose(f(a, b, v), 0.5 * b + 2.0 * (a @ v), rtol=1e-14)
    g = nbgraph.function([A, x], T.dot(A, x), mode=C)
    with pytest.raises(ValueError, match="gemv at node .*A \\(3, 4\\), x \\(5,\\)"):
        g(a, np.ones(5))


def test_gemm_and_gemv_check_their_inputs_alike():
    m, v = T.dmatrix("m"), T.dvector("v")
    with pytest.raises(TypeError, match="gemm: z, x, y must be matrices, got"):
        blas.gemm_no_inplace(v, 1.0, m, m, 1.0)
    with pytest.raises(TypeError, match="gemv: y, A, x must be a vector, a matrix and a vector"):
        blas.gemv_no_inplace(m, 1.0, m, v, 0.0)
    with pytest.raises(TypeError, match="gemv: alpha and beta must be scalars"):
        blas.gemv_no_inplace(v, v, m, v, 0.0)
    with pytest.raises(TypeError, match=r"gemm: z \(float32.*cannot hold dot"):
        blas.gemm_no_inplace(T.fmatrix("z"), 1.0, m, m, 1.0)
    with pytest.raises(ValueError, match="gemv: dot shapes .* are not aligned"):
        blas.gemv_no_inplace(v, 1.0, T.TensorType("float64", shape=(2, 3))("a"),
                             T.TensorType("float64", shape=(4,))("b"), 0.0)


def test_matrix_vector_dot_allocates_nothing_per_call(rng):
    """specialize's gemv has no Alloc node and the C thunk hands back the same buffer each
    call once the caller dropped the last result (no per-call zeros for y)."""
    A, x = T.dmatrix("A"), T.dvector("x")
    f = nbgraph.function([A, x], T.dot(A, x), mode=C)
    ops = [type(n.op).__name__ for n in f.maker.fgraph.toposort()]
    assert ops == ["Gemv"], ops
    a, v = rng.standard_normal((5, 4)), rng.standard_normal(4)
    first = f(a, v)
    np.testing.assert_allclose(first, a @ v, rtol=1e-14)
    address = first.ctypes.data
    del first
    for k in range(3):
        out = f(a * k, v)
        np.testing.assert_allclose(out, k * (a @ v), rtol=1e-14, atol=1e-15)
        assert out.ctypes.data == address
        del out


@pytest.mark.parametrize("mode", [C, PY], ids=["c", "py"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("alpha", "beta"), [(1, 0), (2.5, 0), (-1, 1), (0.5, -2), (0, 3)])
def test_gemv_values_for_every_alpha_beta(mode, dtype, alpha, beta, rng):
    """beta * y + alpha * A @ x for a full y and for a y of shape (1,) that broadcasts; with
    beta 0, a NaN in y never leaks."""
    A, x = T.matrix("A", dtype=dtype), T.vector("x", dtype=dtype)
    y = T.vector("y", dtype=dtype)
    y1 = T.TensorType(dtype, shape=(1,))("y1")
    al, be = np.asarray(alpha, dtype), np.asarray(beta, dtype)
    outs = [blas.gemv_no_inplace(y, al, A, x, be), blas.gemv_no_inplace(y1, al, A, x, be)]
    f = nbgraph.function([y, y1, A, x], outs, mode=mode)
    a = rng.standard_normal((4, 3)).astype(dtype)
    v = rng.standard_normal(3).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    b1 = np.asarray([np.nan if beta == 0 else 0.75], dtype)
    if beta == 0:
        b = np.full(4, np.nan, dtype)
    full, broadcast = f(b, b1, a, v)
    tol = 1e-5 if dtype == "float32" else 1e-13
    product = alpha * (a.astype("float64") @ v)
    want = product if beta == 0 else beta * b + product
    want1 = product if beta == 0 else beta * 0.75 + product
    assert full.dtype == broadcast.dtype == dtype and full.shape == broadcast.shape == (4,)
    np.testing.assert_allclose(full, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(broadcast, want1, rtol=tol, atol=tol)


@pytest.mark.parametrize("linker", ["py", "c"])
def test_gemv_and_gemm_shapes_come_from_the_product_not_the_placeholder_buffer(linker):
    # dot(A, x) becomes a Gemv whose y is a (1,) placeholder (beta 0: never read), and a
    # Gemm's z may be (1, 1): the output's shape, static and inferred, is dot's
    A, B, x = T.dmatrix("A"), T.dmatrix("B"), T.dvector("x")
    gv = blas.gemv_no_inplace(np.zeros(1), 1.0, A, x, 0.0)
    gm = blas.gemm_no_inplace(np.zeros((1, 1)), 1.0, A, B, 0.0)
    assert gm.type.shape == (None, None)
    f = nbgraph.function([A, x, B], [gv.shape, gm.shape, gv, gm],
                         mode=PY if linker == "py" else C)
    a, v, b = np.arange(20.0).reshape(5, 4), np.ones(4), np.ones((4, 3))
    gv_shape, gm_shape, gv_value, gm_value = f(a, v, b)
    assert tuple(gv_shape) == (5,) and tuple(gm_shape) == (5, 3)
    np.testing.assert_allclose(gv_value, a @ v)
    np.testing.assert_allclose(gm_value, a @ b)
