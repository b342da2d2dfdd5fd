"""Linear algebra ops against NumPy in float64: dot (all ranks), tensordot, outer, batched_dot,
the nlinalg matrix functions; finite-difference gradients, dtypes and build-time errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.verify import verify_grad
from nbgraph.core.types import TensorType
from nbgraph.ops.linalg import BatchedDot, Dot, TensorDot


def _var(shape: tuple[int, ...], dtype: str = "float64", static: bool = False) -> T.TensorVariable:
    return TensorType(dtype, shape=shape if static else (None,) * len(shape))()


def _eval(out: T.TensorVariable, pairs: list[tuple]) -> np.ndarray:
    return function([v for v, _ in pairs], out)(*[a for _, a in pairs])


# -- dot ------------------------------------------------------------------------------------
@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((2, 3), (5, 3, 4)), ((2, 3, 4), (5, 4, 6)),
    ((2, 1, 3, 4), (3, 4, 2)),
])
def test_dot_matches_numpy(sa, sb, rng):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    va, vb = _var(sa), _var(sb)
    np.testing.assert_allclose(_eval(T.dot(va, vb), [(va, a), (vb, b)]), np.dot(a, b),
                               rtol=1e-12, atol=1e-12)


def test_dot_static_shape_and_ops():
    a, b = _var((2, 3, 4), static=True), _var((5, 4, 6), static=True)
    out = T.dot(a, b)
    assert out.type.shape == (2, 3, 5, 6)
    assert isinstance(out.owner.op, TensorDot)
    assert isinstance(T.dot(_var((2, 3)), _var((3, 4))).owner.op, Dot)
    assert T.dot(_var(()), _var((3,))).ndim == 1          # a scalar multiplies


def test_dot_operator_and_method(rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 2))
    va, vb = _var((2, 3)), _var((3, 2))
    np.testing.assert_allclose(_eval(va @ vb, [(va, a), (vb, b)]), a @ b, rtol=1e-12)
    np.testing.assert_allclose(_eval(va.dot(vb), [(va, a), (vb, b)]), a @ b, rtol=1e-12)


@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
])
def test_dot_grad(sa, sb, rng):
    verify_grad(T.dot, [rng.normal(size=sa), rng.normal(size=sb)], rng=rng)


def test_dot_misaligned_raises_at_build_time():
    a, b = _var((2, 3), static=True), _var((4, 5), static=True)
    with pytest.raises(ValueError, match=r"dot: .*float64\[2,3\].*float64\[4,5\]"):
        T.dot(a, b)
    with pytest.raises(ValueError, match=r"TensorDot.*float64\[2,3,4\].*float64\[3,5,6\]"):
        T.dot(_var((2, 3, 4), static=True), _var((3, 5, 6), static=True))


def test_dot_misaligned_raises_at_run_time(rng):
    a, b = _var((2, 3)), _var((2, 3))
    f = function([a, b], T.dot(a, b))
    with pytest.raises(ValueError, match="not aligned"):
        f(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))


# -- tensordot --------------------------------------------------------------------------------
@pytest.mark.parametrize("sa, sb, axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4,), 0),
    ((2, 3, 4), (4, 5, 3), [[1, 2], [2, 0]]), ((2, 3, 4), (5, 2), [[0], [1]]),
    ((2, 3, 4), (4, 3, 2), [[0, 1, 2], [2, 1, 0]]), ((3, 4), (4, 3), [[-1], [0]]),
])
def test_tensordot_matches_numpy_and_grad(sa, sb, axes, rng):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    va, vb = _var(sa), _var(sb)
    expected = np.tensordot(a, b, axes)
    got = _eval(T.tensordot(va, vb, axes), [(va, a), (vb, b)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    verify_grad(lambda x, y: T.tensordot(x, y, axes), [a, b], rng=rng)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=3),
       st.lists(st.integers(1, 3), min_size=0, max_size=2),
       st.lists(st.integers(1, 3), min_size=0, max_size=2), st.randoms(use_true_random=False))
def test_tensordot_random_shapes(summed, free_a, free_b, pyrandom):
    # a = free_a + summed (permuted), b = summed (permuted) + free_b
    rng = np.random.default_rng(pyrandom.randint(0, 2**31))
    na, nb = len(free_a) + len(summed), len(summed) + len(free_b)
    perm_a = rng.permutation(na).tolist()
    perm_b = rng.permutation(nb).tolist()
    a = np.transpose(rng.normal(size=free_a + summed), perm_a)
    b = np.transpose(rng.normal(size=summed + free_b), perm_b)
    axes = [[perm_a.index(len(free_a) + k) for k in range(len(summed))],
            [perm_b.index(k) for k in range(len(summed))]]
    va, vb = _var(a.shape), _var(b.shape)
    np.testing.assert_allclose(_eval(T.tensordot(va, vb, axes), [(va, a), (vb, b)]),
                               np.tensordot(a, b, axes), rtol=1e-12, atol=1e-12)


def test_tensordot_errors():
    a, b = _var((2, 3), static=True), _var((4, 3), static=True)
    with pytest.raises(ValueError, match="not aligned"):
        T.tensordot(a, b, [[1], [0]])
    with pytest.raises(ValueError, match="out of range"):
        T.tensordot(a, b, [[2], [0]])
    with pytest.raises(ValueError, match="differ in length"):
        T.tensordot(a, b, [[0, 1], [0]])
    with pytest.raises(ValueError, match="axes=3"):
        T.tensordot(a, b, 3)


# -- outer and batched_dot ------------------------------------------------------------------------
def test_outer(rng):
    u, v = rng.normal(size=3), rng.normal(size=(2, 2))
    vu, vv = _var((3,)), _var((2, 2))
    np.testing.assert_allclose(_eval(T.outer(vu, vv), [(vu, u), (vv, v)]), np.outer(u, v),
                               rtol=1e-12)
    verify_grad(T.outer, [u, rng.normal(size=4)], rng=rng)


@pytest.mark.parametrize("sa, sb", [
    ((4, 2, 3), (4, 3, 5)), ((4, 2, 3), (4, 3)), ((4, 3), (4, 3, 5)), ((4, 3), (4, 3)),
])
def test_batched_dot(sa, sb, rng):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    va, vb = _var(sa), _var(sb)
    expected = np.array([np.dot(x, y) for x, y in zip(a, b, strict=True)])
    np.testing.assert_allclose(_eval(T.batched_dot(va, vb), [(va, a), (vb, b)]), expected,
                               rtol=1e-12)
    verify_grad(T.batched_dot, [a, b], rng=rng)


def test_batched_dot_errors():
    with pytest.raises(ValueError, match=r"BatchedDot.*float64\[4,2,3\].*float64\[5,3,2\]"):
        T.batched_dot(_var((4, 2, 3), static=True), _var((5, 3, 2), static=True))
    with pytest.raises(TypeError, match="BatchedDot: expects 2-d or 3-d"):
        T.batched_dot(_var((3,)), _var((3,)))
    a, b = _var((4, 2, 3)), _var((4, 2, 3))
    with pytest.raises(ValueError, match="do not match"):
        function([a, b], BatchedDot()(a, b))(np.ones((4, 2, 3)), np.ones((4, 2, 3)))


# -- nlinalg ---------------------------------------------------------------------------------
def _well_conditioned(rng: np.random.Generator, n: int = 4) -> np.ndarray:
    return rng.normal(size=(n, n)) + n * np.eye(n)


def test_matrix_inverse_and_det(rng):
    m = _well_conditioned(rng)
    x = _var((4, 4))
    np.testing.assert_allclose(_eval(T.nlinalg.matrix_inverse(x), [(x, m)]), np.linalg.inv(m),
                               rtol=1e-12)
    np.testing.assert_allclose(_eval(T.nlinalg.det(x), [(x, m)]), np.linalg.det(m), rtol=1e-12)
    verify_grad(T.nlinalg.matrix_inverse, [m], rng=rng)
    verify_grad(T.nlinalg.det, [m], rng=rng)


def test_det_grad_formula(rng):
    # d det(A) / dA = det(A) A^-T
    m = _well_conditioned(rng)
    x = _var((4, 4))
    g = _eval(T.grad(T.nlinalg.det(x), x), [(x, m)])
    np.testing.assert_allclose(g, np.linalg.det(m) * np.linalg.inv(m).T, rtol=1e-10)


def test_trace_and_pinv(rng):
    m = rng.normal(size=(3, 5))
    x = _var((3, 5))
    np.testing.assert_allclose(_eval(T.nlinalg.trace(x), [(x, m)]), np.trace(m), rtol=1e-12)
    np.testing.assert_allclose(_eval(T.nlinalg.pinv(x), [(x, m)]), np.linalg.pinv(m),
                               rtol=1e-10, atol=1e-12)
    verify_grad(T.nlinalg.trace, [m], rng=rng)
    verify_grad(T.nlinalg.pinv, [m], rng=rng)   # differentiable, as Theano 1.0's MatrixPinv


def test_nlinalg_errors():
    with pytest.raises(ValueError, match=r"Det: expects a square matrix, got float64\[2,3\]"):
        T.nlinalg.det(_var((2, 3), static=True))
    with pytest.raises(TypeError, match="MatrixInverse: expects a matrix"):
        T.nlinalg.matrix_inverse(_var((3,)))


# -- dtypes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, shapes", [
    (T.dot, [(2, 3), (3, 4)]),
    (T.dot, [(2, 3, 4), (4, 2)]),
    (lambda a, b: T.tensordot(a, b, [[0], [0]]), [(3, 2), (3, 4)]),
    (T.batched_dot, [(2, 3, 4), (2, 4, 2)]),
    (T.nlinalg.matrix_inverse, [(3, 3)]),
    (T.nlinalg.det, [(3, 3)]),
])
def test_float32_stays_float32(build, shapes, rng):
    symbols = [_var(s, "float32") for s in shapes]
    values = [(rng.normal(size=s) + 3 * np.eye(*s[-2:]) if len(s) == 2 and s[0] == s[1]
               else rng.normal(size=s)).astype("float32") for s in shapes]
    out = build(*symbols)
    assert out.dtype == "float32"
    assert function(symbols, out)(*values).dtype == np.float32


def test_int_inputs_upcast(rng):
    a, b = _var((2, 3), "int32"), _var((3,), "float32")
    assert T.dot(a, b).dtype == "float64"          # NumPy's promotion of int32 with float32
    assert T.nlinalg.det(_var((2, 2), "int64")).dtype == "float64"
    m = np.array([[2, 1], [1, 3]], dtype="int64")
    x = _var((2, 2), "int64")
    np.testing.assert_allclose(_eval(T.nlinalg.det(x), [(x, m)]), 5.0)
