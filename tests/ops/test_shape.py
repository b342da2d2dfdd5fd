"""Shape and construction ops against NumPy: join/stack, alloc/zeros/ones, arange, eye, tile,
repeat, diag; static shapes, Theano labels, finite-difference gradients, error messages."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad
from nbgraph.ops.shape import MakeVector

MODE = Mode("py", None)  # no rewrites: the ops themselves are under test


def run(inputs, outputs, *values):
    return function(inputs, outputs, mode=MODE, on_unused_input="ignore")(*values)


# -- join / concatenate / stack ---------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_join_matches_numpy(axis, rng):
    a, b = T.dmatrices("a", "b")
    av, bv = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    out = T.join(axis, a, b)
    assert str(out.owner.op) == "Join"
    np.testing.assert_array_equal(run([a, b], out, av, bv), np.concatenate([av, bv], axis))
    np.testing.assert_array_equal(run([a, b], T.concatenate([a, b, a], axis=axis), av, bv),
                                  np.concatenate([av, bv, av], axis))


def test_join_symbolic_axis_and_dtype_upcast(rng):
    a = T.imatrix("a")
    b = T.dmatrix("b")
    ax = T.lscalar("ax")
    av, bv = rng.integers(0, 5, size=(2, 2)).astype("int32"), rng.normal(size=(2, 2))
    out = T.join(ax, a, b)
    assert out.dtype == "float64"
    f = function([ax, a, b], out, mode=MODE)
    for axis in (0, 1):
        np.testing.assert_array_equal(f(axis, av, bv), np.concatenate([av, bv], axis))


def test_join_static_shape():
    a = T.tensor("float64", shape=(2, 3), name="a")
    b = T.tensor("float64", shape=(None, 3), name="b")
    c = T.tensor("float64", shape=(4, 3), name="c")
    assert T.join(0, a, c).type.shape == (6, 3)
    assert T.join(0, a, b).type.shape == (None, 3)
    assert T.join(1, a, b).type.shape == (2, 6)


def test_join_errors_name_both_sides():
    a = T.tensor("float64", shape=(2, 3), name="a")
    c = T.tensor("float64", shape=(4, 5), name="c")
    with pytest.raises(ValueError, match=r"Join: inputs a float64\[2,3\] and c float64\[4,5\]"):
        T.join(0, a, c)
    with pytest.raises(TypeError, match=r"Join: .*a float64\[2,3\].*float64\[\?\]"):
        T.join(0, a, T.dvector("v"))
    with pytest.raises(IndexError, match="axis 2"):
        T.join(2, a, a)
    x, y = T.dmatrices("x", "y")
    f = function([x, y], T.join(0, x, y), mode=MODE)
    with pytest.raises(ValueError, match=r"Join at node \d+.*\(2, 3\), \(2, 4\)"):
        f(np.zeros((2, 3)), np.zeros((2, 4)))


def test_stack(rng):
    a, b = T.dscalars("a", "b")
    v, w = T.dvectors("v", "w")
    vv, wv = rng.normal(size=3), rng.normal(size=3)
    s = T.stack([a, b])
    assert isinstance(s.owner.op, MakeVector)
    np.testing.assert_array_equal(run([a, b], s, 1.0, 2.0), [1.0, 2.0])
    np.testing.assert_array_equal(run([a, b], T.stack(a, b, 3), 1.0, 2.0), [1.0, 2.0, 3.0])
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(run([v, w], T.stack([v, w], axis=axis), vv, wv),
                                      np.stack([vv, wv], axis))
    np.testing.assert_array_equal(run([v, w], T.stack([v, w], 1), vv, wv),
                                  np.stack([vv, wv], 1))
    np.testing.assert_array_equal(run([v, w], T.as_tensor_variable([v, w]), vv, wv),
                                  np.stack([vv, wv]))
    n = T.lscalar("n")
    assert T.stack([n, 2]).dtype == "int64"
    assert T.stack([T.fscalar(), 2.5]).dtype == "float32"


# -- alloc / zeros / ones -----------------------------------------------------------------------
def test_alloc_zeros_ones(rng):
    n = T.lscalar("n")
    x = T.dmatrix("x")
    row = T.drow("r")
    rv = rng.normal(size=(1, 3))
    out = T.alloc(row, n, 3)
    assert str(out.owner.op) == "Alloc"
    assert out.type.shape == (None, 3)
    np.testing.assert_array_equal(run([row, n], out, rv, 4), np.broadcast_to(rv, (4, 3)))
    assert T.zeros((2, 3)).type.shape == (2, 3)
    assert T.ones(4, dtype="int32").dtype == "int32"
    xv = rng.normal(size=(2, 5))
    got = run([x, n], [T.zeros(x.shape), T.ones((n, 2)), T.zeros(n), T.alloc(1.5, 2, n)], xv, 3)
    np.testing.assert_array_equal(got[0], np.zeros((2, 5)))
    np.testing.assert_array_equal(got[1], np.ones((3, 2)))
    np.testing.assert_array_equal(got[2], np.zeros(3))
    np.testing.assert_array_equal(got[3], np.full((2, 3), 1.5))


def test_alloc_errors():
    v = T.tensor("float64", shape=(3,), name="v")
    with pytest.raises(ValueError, match=r"Alloc: value v float64\[3\] cannot broadcast to "
                                         r"shape \[2, 4\]"):
        T.alloc(v, 2, 4)
    with pytest.raises(TypeError, match="Alloc: a shape entry must be an integer"):
        T.alloc(0.0, 2.5)
    w = T.dvector("w")
    f = function([w], T.alloc(w, 2, 4), mode=MODE)
    with pytest.raises(ValueError, match=r"Alloc at node \d+: value of shape \(1,\)"):
        f(np.zeros(1))  # a length-1 dimension broadcasts only if its type says so


# -- arange / eye ---------------------------------------------------------------------------------
def test_arange(rng):
    n = T.lscalar("n")
    a, s = T.dscalars("a", "s")
    out = T.arange(n)
    assert str(out.owner.op) == "ARange{dtype=int64}"
    np.testing.assert_array_equal(run([n], out, 5), np.arange(5))
    np.testing.assert_array_equal(run([n], T.arange(n, 0, -2), 7), np.arange(7, 0, -2))
    np.testing.assert_allclose(run([a, s], T.arange(a, 2.0, s), 0.5, 0.25),
                               np.arange(0.5, 2.0, 0.25))
    assert T.arange(3).type.shape == (3,)
    assert T.arange(1, 10, 3).type.shape == (3,)
    assert T.arange(5, 1).type.shape == (0,)
    assert T.arange(0, 1, 0.25).dtype == "float64"
    assert T.arange(T.iscalar()).dtype == "int64"
    assert T.arange(3, dtype="float32").dtype == "float32"
    with pytest.raises(ValueError, match="step must not be zero"):
        T.arange(0, 3, 0)
    with pytest.raises(ValueError, match=r"ARange\{dtype=int64\} at node \d+"):
        run([n], T.arange(0, 3, n), 0)


def test_eye_and_identity_like(rng):
    n, m, k = T.lscalars("n", "m", "k")
    out = T.eye(n, m, k)
    assert out.dtype == "float64"
    f = function([n, m, k], out, mode=MODE)
    for args in [(3, 3, 0), (2, 4, 1), (4, 2, -1)]:
        np.testing.assert_array_equal(f(*args), np.eye(*args))
    assert T.eye(3, dtype="int32").type.shape == (3, 3)
    x = T.fmatrix("x")
    ident = T.identity_like(x)
    assert ident.dtype == "float32"
    np.testing.assert_array_equal(run([x], ident, np.zeros((2, 3), "float32")), np.eye(2, 3))


# -- tile / repeat / diag -------------------------------------------------------------------------
@pytest.mark.parametrize("reps", [(2,), (2, 3), (1, 2, 2), (3, 1)])
def test_tile_matches_numpy(reps, rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(2, 3))
    out = T.tile(x, reps)
    assert str(out.owner.op) == "Tile"
    np.testing.assert_array_equal(run([x], out, xv), np.tile(xv, reps))
    fixed = T.tensor("float64", shape=(2, 3))
    assert T.tile(fixed, reps).type.shape == np.tile(xv, reps).shape


def test_tile_symbolic_reps(rng):
    v = T.dvector("v")
    r = T.lscalar("r")
    vv = rng.normal(size=3)
    np.testing.assert_array_equal(run([v, r], T.tile(v, (r, 2)), vv, 3), np.tile(vv, (3, 2)))
    reps = T.lvector("reps")
    np.testing.assert_array_equal(run([v, reps], T.tile(v, reps, ndim=2), vv, [2, 2]),
                                  np.tile(vv, (2, 2)))


@pytest.mark.parametrize("repeats, axis", [(2, None), (3, 0), (2, 1), (2, -1),
                                           ([1, 0, 2], 1), ([2, 1], 0)])
def test_repeat_matches_numpy(repeats, axis, rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(2, 3))
    out = T.repeat(x, repeats, axis=axis)
    np.testing.assert_array_equal(run([x], out, xv), np.repeat(xv, repeats, axis=axis))
    fixed = T.tensor("float64", shape=(2, 3))
    assert T.repeat(fixed, repeats, axis=axis).type.shape == \
        np.repeat(xv, repeats, axis=axis).shape


def test_repeat_symbolic_and_errors(rng):
    x = T.dmatrix("x")
    r = T.lvector("r")
    assert str(T.repeat(x, r, axis=1).owner.op) == "Repeat{axis=1}"
    xv = rng.normal(size=(2, 3))
    f = function([x, r], T.repeat(x, r, axis=1), mode=MODE)
    np.testing.assert_array_equal(f(xv, [0, 1, 2]), np.repeat(xv, [0, 1, 2], axis=1))
    with pytest.raises(ValueError, match=r"Repeat\{axis=1\} at node \d+"):
        f(xv, [1, 2])
    fixed = T.tensor("float64", shape=(2, 3), name="m")
    with pytest.raises(ValueError, match=r"repeats int64\[2\] .*m float64\[2,3\]"):
        T.repeat(fixed, [1, 2], axis=1)


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag(k, rng):
    v = T.dvector("v")
    m = T.dmatrix("m")
    vv, mv = rng.normal(size=3), rng.normal(size=(3, 4))
    made, taken = T.diag(v, k), T.diag(m, k)
    assert str(made.owner.op) == f"AllocDiag{{{k}}}"
    np.testing.assert_array_equal(run([v], made, vv), np.diag(vv, k))
    np.testing.assert_array_equal(run([m], taken, mv), np.diag(mv, k))
    assert T.diag(T.tensor("float64", shape=(3, 4)), k).type.shape == np.diag(mv, k).shape
    with pytest.raises(ValueError, match="vector or a matrix"):
        T.diag(T.dtensor3())


# -- gradients ----------------------------------------------------------------------------------
GRADS = [
    ("join0", lambda a, b: T.join(0, a, b), [(2, 3), (1, 3)]),
    ("join1", lambda a, b: T.concatenate([a, b, a], axis=1), [(2, 3), (2, 2)]),
    ("stack", lambda a, b: T.stack([a, b], axis=1), [(2, 3), (2, 3)]),
    ("stack_scalars", lambda a, b: T.stack([a, b, a * b]), [(), ()]),
    ("alloc", lambda a: T.alloc(a, 4, 3), [(3,)]),
    ("alloc_scalar", lambda a: T.alloc(a, 2, 3), [()]),
    ("arange", lambda a, s: T.arange(a, a + 3.5 * s, s), [(), ()]),
    ("tile", lambda a: T.tile(a, (2, 3)), [(2, 3)]),
    ("tile_pad", lambda a: T.tile(a, (3, 1, 2)), [(2, 2)]),
    ("repeat", lambda a: T.repeat(a, 3, axis=1), [(2, 3)]),
    ("repeat_flat", lambda a: T.repeat(a, 2), [(2, 3)]),
    ("repeat_vector", lambda a: T.repeat(a, [2, 0, 1], axis=1), [(2, 3)]),
    ("alloc_diag", lambda a: T.diag(a, 1), [(3,)]),
    ("extract_diag", lambda a: T.diag(a), [(3, 4)]),
    ("extract_diag_k", lambda a: T.diag(a, -1), [(4, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", GRADS, ids=[g[0] for g in GRADS])
def test_grads(name, fn, shapes, rng):
    verify_grad(fn, [rng.normal(size=s) for s in shapes], rng=rng, mode=MODE)


def test_join_grad_symbolic_axis(rng):
    a, b = T.dmatrices("a", "b")
    ax = T.lscalar("ax")
    cost = (T.join(ax, a, b) ** 2).sum()
    ga, gb = T.grad(cost, [a, b])
    av, bv = rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    for axis in (0, 1):
        got = run([ax, a, b], [ga, gb], axis, av, bv)
        np.testing.assert_allclose(got[0], 2 * av)
        np.testing.assert_allclose(got[1], 2 * bv)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_join_tile_repeat_match_numpy(data):
    ndim = data.draw(st.integers(1, 3))
    shape = data.draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    axis = data.draw(st.integers(-ndim, ndim - 1))
    other = list(shape)
    other[axis] = data.draw(st.integers(0, 3))
    reps = tuple(data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=ndim + 1)))
    count = data.draw(st.integers(0, 3))
    x = T.tensor("float64", shape=(None,) * ndim, name="x")
    y = T.tensor("float64", shape=(None,) * ndim, name="y")
    xv = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    yv = -np.ones(other)
    got = run([x, y], [T.join(axis, x, y), T.tile(x, reps), T.repeat(x, count, axis=axis)],
              xv, yv)
    np.testing.assert_array_equal(got[0], np.concatenate([xv, yv], axis))
    np.testing.assert_array_equal(got[1], np.tile(xv, reps))
    np.testing.assert_array_equal(got[2], np.repeat(xv, count, axis=axis))



def test_split_outputs_are_views_but_functions_copy(rng):
    from nbgraph.ops.join import Split
    x = T.dvector("x")
    first, second = Split(2)(x, 0, [1, 2])
    assert str(first.owner.op) == "Split{2}"
    assert first.owner.op.view_map == {0: [0], 1: [0]}
    xv = rng.normal(size=3)
    got = run([x], [first, second], xv)
    np.testing.assert_array_equal(got[0], xv[:1])
    np.testing.assert_array_equal(got[1], xv[1:])
    assert not np.shares_memory(got[1], xv)
    with pytest.raises(ValueError, match=r"Split\{2\} at node \d+: sizes \[1, 2\]"):
        run([x], first, np.zeros(4))


# -- flatten, swapaxes, squeeze, Rebroadcast (Theano's shape helpers) ---------------------------
def test_flatten_outdim_is_theanos_name_for_ndim(rng):
    x = T.dtensor3("x")
    xv = rng.normal(size=(2, 3, 4))
    for out in (T.flatten(x, outdim=2), T.flatten(x, ndim=2), x.flatten(outdim=2),
                x.flatten(2)):
        np.testing.assert_array_equal(run([x], out, xv), xv.reshape(2, 12))
    np.testing.assert_array_equal(run([x], T.flatten(x), xv), xv.ravel())
    with pytest.raises(ValueError, match="ndim=1 and outdim=2 disagree"):
        T.flatten(x, ndim=1, outdim=2)
    with pytest.raises(ValueError, match="ndim=4 is invalid"):
        T.flatten(x, outdim=4)
    # a statically known tail keeps its length: a flattened broadcastable tail stays one
    assert T.flatten(T.tensor("float64", shape=(None, 1, 1)), 2).broadcastable == (False, True)


@pytest.mark.parametrize("a, b", [(0, 2), (1, 0), (-1, 0), (1, 1)])
def test_swapaxes_matches_numpy(a, b, rng):
    x = T.dtensor3("x")
    xv = rng.normal(size=(2, 3, 4))
    np.testing.assert_array_equal(run([x], T.swapaxes(x, a, b), xv), np.swapaxes(xv, a, b))
    np.testing.assert_array_equal(run([x], x.swapaxes(a, b), xv), xv.swapaxes(a, b))
    with pytest.raises(IndexError, match="swapaxes: axis 3 is out of range"):
        T.swapaxes(x, 0, 3)


def test_squeeze_drops_broadcastable_dims(rng):
    x = T.tensor("float64", shape=(1, None, 1, None), name="x")
    xv = rng.normal(size=(1, 3, 1, 2))
    assert T.squeeze(x).broadcastable == (False, False)
    np.testing.assert_array_equal(run([x], [T.squeeze(x), x.squeeze()], xv)[0], xv.squeeze())
    # Theano's squeeze only drops what the type knows: a length 1 that is not static stays
    m = T.dmatrix("m")
    assert T.squeeze(m) is m
    # axis= declares the dimension broadcastable first, checked at run time
    np.testing.assert_array_equal(run([m], m.squeeze(axis=1), xv[0, :, 0, :1]), xv[0, :, 0, 0])
    np.testing.assert_array_equal(run([x], T.squeeze(x, axis=(0, -2)), xv), xv[0, :, 0])
    with pytest.raises(ValueError, match=r"Rebroadcast\{\?,1\} at node \d+: dimension 1"):
        run([m], T.squeeze(m, 1), np.ones((3, 2)))


def test_rebroadcast_changes_the_static_pattern_only(rng):
    m = T.dmatrix("m")
    row = T.addbroadcast(m, 0)
    assert row.broadcastable == (True, False) and str(row.owner.op) == "Rebroadcast{1}"
    assert T.unbroadcast(row, 0) is m  # folded back: nothing left to change
    assert T.addbroadcast(row, 0) is row
    both = T.addbroadcast(row, 1)
    assert str(both.owner.op) == "Rebroadcast{1,1}" and both.owner.inputs[0] is m
    col = T.patternbroadcast(m, (False, True))
    assert col.type == T.dcol and str(col.owner.op) == "Rebroadcast{?,1}"
    assert T.unbroadcast(T.drow("r"), 0).broadcastable == (False, False)
    assert str(T.unbroadcast(T.drow("r"), 0).owner.op) == "Rebroadcast{0}"
    # the value passes through, and a declared-broadcastable row broadcasts in elemwise ops
    one, many = rng.normal(size=(1, 3)), rng.normal(size=(4, 3))
    other = T.dmatrix("other")
    np.testing.assert_array_equal(run([m, other], row + other, one, many), one + many)
    got = run([m], row, one)
    np.testing.assert_array_equal(got, one)


def test_rebroadcast_errors_name_the_op_and_node():
    m = T.dmatrix("m")
    with pytest.raises(ValueError, match=r"Rebroadcast\{1\} at node \d+: dimension 0 was "
                                         r"declared broadcastable.*shape \(2, 3\)"):
        run([m], T.addbroadcast(m, 0), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Rebroadcast\{\?,1\}: dimension 1 of .* has length 3"):
        T.addbroadcast(T.tensor("float64", shape=(None, 3)), 1)
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        T.addbroadcast(m, 2)
    with pytest.raises(ValueError, match="patternbroadcast: pattern .* has 1 entries"):
        T.patternbroadcast(m, (True,))


def test_rebroadcast_grad_takes_the_input_pattern_back(rng):
    m, other = T.dmatrices("m", "other")
    g = T.grad((T.addbroadcast(m, 0) * other).sum(), m)
    assert g.broadcastable == (False, False)
    one, many = rng.normal(size=(1, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(run([m, other], g, one, many), many.sum(0, keepdims=True))
    r = T.drow("r")
    assert T.grad(T.unbroadcast(r, 0).sum(), r).broadcastable == (True, False)


# -- roll and split ----------------------------------------------------------------------------
@pytest.mark.parametrize("shift", [0, 1, 5, -3, 12])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_roll_matches_numpy(shift, axis, rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 4))
    np.testing.assert_array_equal(run([x], T.roll(x, shift, axis), xv), np.roll(xv, shift, axis))


def test_roll_symbolic_shift_and_errors(rng):
    x, s = T.dmatrix("x"), T.lscalar("s")
    xv = rng.normal(size=(3, 4))
    out = T.roll(x, s, axis=1)
    for shift in (-7, 0, 2, 9):
        np.testing.assert_array_equal(run([x, s], out, xv, shift), np.roll(xv, shift, 1))
    with pytest.raises(TypeError, match="roll: shift must be an integer scalar"):
        T.roll(x, T.dscalar(), 0)
    with pytest.raises(IndexError, match="roll: axis 2 is out of range"):
        T.roll(x, 1, 2)


def test_split_is_theanos_function(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 6))
    pieces = T.split(x, [1, 3, 2], 3, axis=1)
    assert [str(p.owner.op) for p in pieces] == ["Split{3}"] * 3
    for got, want in zip(run([x], pieces, xv), np.split(xv, [1, 4], axis=1), strict=True):
        np.testing.assert_array_equal(got, want)
    sizes = T.lvector("sizes")
    top, bottom = T.split(x, sizes, 2)
    got = run([x, sizes], [top, bottom], xv, [2, 1])
    np.testing.assert_array_equal(got[0], xv[:2])
    np.testing.assert_array_equal(got[1], xv[2:])
    with pytest.raises(ValueError, match=r"Split\{2\} at node \d+: sizes \[2, 2\]"):
        run([x, sizes], top, xv, [2, 2])


def _split_product(a):
    left, right = T.split(a, [2, 1], 2, axis=1)
    return right * left.sum()


SHAPE_GRADS = [
    ("flatten_outdim", lambda a: T.flatten(a, outdim=2) * T.arange(12.0), [(2, 3, 4)]),
    ("swapaxes", lambda a: T.swapaxes(a, 0, 2), [(2, 3, 4)]),
    ("squeeze_axis", lambda a: T.squeeze(a, axis=0), [(1, 3)]),
    ("addbroadcast", lambda a, b: T.addbroadcast(a, 0) * b, [(1, 3), (4, 3)]),
    ("patternbroadcast", lambda a, b: T.patternbroadcast(a, (False, True)) + b,
     [(2, 1), (2, 3)]),
    ("roll", lambda a: T.roll(a, 2, axis=1), [(2, 3)]),
    ("roll_flat", lambda a: T.roll(a, -4), [(2, 3)]),
    ("split", _split_product, [(2, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", SHAPE_GRADS, ids=[g[0] for g in SHAPE_GRADS])
def test_shape_helper_grads(name, fn, shapes, rng):
    verify_grad(fn, [rng.normal(size=s) for s in shapes], rng=rng, mode=MODE)


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_roll_swapaxes_split_match_numpy(data):
    ndim = data.draw(st.integers(1, 3))
    shape = data.draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    axis = data.draw(st.integers(-ndim, ndim - 1))
    other = data.draw(st.integers(-ndim, ndim - 1))
    shift = data.draw(st.integers(-9, 9))
    cut = data.draw(st.integers(0, shape[axis]))
    x = T.tensor("float64", shape=(None,) * ndim, name="x")
    xv = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    first, second = T.split(x, [cut, shape[axis] - cut], 2, axis=axis)
    got = run([x], [T.roll(x, shift, axis), T.roll(x, shift), T.swapaxes(x, axis, other),
                    first, second], xv)
    np.testing.assert_array_equal(got[0], np.roll(xv, shift, axis))
    np.testing.assert_array_equal(got[1], np.roll(xv, shift))
    np.testing.assert_array_equal(got[2], np.swapaxes(xv, axis, other))
    np.testing.assert_array_equal(got[3], np.split(xv, [cut], axis)[0])
    np.testing.assert_array_equal(got[4], np.split(xv, [cut], axis)[1])
