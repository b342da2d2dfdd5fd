"""Theano's tensor.basic compositions against NumPy in float64, with gradients by finite
differences where they are differentiable."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tri_tril_triu(k, linker, rng):
    m = T.dmatrix("m")
    mv = rng.normal(size=(4, 5))
    f = th.function([m], [T.tril(m, k), T.triu(m, k), T.tri(4, 5, k)],
                    mode=Mode(linker=linker))
    lo, up, ones = f(mv)
    np.testing.assert_array_equal(lo, np.tril(mv, k))
    np.testing.assert_array_equal(up, np.triu(mv, k))
    np.testing.assert_array_equal(ones, np.tri(4, 5, k))
    verify_grad(lambda a: T.tril(a, k) * T.triu(a, -k), [mv], rng=rng)


def test_tril_of_a_stack_uses_the_last_two_axes(rng):
    x = T.dtensor3("x")
    xv = rng.normal(size=(2, 3, 3))
    np.testing.assert_array_equal(T.tril(x).eval({x: xv}), np.tril(xv))


@pytest.mark.parametrize("offset, axis1, axis2", [(0, 0, 1), (1, 0, 1), (-1, 1, 2), (2, 2, 0)])
def test_diagonal(offset, axis1, axis2, rng):
    x = T.dtensor3("x") if max(axis1, axis2) == 2 else T.dmatrix("x")
    xv = rng.normal(size=(3, 4, 5)[:x.ndim])
    got = T.diagonal(x, offset, axis1, axis2).eval({x: xv})
    np.testing.assert_array_equal(got, np.diagonal(xv, offset, axis1, axis2))
    verify_grad(lambda a: T.diagonal(a, offset, axis1, axis2), [xv], rng=rng)


@pytest.mark.parametrize("axis, mode, indices", [
    (None, "raise", [5, 0, 3]), (1, "raise", [[2, 0], [1, 1]]), (0, "wrap", [-4, 5]),
    (1, "clip", [7, -2, 1]), (0, "raise", 2)])
def test_take(axis, mode, indices, linker, rng):
    a = T.dmatrix("a")
    av = rng.normal(size=(3, 4))
    f = th.function([a], T.take(a, indices, axis=axis, mode=mode), mode=Mode(linker=linker))
    np.testing.assert_array_equal(f(av), np.take(av, indices, axis=axis, mode=mode))


def test_take_gradient_accumulates_repeats(rng):
    verify_grad(lambda a: T.take(a, [[1, 1], [0, 2]], axis=0), [rng.normal(size=(3, 2))],
                rng=rng)


def test_stacking():
    a, b, c, d = T.dscalars("a", "b", "c", "d")
    m = T.stacklists([[a, b], [c, d]])
    np.testing.assert_array_equal(m.eval({a: 1.0, b: 2.0, c: 3.0, d: 4.0}), [[1, 2], [3, 4]])
    x, y = T.dmatrices("x", "y")
    xv, yv = np.ones((2, 3)), np.zeros((2, 3))
    np.testing.assert_array_equal(T.horizontal_stack(x, y).eval({x: xv, y: yv}),
                                  np.hstack([xv, yv]))
    np.testing.assert_array_equal(T.vertical_stack(x, y).eval({x: xv, y: yv}),
                                  np.vstack([xv, yv]))
    with pytest.raises(TypeError, match="horizontal_stack: needs matrices, got float64"):
        T.horizontal_stack(x, T.dvector())


def test_mgrid_ogrid():
    dense = [g.eval() for g in T.mgrid[0:3, 1:7:2]]
    for got, want in zip(dense, np.mgrid[0:3, 1:7:2], strict=True):
        np.testing.assert_array_equal(got, want)
    sparse = [g.eval() for g in T.ogrid[0:3, 1:7:2]]
    for got, want in zip(sparse, np.ogrid[0:3, 1:7:2], strict=True):
        np.testing.assert_array_equal(got, want)
    n = T.lscalar("n")
    np.testing.assert_array_equal(T.mgrid[0:n][0].eval({n: 4}), np.arange(4))


def test_angles(rng):
    x = T.dvector("x")
    xv = rng.uniform(-400, 400, 7)
    np.testing.assert_allclose(T.deg2rad(x).eval({x: xv}), np.deg2rad(xv), rtol=1e-15)
    np.testing.assert_allclose(T.rad2deg(x).eval({x: xv}), np.rad2deg(xv), rtol=1e-15)


def test_permutations(rng):
    p = T.lmatrix("p")
    pv = np.array([rng.permutation(5) for _ in range(3)])
    np.testing.assert_array_equal(T.inverse_permutation(p).eval({p: pv}), np.argsort(pv))
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 5))
    want = np.take_along_axis(xv, pv, 1)
    np.testing.assert_array_equal(T.permute_row_elements(x, p).eval({x: xv, p: pv}), want)
    back = T.permute_row_elements(T.permute_row_elements(x, p), p, inverse=True)
    np.testing.assert_array_equal(back.eval({x: xv, p: pv}), xv)
    one = T.lvector("one")   # one permutation for every row
    np.testing.assert_array_equal(
        T.permute_row_elements(x, one).eval({x: xv, one: pv[0]}), xv[:, pv[0]])
    verify_grad(lambda a: T.permute_row_elements(a, pv), [xv], rng=rng)


@pytest.mark.parametrize("axes, xs, ys, spec", [
    ([[2], [1]], (2, 3, 4), (2, 4, 5), "bij,bjk->bik"),
    (2, (2, 3, 4), (2, 3, 4, 5), "bij,bijk->bk"),
    ([[1, 3], [2, 1]], (2, 3, 4, 5), (2, 5, 3), "bijk,bki->bj"),
])
def test_batched_tensordot(axes, xs, ys, spec, rng):
    x = T.tensor("float64", shape=(None,) * len(xs))
    y = T.tensor("float64", shape=(None,) * len(ys))
    xv, yv = rng.normal(size=xs), rng.normal(size=ys)
    got = T.batched_tensordot(x, y, axes).eval({x: xv, y: yv})
    np.testing.assert_allclose(got, np.einsum(spec, xv, yv), rtol=1e-12)
    verify_grad(lambda a, b: T.batched_tensordot(a, b, axes), [xv, yv], rng=rng)


def test_as_tensor_is_as_tensor_variable():
    assert T.as_tensor is T.as_tensor_variable


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose(mode, linker, rng):
    a = T.lmatrix("a")
    x, y, z = T.dmatrices("x", "y", "z")
    low, high = (0, 3) if mode == "raise" else (-2, 5)
    av = rng.integers(low, high, (3, 4))
    xv, yv, zv = (rng.normal(size=(3, 4)) for _ in range(3))
    f = th.function([a, x, y, z], T.choose(a, [x, y, z], mode=mode), mode=Mode(linker=linker))
    np.testing.assert_array_equal(f(av, xv, yv, zv), np.choose(av, [xv, yv, zv], mode=mode))
    verify_grad(lambda p, q, r: T.choose(av, [p, q, r], mode=mode), [xv, yv, zv], rng=rng)


def test_choose_broadcasts_choices_and_names_the_node(rng):
    a = T.lmatrix("a")
    row = T.dvector("row")
    av = rng.integers(0, 2, (3, 4))
    rv, cv = rng.normal(size=4), rng.normal(size=4)
    c = T.dvector("c")
    got = T.choose(a, [row, c]).eval({a: av, row: rv, c: cv})
    np.testing.assert_array_equal(got, np.choose(av, [rv, cv]))
    verify_grad(lambda p, q: T.choose(av, [p, q]), [rv, cv], rng=rng)
    f = th.function([a, row, c], T.choose(a, [row, c]))
    with pytest.raises(ValueError, match=r"Choose\{raise\} at node \d+: invalid entry"):
        f(av + 5, rv, cv)


def test_divmod_and_cov(rng):
    x, y = T.lvectors("x", "y")
    xv, yv = rng.integers(-9, 9, 6), rng.integers(1, 4, 6) * rng.choice([-1, 1], 6)
    q, r = th.function([x, y], list(T.divmod(x, y)))(xv, yv)
    np.testing.assert_array_equal(q, xv // yv)
    np.testing.assert_array_equal(r, xv % yv)
    m, n = T.dmatrix("m"), T.dmatrix("n")
    mv, nv = rng.normal(size=(3, 7)), rng.normal(size=(2, 7))
    np.testing.assert_allclose(T.cov(m).eval({m: mv}), np.cov(mv), rtol=1e-12)
    np.testing.assert_allclose(T.cov(m, n, bias=True).eval({m: mv, n: nv}),
                               np.cov(mv, nv, bias=True), rtol=1e-12)
    np.testing.assert_allclose(T.cov(m.T, rowvar=False, ddof=2).eval({m: mv}),
                               np.cov(mv, ddof=2), rtol=1e-12)
    verify_grad(T.cov, [mv], rng=rng)
