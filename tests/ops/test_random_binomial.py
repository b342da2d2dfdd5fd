"""Binomial sampling as ``uniform < p`` (RandomStreams with n=1, MRG_RandomStreams): the exact
draws, the distribution's moments, shapes, dtypes, p = 0 and 1, bad input; and the draw's
state kept in MT19937's memory between calls equals NumPy's own ``get_state``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph import Mode, function
from nbgraph.ops import random as R
from nbgraph.ops.random import RandomStreams, pack_random_state
from nbgraph.sandbox.rng_mrg import MRG_RandomStreams

LINKERS = ["py", "c"]


def _draw_state(seed: int) -> np.random.RandomState:
    # RandomStreams(seed)'s first draw: RandomState seeded with the first randint(2**30)
    return np.random.RandomState(int(np.random.RandomState(seed).randint(2 ** 30)))


@pytest.mark.parametrize("linker", LINKERS)
def test_bernoulli_is_uniform_below_p_over_the_streams_doubles(linker):
    p = T.fmatrix("p")
    srng = RandomStreams(seed=42)
    f = function([p], srng.binomial(size=p.shape, n=1, p=p, dtype="float32"),
                 mode=Mode(linker=linker))
    probs = np.random.default_rng(0).random((20, 30), dtype=np.float32)
    ref = _draw_state(42)
    for _ in range(3):  # and the state advances by exactly one bulk draw per call
        got = f(probs)
        assert got.dtype == np.float32 and got.shape == (20, 30)
        np.testing.assert_array_equal(got, ref.random_sample((20, 30)) < probs)
        np.testing.assert_array_equal(srng.state_updates[0][0].get_value(
            borrow=True, return_internal_type=True), pack_random_state(ref))


def test_moments_for_an_array_of_p():
    # 4 columns of 100000 draws each: mean p and variance p (1 - p) within 5 sigma
    p = np.array([0.05, 0.3, 0.5, 0.9])
    rows = 100_000
    got = function([], RandomStreams(seed=7).binomial((rows, 4), p=p, dtype="float64"))()
    mean, var = got.mean(axis=0), got.var(axis=0)
    sigma_mean = np.sqrt(p * (1 - p) / rows)
    assert np.all(np.abs(mean - p) < 5 * sigma_mean), (mean, p)
    # the variance of a Bernoulli sample's variance is about p(1-p)(1-2p)^2/rows + O(1/rows^2)
    assert np.all(np.abs(var - p * (1 - p)) < 5 * sigma_mean + 1e-4), (var, p * (1 - p))


def test_p_zero_and_one_are_exact_and_p_broadcasts():
    srng = RandomStreams(seed=3)
    edges = srng.binomial((5000, 2), p=np.array([0.0, 1.0]), dtype="int8")
    p = T.dvector("p")
    shaped = srng.binomial(size=None, p=p)           # the sample takes p's shape
    lifted = srng.binomial((3, 4), p=p)              # p broadcast along the rows
    f = function([p], [edges, shaped, lifted])
    e, s, lf = f(np.array([0.0, 1.0, 0.0, 1.0]))
    assert e.dtype == np.int8 and np.all(e[:, 0] == 0) and np.all(e[:, 1] == 1)
    np.testing.assert_array_equal(s, [0, 1, 0, 1])
    assert s.dtype == np.int64 and lf.shape == (3, 4)
    np.testing.assert_array_equal(lf, np.tile([0, 1, 0, 1], (3, 1)))


def test_bad_p_and_size_raise_clearly():
    p = T.dvector("p")
    f = function([p], RandomStreams(seed=1).binomial((2, 3), p=p))
    with pytest.raises(ValueError, match="p < 0, p > 1 or p is NaN"):
        f(np.array([0.5, 1.5, 0.1]))
    with pytest.raises(ValueError, match="p < 0, p > 1 or p is NaN"):
        f(np.array([0.5, np.nan, 0.1]))
    with pytest.raises(ValueError, match=r"p of shape \(4,\) do not broadcast to \(2, 3\)"):
        f(np.full(4, 0.5))


def test_more_than_one_trial_keeps_numpys_binomial():
    got = function([], RandomStreams(seed=9).binomial((6,), n=np.array([1, 2, 3, 1, 5, 1]),
                                                      p=0.4))()
    np.testing.assert_array_equal(got, _draw_state(9).binomial([1, 2, 3, 1, 5, 1], 0.4, (6,)))


def test_seed_updates_and_no_default_updates():
    srng = RandomStreams(seed=5)
    mask = srng.binomial((50,), p=0.5)
    f = function([], mask)
    first, second = f(), f()
    assert not np.array_equal(first, second)
    srng.seed(5)
    np.testing.assert_array_equal(f(), first)
    # the updates list drives the state explicitly, as shared_randomstreams users wrote it
    g = function([], mask, no_default_updates=True, updates=srng.updates())
    assert not np.array_equal(g(), g())
    frozen = function([], mask, no_default_updates=True)
    np.testing.assert_array_equal(frozen(), frozen())


@pytest.mark.parametrize("draw, numpy_draw", [
    (lambda s: s.uniform((7,)), lambda rs: rs.uniform(size=(7,))),
    (lambda s: s.normal((5,)), lambda rs: rs.normal(size=(5,))),    # leaves a cached gaussian
    (lambda s: s.random_integers((4,), 0, 9), lambda rs: rs.randint(0, 10, (4,))),
    (lambda s: s.permutation((2,), 6), lambda rs: [rs.permutation(6), rs.permutation(6)]),
    (lambda s: s.binomial((9,), n=4, p=0.3), lambda rs: rs.binomial(4, 0.3, (9,))),
], ids=["uniform", "normal", "integers", "permutation", "binomial_n4"])
def test_state_in_memory_matches_get_state(draw, numpy_draw, monkeypatch):
    rv = draw(RandomStreams(seed=11))
    f = function([], rv)
    ref = _draw_state(11)
    for _ in range(3):
        np.testing.assert_array_equal(f(), numpy_draw(ref))
        np.testing.assert_array_equal(rv.rng.get_value(return_internal_type=True),
                                      pack_random_state(ref))
    # where the memory view is refused, set_state/get_state give the same numbers
    monkeypatch.setattr(R, "_state_view", lambda: (np.random.RandomState(), None))
    rv2 = draw(RandomStreams(seed=11))
    np.testing.assert_array_equal(function([], rv2)(), numpy_draw(_draw_state(11)))


def test_op_pickles_without_its_generator():
    rv = RandomStreams(seed=2).binomial((3,), p=0.5)
    f = function([], rv)
    f()
    op = pickle.loads(pickle.dumps(rv.owner.op))
    assert op == rv.owner.op and op._rs is None and op._key is None


# -- MRG_RandomStreams: binomial is uniform < p in the graph (fused with the comparison) ------
@pytest.mark.parametrize("linker", LINKERS)
def test_mrg_binomial_moments_edges_and_dtype(linker):
    srng = MRG_RandomStreams(seed=12)
    p = T.fvector("p")
    mask = srng.binomial((40000, 4), p=p, dtype="float32")
    f = function([p], mask, mode=Mode(linker=linker))
    probs = np.array([0.0, 0.25, 0.5, 1.0], dtype=np.float32)
    got = f(probs)
    assert got.dtype == np.float32 and got.shape == (40000, 4)
    assert np.all(got[:, 0] == 0) and np.all(got[:, 3] == 1)
    sigma = np.sqrt(probs * (1 - probs) / 40000)
    assert np.all(np.abs(got.mean(axis=0) - probs) <= 5 * sigma + 1e-12)
    assert not np.array_equal(f(probs), got)
    with pytest.raises(NotImplementedError, match="n=1"):
        srng.binomial((3,), n=2, p=0.5)


def _mrg_reference(row: list[int], count: int) -> list[float]:
    # MRG31k3p one stream, one number at a time, in Python integers
    m1, m2 = 2147483647, 2147462579
    x1, x2 = list(row[:3]), list(row[3:])
    out = []
    for _ in range(count):
        y1 = (2 ** 22 * x1[1] + 129 * x1[2]) % m1
        y2 = (2 ** 15 * x2[0] + 32769 * x2[2]) % m2
        x1, x2 = [y1, x1[0], x1[1]], [y2, x2[0], x2[1]]
        out.append(((y1 - y2) % m1 or m1) * 4.656612873077392578125e-10)
    return out


def test_mrg_chunks_and_a_partial_last_chunk_follow_each_stream():
    srng = MRG_RandomStreams(seed=99)
    u = srng.uniform((17,), nstreams=5, dtype="float64")   # streams' chunks: 5, 5, 5, 2
    rows = srng.state_updates[0][0].get_value().tolist()
    f = function([], u)
    for _ in range(2):   # and the states carry over between calls
        got = f()
        for s in range(5):
            count = len(range(s, 17, 5))
            np.testing.assert_array_equal(got[s::5], _mrg_reference(rows[s], count))
        rows = srng.state_updates[0][0].get_value().tolist()
