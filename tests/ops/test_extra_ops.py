"""extra_ops against NumPy in float64: cumsum/cumprod, diff, bincount, fill_diagonal(_offset),
to_one_hot, unravel_index/ravel_multi_index; gradients by finite differences; errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.core.types import TensorType
from nbgraph.ops.extra_ops import CumOp, FillDiagonal
from nbgraph.tensor import extra_ops


def _var(ndim: int, dtype: str = "float64") -> T.TensorVariable:
    return TensorType(dtype, shape=(None,) * ndim)()


def _run(build, *values: np.ndarray):
    symbols = [_var(np.ndim(v), str(np.asarray(v).dtype)) for v in values]
    return th.function(symbols, build(*symbols))(*values)


# -- cumsum / cumprod -----------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_matches_numpy(name, axis, rng):
    x = rng.uniform(0.5, 1.5, (3, 4, 2))
    got = _run(lambda a: getattr(extra_ops, name)(a, axis), x)
    np.testing.assert_allclose(got, getattr(np, name)(x, axis), rtol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 2, -2])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_cumulative_gradients(name, axis, rng):
    x = rng.uniform(0.5, 1.5, (3, 4, 2)) * rng.choice([-1, 1], (3, 4, 2))
    verify_grad(lambda a: getattr(extra_ops, name)(a, axis), [x], rng=rng)


def test_cumsum_small_ints_accumulate_in_64_bits():
    x = T.bvector("x")
    out = T.cumsum(x)
    assert out.dtype == "int64"
    np.testing.assert_array_equal(out.eval({x: np.full(300, 100, "int8")}),
                                  np.cumsum(np.full(300, 100, "int64")))


def test_cumsum_static_shapes_and_errors():
    assert CumOp(None)(TensorType("float64", shape=(3, 4))()).type.shape == (12,)
    assert CumOp(1)(TensorType("float64", shape=(3, 4))()).type.shape == (3, 4)
    with pytest.raises(ValueError, match=r"CumOp\{2, add\}: axis 2 is out of range for "
                                         r"float64\[\?,\?\]"):
        T.cumsum(_var(2), axis=2)
    with pytest.raises(ValueError, match="mode must be 'add' or 'mul'"):
        CumOp(0, "max")


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_cumsum_any_shape_and_axis(shape, data):
    axis = data.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    x = np.random.default_rng(len(shape)).normal(size=shape)
    np.testing.assert_allclose(_run(lambda a: T.cumsum(a, axis), x), np.cumsum(x, axis),
                               rtol=1e-12, atol=1e-14)


# -- diff -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 3])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_diff_matches_numpy(n, axis, rng):
    x = rng.normal(size=(5, 6))
    np.testing.assert_allclose(_run(lambda a: T.diff(a, n, axis), x), np.diff(x, n, axis),
                               rtol=1e-12)


def test_diff_gradient(rng):
    verify_grad(lambda a: T.diff(a, 2, 0), [rng.normal(size=(5, 3))], rng=rng)


def test_diff_errors():
    with pytest.raises(ValueError, match="diff: axis 2 is out of range"):
        T.diff(_var(2), axis=2)
    with pytest.raises(ValueError, match="non-negative int"):
        T.diff(_var(1), n=-1)


# -- bincount -------------------------------------------------------------------------------------
@pytest.mark.parametrize("minlength", [None, 3, 12])
@pytest.mark.parametrize("weighted", [False, True])
def test_bincount_matches_numpy(minlength, weighted, rng):
    x = rng.integers(0, 8, 20)
    w = rng.normal(size=20) if weighted else None
    xs, ws = T.lvector("x"), T.dvector("w")
    out = T.bincount(xs, ws if weighted else None, minlength=minlength)
    inputs, values = ([xs, ws], [x, w]) if weighted else ([xs], [x])
    got = th.function(inputs, out)(*values)
    want = np.bincount(x, w, minlength or 0)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_bincount_empty_and_negative():
    x = T.lvector("x")
    f = th.function([x], T.bincount(x, minlength=2))
    np.testing.assert_array_equal(f(np.zeros(0, "int64")), [0, 0])
    with pytest.raises(ValueError, match=r"BinCount.* at node \d+: x has negative values"):
        f(np.array([1, -1]))


def test_bincount_gradient_in_weights(rng):
    x = np.array([0, 2, 2, 5, 1, 0])
    verify_grad(lambda w: T.bincount(T.constant(x), w, minlength=7), [rng.normal(size=6)],
                rng=rng)


def test_bincount_type_errors():
    with pytest.raises(TypeError, match="x must be an int vector, got float64"):
        T.bincount(T.dvector())
    with pytest.raises(ValueError, match="differ in length"):
        T.bincount(TensorType("int64", shape=(3,))(), TensorType("float64", shape=(4,))())


# -- fill_diagonal --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (3, 3, 3)])
def test_fill_diagonal_matches_numpy(shape, rng):
    a = rng.normal(size=shape)
    want = a.copy()
    np.fill_diagonal(want, 7.5)
    got = _run(lambda x, v: T.fill_diagonal(x, v), a, np.array(7.5))
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("offset", [-4, -1, 0, 2, 5])
def test_fill_diagonal_offset_matches_loop(offset, rng):
    a = rng.normal(size=(4, 6))
    want = a.copy()
    for i in range(4):
        if 0 <= i + offset < 6:
            want[i, i + offset] = -2.0
    got = _run(lambda x: T.fill_diagonal_offset(x, -2.0, offset), a)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape, offset", [((4, 4), 0), ((5, 3), 0), ((3, 3, 3), 0),
                                           ((3, 5), 2), ((4, 3), -1)])
def test_fill_diagonal_gradients(shape, offset, rng):
    verify_grad(lambda a, v: FillDiagonal(offset)(a, v), [rng.normal(size=shape),
                                                          np.array(0.3)], rng=rng)


def test_fill_diagonal_errors(rng):
    with pytest.raises(TypeError, match="at least 2 dimensions"):
        T.fill_diagonal(T.dvector(), 1.0)
    with pytest.raises(TypeError, match="val must be a scalar, got float64"):
        T.fill_diagonal(T.dmatrix(), T.dvector())
    with pytest.raises(TypeError, match="does not fit a .*int64.*without upcasting"):
        T.fill_diagonal(T.lmatrix(), 1.5)
    with pytest.raises(TypeError, match="does not fit"):
        T.fill_diagonal(T.fmatrix(), T.dscalar())
    with pytest.raises(TypeError, match="a must have a matrix"):
        T.fill_diagonal_offset(T.dtensor3(), 1.0, 1)
    f = th.function([x := T.dtensor3()], T.fill_diagonal(x, 0.0))
    with pytest.raises(ValueError, match=r"all dimensions must be equal .* \(2, 3, 3\)"):
        f(rng.normal(size=(2, 3, 3)))
    assert T.fill_diagonal(T.lmatrix(), 2).dtype == "int64"
    a = T.fmatrix("a")   # a Python float takes float32, as Theano's floatX constants did
    np.testing.assert_array_equal(T.fill_diagonal(a, 0.1).eval({a: np.zeros((2, 2), "f")}),
                                  np.eye(2, dtype="float32") * np.float32(0.1))


# -- to_one_hot -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [None, "int32", "float32"])
def test_to_one_hot(dtype):
    y = T.lvector("y")
    out = T.to_one_hot(y, 4, dtype=dtype)
    assert out.dtype == (dtype or th.config.floatX)
    labels = np.array([3, 0, 0, 2])
    np.testing.assert_array_equal(out.eval({y: labels}), np.eye(4)[labels])


def test_to_one_hot_symbolic_class_count():
    y, n = T.lvector("y"), T.lscalar("n")
    got = th.function([y, n], T.to_one_hot(y, n))(np.array([1, 2]), 3)
    np.testing.assert_array_equal(got, [[0, 1, 0], [0, 0, 1]])
    with pytest.raises(TypeError, match="y must be an int vector"):
        T.to_one_hot(T.dvector(), 3)


# -- flat and multi-dimensional indices -----------------------------------------------------------
@pytest.mark.parametrize("order", ["C", "F"])
def test_unravel_and_ravel_round_trip(order, rng):
    dims = (3, 4, 5)
    flat = rng.integers(0, 60, (2, 6))
    i = T.lmatrix("i")
    coords = T.unravel_index(i, dims, order=order)
    assert isinstance(coords, tuple) and len(coords) == 3
    got = th.function([i], list(coords))(flat)
    for g, w in zip(got, np.unravel_index(flat, dims, order=order), strict=True):
        np.testing.assert_array_equal(g, w)
    back = T.ravel_multi_index(coords, dims, order=order)
    np.testing.assert_array_equal(back.eval({i: flat}), flat)


@pytest.mark.parametrize("mode", ["wrap", "clip"])
def test_ravel_multi_index_modes_and_broadcasting(mode):
    r, c = T.lvector("r"), T.lmatrix("c")
    rv, cv = np.array([0, 5, -1]), np.array([[1, 9, 2], [0, 0, 0]])
    out = T.ravel_multi_index((r, c), (3, 4), mode=mode)
    assert out.type.shape == (None, None)
    np.testing.assert_array_equal(th.function([r, c], out)(rv, cv),
                                  np.ravel_multi_index((rv, cv), (3, 4), mode=mode))


def test_index_conversion_with_symbolic_dims():
    i, n = T.lvector("i"), T.lscalar("n")
    rows, cols = T.unravel_index(i, (n, 4))
    got = th.function([i, n], [rows, cols])(np.array([5, 7]), 2)
    np.testing.assert_array_equal(got, [[1, 1], [1, 3]])


def test_index_conversion_errors():
    i = T.lvector("i")
    with pytest.raises(TypeError, match="dims must be an int vector of known length"):
        T.unravel_index(i, T.lvector())
    with pytest.raises(TypeError, match="indices must be integers, got float64"):
        T.unravel_index(T.dvector(), (2, 3))
    with pytest.raises(ValueError, match="2 coordinate arrays for 3 dimensions"):
        T.ravel_multi_index((i, i), (2, 3, 4))
    with pytest.raises(ValueError, match="cannot broadcast"):
        T.ravel_multi_index((TensorType("int64", shape=(2,))(),
                             TensorType("int64", shape=(3,))()), (4, 4))
    f = th.function([i], T.ravel_multi_index((i, i), (2, 2)))
    with pytest.raises(ValueError, match=r"RavelMultiIndex.* at node \d+: .*dims \(2, 2\)"):
        f(np.array([0, 5]))
