"""Random streams: reproducibility, state updates, shapes (static and symbolic), moments."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph import config, function, grad
from nbgraph.core.gradient import NullTypeGradError
from nbgraph.ifelse import ifelse
from nbgraph.ops.random import RandomStreams
from nbgraph.sandbox.rng_mrg import MRG_RandomStreams
from nbgraph.tensor.shared_randomstreams import RandomStreams as TheanoPathStreams


def test_theano_import_path():
    assert TheanoPathStreams is RandomStreams


def test_same_seed_same_numbers_and_new_numbers_each_call():
    draws = []
    for _ in range(2):
        srng = RandomStreams(seed=234)
        f = function([], [srng.uniform((2, 2)), srng.normal((3,))])
        draws.append([f(), f()])
    (u1, n1), (u2, n2) = draws[0]
    np.testing.assert_array_equal(u1, draws[1][0][0])
    np.testing.assert_array_equal(n2, draws[1][1][1])
    assert not np.allclose(u1, u2)
    assert not np.allclose(n1, n2)
    assert not np.allclose(u1.ravel()[:3], n1)


def test_two_draws_in_one_function_differ():
    srng = RandomStreams(seed=1)
    a, b = function([], [srng.uniform((5,)), srng.uniform((5,))])()
    assert not np.allclose(a, b)


def test_no_default_updates_repeats():
    srng = RandomStreams(seed=7)
    f = function([], srng.uniform((4,)), no_default_updates=True)
    np.testing.assert_array_equal(f(), f())


def test_seed_resets_every_stream():
    srng = RandomStreams(seed=5)
    u, n = srng.uniform((3,)), srng.normal((3,))
    f = function([], [u, n])
    first = f()
    f()
    srng.seed(5)
    again = function([], [u, n])()
    srng.seed(6)
    other = f()
    for x, y in zip(first, again, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not np.allclose(first[0], other[0])


def test_symbolic_and_static_shapes():
    srng = RandomStreams(seed=2)
    x = T.dmatrix("x")
    like_x = srng.uniform(x.shape)
    assert like_x.ndim == 2
    f = function([x], like_x)
    assert f(np.zeros((3, 5))).shape == (3, 5)
    n = T.lscalar("n")
    mixed = srng.normal((n, 2))
    assert mixed.type.shape == (None, 2)
    assert function([n], mixed)(4).shape == (4, 2)
    assert srng.uniform((2, 3)).type.shape == (2, 3)
    assert function([], srng.uniform())().shape == ()
    with pytest.raises(ValueError, match="ndim"):
        srng.uniform(T.lvector("size"))
    assert srng.uniform(T.lvector("size"), ndim=3).ndim == 3


def test_params_broadcast_without_size():
    srng = RandomStreams(seed=3)
    lows = T.dvector("lows")
    out = srng.uniform(size=None, low=lows, high=lows + 1)
    got = function([lows], out)(np.array([0.0, 10.0, 20.0]))
    assert got.shape == (3,)
    assert np.all((got >= [0, 10, 20]) & (got < [1, 11, 21]))


def test_dtypes():
    srng = RandomStreams(seed=4)
    assert srng.uniform((2,)).dtype == config.floatX
    assert srng.normal((2,), dtype="float32").dtype == "float32"
    assert srng.binomial((2,)).dtype == "int64"
    assert function([], srng.uniform((3,), dtype="float32"))().dtype == np.float32


def test_moments_and_ranges():
    srng = RandomStreams(seed=11)
    size = (20000,)
    f = function([], [srng.uniform(size, low=2.0, high=4.0), srng.normal(size, avg=1.0, std=3.0),
                      srng.binomial(size, n=10, p=0.3), srng.random_integers(size, 1, 6)])
    u, n, b, r = f()
    assert np.all((u >= 2) & (u < 4)) and abs(u.mean() - 3.0) < 0.05
    assert abs(n.mean() - 1.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    assert abs(b.mean() - 3.0) < 0.1 and b.min() >= 0 and b.max() <= 10
    assert set(np.unique(r)) == {1, 2, 3, 4, 5, 6}


def test_choice_permutation_multinomial():
    srng = RandomStreams(seed=12)
    picks, perms, counts, weighted = function([], [
        srng.choice((5,), a=10, replace=False), srng.permutation((3,), n=6),
        srng.multinomial((4,), n=20, pvals=[0.2, 0.3, 0.5]),
        srng.choice((2000,), a=3, p=[0.0, 0.0, 1.0])])()
    assert len(set(picks)) == 5 and picks.max() < 10
    assert perms.shape == (3, 6)
    for row in perms:
        np.testing.assert_array_equal(np.sort(row), np.arange(6))
    assert counts.shape == (4, 3)
    np.testing.assert_array_equal(counts.sum(axis=1), 20)
    assert np.all(weighted == 2)


def test_mrg_signatures():
    srng = MRG_RandomStreams(seed=234)
    mask = srng.binomial(size=(1000,), p=0.8, dtype="float64")
    rows = srng.multinomial(pvals=np.array([[0.1, 0.9], [1.0, 0.0]]))
    truncated = srng.normal((5000,), std=2.0, truncate=True)
    m, r, t = function([], [mask, rows, truncated])()
    assert m.dtype == np.float64 and set(np.unique(m)) == {0.0, 1.0}
    assert abs(m.mean() - 0.8) < 0.05
    np.testing.assert_array_equal(r.sum(axis=1), [1, 1])
    np.testing.assert_array_equal(r[1], [1, 0])
    assert np.abs(t).max() <= 4.0
    with pytest.raises(TypeError, match="matrix"):
        srng.multinomial(pvals=[0.5, 0.5])


def test_draws_are_not_differentiable_in_parameters():
    srng = RandomStreams(seed=1)
    mu = T.dscalar("mu")
    with pytest.raises(NullTypeGradError, match="not differentiable"):
        grad(srng.normal((3,), avg=mu).sum(), mu)
    x = T.dvector("x")
    noise = srng.normal((3,))
    g = function([x], grad((x * noise).sum(), x), no_default_updates=True)
    np.testing.assert_array_equal(g(np.ones(3)), g(np.zeros(3)))


def test_draw_inside_ifelse_branch_and_copy():
    srng = RandomStreams(seed=9)
    c = T.iscalar("c")
    drawn = function([c], ifelse(c, srng.uniform((3,)), srng.uniform((3,)) - 2.0))
    a, b, neg = drawn(1), drawn(1), drawn(0)
    assert not np.allclose(a, b)
    assert np.all(neg < -1.0)
    copied = drawn.copy()
    assert copied(1).shape == (3,)
