"""Indexing against NumPy: basic slicing, integer arrays, boolean masks, set/inc_subtensor,
nonzero; finite-difference gradients of every indexing op; build- and run-time errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad
from nbgraph.ops.subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    IncSubtensor,
    Subtensor,
)

MODE = Mode("py", None)  # no rewrites: the ops themselves are under test


def run(inputs, outputs, *values):
    return function(inputs, outputs, mode=MODE, on_unused_input="ignore")(*values)


BASIC = [
    (lambda x: x[1], "Subtensor{int64}"),
    (lambda x: x[-1], "Subtensor{int64}"),
    (lambda x: x[1:3], "Subtensor{int64:int64:}"),
    (lambda x: x[::-1], "Subtensor{::int64}"),
    (lambda x: x[:, 2], "Subtensor{::, int64}"),
    (lambda x: x[1, :, -2], "Subtensor{int64, ::, int64}"),
    (lambda x: x[..., 1], "Subtensor{::, ::, int64}"),
    (lambda x: x[1, ...], "Subtensor{int64, ::, ::}"),
    (lambda x: x[-3:, 1:-1:2, ::-2], "Subtensor{int64::, int64:int64:int64, ::int64}"),
    (lambda x: x[10:], "Subtensor{int64::}"),
    (lambda x: x[2, 3, 4], "Subtensor{int64, int64, int64}"),
    (lambda x: x[None], "InplaceDimShuffle{x,0,1,2}"),
    (lambda x: x[:, None, 1], "InplaceDimShuffle{0,x,1}"),
    (lambda x: x[1, None, ..., None], "InplaceDimShuffle{x,0,1,x}"),
    (lambda x: x[...], "Subtensor{::, ::, ::}"),
]


@pytest.mark.parametrize("index, label", BASIC)
def test_basic_index_matches_numpy(index, label, rng):
    x = T.dtensor3("x")
    xv = rng.normal(size=(4, 5, 6))
    out = index(x)
    assert str(out.owner.op) == label
    np.testing.assert_array_equal(run([x], out, xv), index(xv))


def test_subtensor_is_a_view_and_prints_like_theano():
    x = T.dmatrix("x")
    out = x[1:, 0]
    assert isinstance(out.owner.op, Subtensor) and out.owner.op.view_map == {0: [0]}
    assert str(out.owner.op) == "Subtensor{int64::, int64}"
    assert out.owner.inputs[1].data == 1 and out.owner.inputs[1].dtype == "int64"


def test_symbolic_slice_bounds_and_negative_step(rng):
    x = T.dvector("x")
    a, b, c = T.lscalars("a", "b", "c")
    out = x[a:b:c]
    assert str(out.owner.op) == "Subtensor{int64:int64:int64}"
    f = function([x, a, b, c], out, mode=MODE)
    xv = rng.normal(size=9)
    for start, stop, step in [(1, 7, 2), (7, 1, -2), (-1, -9, -3), (0, 100, 1), (5, 2, 1)]:
        np.testing.assert_array_equal(f(xv, start, stop, step), xv[start:stop:step])


def test_int32_index_keeps_its_dtype_in_the_label(rng):
    x = T.dvector("x")
    i = T.iscalar("i")
    out = x[i:]
    assert str(out.owner.op) == "Subtensor{int32::}"
    xv = rng.normal(size=5)
    np.testing.assert_array_equal(run([x, i], out, xv, 2), xv[2:])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_basic_slices_match_numpy(data):
    ndim = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    index = []
    for size in shape:
        if data.draw(st.booleans()):
            index.append(data.draw(st.integers(-size, size - 1)))
        else:
            bound = st.none() | st.integers(-size - 2, size + 2)
            step = data.draw(st.none() | st.integers(-3, 3).filter(lambda s: s != 0))
            index.append(slice(data.draw(bound), data.draw(bound), step))
    index = tuple(index[: data.draw(st.integers(1, ndim))])
    x = T.tensor("float64", shape=(None,) * ndim, name="x")
    xv = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    out = x[index]
    np.testing.assert_array_equal(run([x], out, xv), xv[index])
    # with a known input shape, constant bounds give the exact static shape
    fixed = T.tensor("float64", shape=shape, name="y")
    assert fixed[index].type.shape == xv[index].shape


def test_static_shape_through_slices():
    x = T.tensor("float64", shape=(5, None, 3), name="x")
    assert x[1:4].type.shape == (3, None, 3)
    assert x[::-2, 0].type.shape == (3, 3)
    assert x[:, 1:, 2].type.shape == (5, None)
    n = T.lscalar("n")
    assert x[:n].type.shape == (None, None, 3)


def test_shape_index_builds_shape_i():
    x = T.dmatrix("x")
    s = x.shape[1]
    assert str(s.owner.op) == "Shape_i{1}"
    assert str(x.shape[-2].owner.op) == "Shape_i{0}"
    assert T.tensor("float64", shape=(None, 7)).shape[1].data == 7
    assert run([x], s, np.zeros((2, 3))) == 3
    with pytest.raises(IndexError, match="out of bounds"):
        x.shape[2]


# -- integer arrays and boolean masks ---------------------------------------------------------
ADVANCED = [
    (lambda x, i: x[[0, 2, 2, -1]], AdvancedSubtensor1),
    (lambda x, i: x[i], AdvancedSubtensor1),
    (lambda x, i: x[np.array([[0, 1], [2, 3]])], AdvancedSubtensor),
    (lambda x, i: x[:, [1, 0]], AdvancedSubtensor),
    (lambda x, i: x[[0, 1], [2, 3]], AdvancedSubtensor),
    (lambda x, i: x[[0, 1], :, [2, 3]], AdvancedSubtensor),
    (lambda x, i: x[1, :, [2, 3]], AdvancedSubtensor),
    (lambda x, i: x[1:3, [0, 4], [1, 2]], AdvancedSubtensor),
    (lambda x, i: x[i, 1], AdvancedSubtensor),
    (lambda x, i: x[[]], AdvancedSubtensor1),
]


@pytest.mark.parametrize("index, op_class", ADVANCED)
def test_integer_array_index_matches_numpy(index, op_class, rng):
    x = T.dtensor3("x")
    i = T.lvector("i")
    xv = rng.normal(size=(4, 5, 6))
    iv = np.array([3, 0, 0, 1])
    out = index(x, i)
    assert type(out.owner.op) is op_class
    np.testing.assert_array_equal(run([x, i], out, xv, iv), index(xv, iv))
    assert out.ndim == index(xv, iv).ndim


def test_boolean_mask_goes_through_nonzero(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 4))
    out = x[x > 0]
    assert "Nonzero" in {str(n.op) for n in _nodes(out)}
    np.testing.assert_array_equal(run([x], out, xv), xv[xv > 0])
    rows = x[T.gt(x[:, 0], 0)]
    assert type(rows.owner.op) is AdvancedSubtensor1
    np.testing.assert_array_equal(run([x], rows, xv), xv[xv[:, 0] > 0])
    const = x[:, np.array([True, False, True, True])]
    np.testing.assert_array_equal(run([x], const, xv), xv[:, [True, False, True, True]])


def _nodes(out):
    from nbgraph.core.graph import toposort
    return toposort([out])


def test_nonzero_and_friends(rng):
    x = T.dmatrix("x")
    xv = rng.integers(-1, 2, size=(3, 4)).astype("float64")
    rows, cols = T.nonzero(x)
    got = run([x], [rows, cols, T.nonzero(x, return_matrix=True), T.flatnonzero(x),
                    T.nonzero_values(x)], xv)
    want = np.nonzero(xv)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[2], np.array(want))
    np.testing.assert_array_equal(got[3], np.flatnonzero(xv))
    np.testing.assert_array_equal(got[4], xv[xv != 0])
    np.testing.assert_array_equal(run([x], T.nonzero(x)[0], np.zeros((2, 2))), [])
    with pytest.raises(ValueError, match="Nonzero"):
        T.nonzero(T.dscalar())


# -- set_subtensor / inc_subtensor --------------------------------------------------------------
def test_set_and_inc_basic(rng):
    x = T.dmatrix("x")
    y = T.dvector("y")
    xv, yv = rng.normal(size=(3, 4)), rng.normal(size=4)
    s, i = T.set_subtensor(x[1], y), T.inc_subtensor(x[1:, ::-2], 2.0)
    assert str(s.owner.op) == "IncSubtensor{Set;int64}"
    assert str(i.owner.op) == "IncSubtensor{Inc;int64::, ::int64}"
    got_s, got_i = run([x, y], [s, i], xv, yv)
    want_s, want_i = xv.copy(), xv.copy()
    want_s[1] = yv
    want_i[1:, ::-2] += 2.0
    np.testing.assert_array_equal(got_s, want_s)
    np.testing.assert_array_equal(got_i, want_i)


def test_set_through_newaxis_and_transpose(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 4))
    out = T.set_subtensor(x[None, 1], np.ones((1, 4)))
    want = xv.copy()
    want[1] = 1.0
    np.testing.assert_array_equal(run([x], out, xv), want)
    m = T.dmatrix("m")
    moved = T.inc_subtensor(x[:2].T, m)
    assert str(moved.owner.op) == "IncSubtensor{Inc;:int64:}"
    mv = rng.normal(size=(4, 2))
    want = xv.copy()
    want[:2] += mv.T
    np.testing.assert_array_equal(run([x, m], moved, xv, mv), want)


def test_inc_repeated_indices_accumulate_like_add_at(rng):
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    idx = [0, 2, 0, 0]
    xv, yv = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    out = T.inc_subtensor(x[idx], y)
    assert type(out.owner.op) is AdvancedIncSubtensor1
    assert str(out.owner.op) == "AdvancedIncSubtensor1{no_inplace,inc}"
    want = xv.copy()
    np.add.at(want, idx, yv)
    np.testing.assert_allclose(run([x, y], out, xv, yv), want, rtol=1e-15)
    pairs = T.inc_subtensor(x[[0, 0, 1], [1, 1, 0]], 1.0)
    assert type(pairs.owner.op) is AdvancedIncSubtensor
    want = xv.copy()
    np.add.at(want, ([0, 0, 1], [1, 1, 0]), 1.0)
    np.testing.assert_allclose(run([x], pairs, xv), want, rtol=1e-15)


def test_set_advanced_and_mask(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 4))
    got = run([x], [T.set_subtensor(x[[2, 0]], 0.0), T.set_subtensor(x[x < 0], 0.0),
                    T.set_subtensor(x[:, [1, 3]], np.arange(6.).reshape(3, 2))], xv)
    want = [xv.copy(), xv.copy(), xv.copy()]
    want[0][[2, 0]] = 0.0
    want[1][xv < 0] = 0.0
    want[2][:, [1, 3]] = np.arange(6.).reshape(3, 2)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_inc_does_not_modify_the_input(rng):
    x = T.dvector("x")
    xv = rng.normal(size=4)
    before = xv.copy()
    run([x], [T.inc_subtensor(x[1:], 1.0), T.inc_subtensor(x[[0, 0]], 1.0)], xv)
    np.testing.assert_array_equal(xv, before)


# -- gradients ------------------------------------------------------------------------------------
GRADS = [
    lambda x: x[1],
    lambda x: x[1:, ::-1],
    lambda x: x[::2, -1],
    lambda x: x[None, :, 1],
    lambda x: x[[0, 2, 0]],
    lambda x: x[[0, 1, 1], [2, 0, 0]],
    lambda x: x[:, [3, 3, 1]],
    lambda x: x[x > 0],
    lambda x: T.nonzero_values(x),
]


@pytest.mark.parametrize("fn", GRADS)
def test_indexing_grads(fn, rng):
    verify_grad(fn, [rng.normal(size=(3, 4))], rng=rng, mode=MODE)


SETS = [
    (lambda x, y: T.set_subtensor(x[1:, 2], y), (2,)),
    (lambda x, y: T.inc_subtensor(x[1:, 2], y), (2,)),
    (lambda x, y: T.inc_subtensor(x[::-1, 1:3], y), (2,)),
    (lambda x, y: T.set_subtensor(x[[2, 0]], y), (4,)),
    (lambda x, y: T.inc_subtensor(x[[2, 0, 2]], y), (3, 4)),
    (lambda x, y: T.set_subtensor(x[[0, 2], [1, 3]], y), (2,)),
    (lambda x, y: T.inc_subtensor(x[[0, 0], [1, 1]], y), (2,)),
]


@pytest.mark.parametrize("fn, yshape", SETS)
def test_set_inc_grads(fn, yshape, rng):
    verify_grad(fn, [rng.normal(size=(3, 4)), rng.normal(size=yshape)], rng=rng, mode=MODE)


def test_grad_of_subtensor_is_inc_into_zeros():
    x = T.dvector("x")
    g = T.grad(x[2:].sum(), x)
    kinds = {type(n.op) for n in _nodes(g)}
    assert IncSubtensor in kinds
    np.testing.assert_array_equal(run([x], g, np.zeros(4)), [0, 0, 1, 1])


# -- errors -------------------------------------------------------------------------------------
def test_runtime_out_of_bounds_names_node_and_shape():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    f = function([x, i], x[i], mode=MODE)
    with pytest.raises(IndexError, match=r"Subtensor\{int64\} at node \d+.*shape \(2, 3\)"):
        f(np.zeros((2, 3)), 5)
    v = T.lvector("v")
    f1 = function([x, v], x[v], mode=MODE)
    with pytest.raises(IndexError, match=r"AdvancedSubtensor1 at node \d+.*shape \(2, 3\)"):
        f1(np.zeros((2, 3)), [0, 7])
    f2 = function([x, v], T.inc_subtensor(x[v], 1.0), mode=MODE)
    with pytest.raises(IndexError, match=r"index 7 .*shape \(2, 3\)"):
        f2(np.zeros((2, 3)), [0, 7])


def test_build_time_errors_name_both_sides():
    x = T.tensor("float64", shape=(3, 4), name="x")
    with pytest.raises(IndexError, match=r"Subtensor\{int64\}.*index 3.*x float64\[3,4\]"):
        x[3]
    with pytest.raises(IndexError, match="too many indices"):
        x[1, 2, 3]
    with pytest.raises(TypeError, match="integer"):
        x[T.dscalar("f")]
    with pytest.raises(TypeError, match="integer"):
        x[1.5]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match="boolean index"):
        x[np.ones(5, dtype=bool)]


def test_set_subtensor_errors_name_both_sides():
    x = T.tensor("float32", shape=(3, 4), name="x")
    y64 = T.dvector("y")
    with pytest.raises(TypeError, match=r"IncSubtensor.*y float64\[\?\].*x float32\[3,4\]"):
        T.set_subtensor(x[0], y64)
    y = T.tensor("float32", shape=(5,), name="y")
    with pytest.raises(ValueError, match=r"y float32\[5\].*float32\[4\].*x float32\[3,4\]"):
        T.set_subtensor(x[0], y)
    with pytest.raises(TypeError, match="indexed tensor"):
        T.set_subtensor(x, 1.0)
    z = T.dvector("z")
    f = function([z, y64], T.inc_subtensor(z[1:], y64), mode=MODE)
    with pytest.raises(ValueError, match=r"IncSubtensor\{Inc;int64::\} at node \d+.*\(3,\)"):
        f(np.zeros(3), np.zeros(3))


def test_list_of_symbolic_scalars_is_an_integer_vector(rng):
    x = T.dvector("x")
    i, j = T.lscalars("i", "j")
    out = x[[i, j]]
    assert type(out.owner.op) is AdvancedSubtensor1
    xv = rng.normal(size=5)
    np.testing.assert_array_equal(run([x, i, j], out, xv, 3, 1), xv[[3, 1]])


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_random_inc_and_set_match_numpy(data):
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    index = []
    for size in shape:
        if data.draw(st.booleans()):
            index.append(data.draw(st.integers(-size, size - 1)))
        else:
            bound = st.none() | st.integers(-size - 1, size + 1)
            step = data.draw(st.none() | st.sampled_from([-2, -1, 1, 2]))
            index.append(slice(data.draw(bound), data.draw(bound), step))
    index = tuple(index)
    x = T.tensor("float64", shape=(None,) * len(shape), name="x")
    xv = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    region = xv[index].shape
    y = T.tensor("float64", shape=(None,) * len(region), name="y")
    yv = -np.arange(np.prod(region), dtype="float64").reshape(region) - 1
    got_set, got_inc = run([x, y], [T.set_subtensor(x[index], y), T.inc_subtensor(x[index], y)],
                           xv, yv)
    want_set, want_inc = xv.copy(), xv.copy()
    want_set[index] = yv
    want_inc[index] += yv
    np.testing.assert_array_equal(got_set, want_set)
    np.testing.assert_array_equal(got_inc, want_inc)
