"""Hypothesis: tril/triu, diagonal, take and topk on random shapes, offsets and axes, each
against NumPy in float64 (one compiled function per op, fed every drawn case)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph as th
import nbgraph.tensor as T

M = T.dmatrix("m")
K = T.lscalar("k")
TRI = th.function([M], [T.tril(M, 1), T.triu(M, -1)])
DIAG = {k: th.function([M], T.diagonal(M, k)) for k in range(-3, 4)}
INDICES = T.lvector("indices")
TAKE = {axis: th.function([M, INDICES], T.take(M, INDICES, axis=axis, mode="wrap"))
        for axis in (None, 0, 1)}
TOPK = {axis: th.function([M, K], T.topk(M, K, axis=axis)) for axis in (0, 1)}

shapes = st.tuples(st.integers(1, 6), st.integers(1, 6))


def _matrix(shape: tuple[int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape)


@settings(max_examples=30, deadline=None)
@given(shapes, st.integers(0, 2**16), st.integers(-3, 3))
def test_triangles_and_diagonals(shape, seed, k):
    m = _matrix(shape, seed)
    lower, upper = TRI(m)
    np.testing.assert_array_equal(lower, np.tril(m, 1))
    np.testing.assert_array_equal(upper, np.triu(m, -1))
    np.testing.assert_array_equal(DIAG[k](m), np.diagonal(m, k))


@settings(max_examples=30, deadline=None)
@given(shapes, st.integers(0, 2**16), st.sampled_from([None, 0, 1]),
       st.lists(st.integers(-20, 20), min_size=0, max_size=7))
def test_take_wraps_like_numpy(shape, seed, axis, indices):
    m = _matrix(shape, seed)
    idx = np.asarray(indices, dtype="int64")
    np.testing.assert_array_equal(TAKE[axis](m, idx), np.take(m, idx, axis=axis, mode="wrap"))


@settings(max_examples=30, deadline=None)
@given(shapes, st.integers(0, 2**16), st.sampled_from([0, 1]), st.data())
def test_topk_is_the_sorted_head(shape, seed, axis, data):
    m = _matrix(shape, seed)
    n = shape[axis]
    k = data.draw(st.integers(1, n)) * data.draw(st.sampled_from([1, -1]))
    order = np.sort(m, axis=axis)
    want = np.flip(order, axis) if k > 0 else order
    np.testing.assert_array_equal(TOPK[axis](m, k), np.take(want, np.arange(abs(k)), axis=axis))
