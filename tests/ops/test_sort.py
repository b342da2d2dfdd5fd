"""sort, argsort and searchsorted against NumPy; sort's gradient (through PermuteAlongAxis,
itself differentiable) by finite differences; errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.core.types import TensorType
from nbgraph.ops.sort import ArgSortOp, PermuteAlongAxis, SortOp


def _var(ndim: int, dtype: str = "float64") -> T.TensorVariable:
    return TensorType(dtype, shape=(None,) * ndim)()


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_sort_and_argsort_match_numpy(axis, rng):
    x = rng.normal(size=(4, 5, 3))
    v = _var(3)
    got, idx = th.function([v], [T.sort(v, axis), T.argsort(v, axis)])(x)
    np.testing.assert_array_equal(got, np.sort(x, axis))
    np.testing.assert_array_equal(idx, np.argsort(x, axis))
    assert idx.dtype == np.int64


@settings(max_examples=20, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_sort_any_shape_axis_and_dtype(shape, data):
    axis = data.draw(st.sampled_from([None, *range(-len(shape), len(shape))]))
    dtype = data.draw(st.sampled_from(["float64", "float32", "int32"]))
    x = (np.random.default_rng(len(shape)).normal(size=shape) * 5).astype(dtype)
    v = _var(len(shape), dtype)
    got = th.function([v], T.sort(v, axis, kind="stable"))(x)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, np.sort(x, axis))


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_sort_gradient(axis, rng):
    verify_grad(lambda a: T.sort(a, axis), [rng.normal(size=(4, 3))], rng=rng)


def test_sort_second_derivative(rng):
    # the gradient of sort is a PermuteAlongAxis, differentiable again
    x = _var(2)
    g = T.grad((T.sort(x, 0) * np.arange(12.0).reshape(4, 3)).sum(), x)
    assert isinstance(g.owner.op, PermuteAlongAxis)
    verify_grad(lambda a: T.grad((T.sort(a, 0) ** 2).sum(), a), [rng.normal(size=(4, 3))],
                rng=rng)


def test_permute_along_axis_checks_shapes(rng):
    x, p = _var(2), _var(2, "int64")
    f = th.function([x, p], PermuteAlongAxis(1)(x, p))
    with pytest.raises(ValueError, match=r"PermuteAlongAxis.* at node \d+: x has shape "
                                         r"\(2, 3\) but the permutation has shape \(2, 2\)"):
        f(rng.normal(size=(2, 3)), np.zeros((2, 2), "int64"))
    with pytest.raises(TypeError, match="must be an int tensor of 2 dimensions"):
        PermuteAlongAxis(0)(x, _var(2))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(side, rng):
    x = np.array([1.0, 2.0, 2.0, 3.0, 5.0])
    v = np.array([[0.0, 2.0, 4.0], [5.0, 6.0, 2.5]])
    xs, vs = _var(1), _var(2)
    out = T.searchsorted(xs, vs, side=side)
    assert out.dtype == "int64" and out.ndim == 2
    np.testing.assert_array_equal(th.function([xs, vs], out)(x, v),
                                  np.searchsorted(x, v, side=side))


def test_searchsorted_with_sorter(rng):
    x = rng.normal(size=7)
    v = rng.normal(size=4)
    xs, vs = _var(1), _var(1)
    out = T.searchsorted(xs, vs, sorter=T.argsort(xs))
    np.testing.assert_array_equal(th.function([xs, vs], out)(x, v),
                                  np.searchsorted(x, v, sorter=np.argsort(x)))


def test_errors():
    with pytest.raises(TypeError, match=r"cannot sort a scalar \(float64\[\]\)"):
        T.sort(T.dscalar())
    with pytest.raises(ValueError, match=r"SortOp\{axis=2, quicksort\}: axis 2 is out of "
                                         r"range for float64\[\?,\?\]"):
        T.sort(_var(2), 2)
    with pytest.raises(ValueError, match="kind must be one of"):
        ArgSortOp(0, "bogo")
    with pytest.raises(TypeError, match=r"x must be a vector, got float64\[\?,\?\]"):
        T.searchsorted(_var(2), _var(1))
    with pytest.raises(ValueError, match="side must be 'left' or 'right'"):
        T.searchsorted(_var(1), _var(1), side="middle")
    assert T.grad(T.sort(x := _var(1)).sum(), x).owner.op == PermuteAlongAxis(-1)
    assert SortOp(0) == SortOp(0) and SortOp(0) != SortOp(1)


def test_variable_methods_match_numpy():
    x = T.dmatrix("x")
    value = np.array([[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]])
    f = th.function([x], [x.sort(), x.argsort(axis=0), x.cumsum(axis=1), x.cumprod()])
    got = f(value)
    want = [np.sort(value), np.argsort(value, axis=0), np.cumsum(value, axis=1),
            np.cumprod(value)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-15)
