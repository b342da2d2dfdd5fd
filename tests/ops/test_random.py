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


# -- Theano's numbers --------------------------------------------------------------------------
def _theano_states(seed: int, count: int) -> list[np.random.RandomState]:
    # Theano's test_shared_randomstreams: draw k uses RandomState(k-th randint(2**30) of seed)
    seedgen = np.random.RandomState(seed)
    return [np.random.RandomState(int(seedgen.randint(2 ** 30))) for _ in range(count)]


def test_random_streams_draw_theanos_numbers():
    srng = RandomStreams(seed=234)
    f = function([], [srng.uniform((2, 2)), srng.normal((2, 2)), srng.binomial((5,), 3, 0.4),
                      srng.random_integers((4,), -2, 9), srng.permutation((2,), 5)])
    ref = _theano_states(234, 5)
    for _ in range(2):   # and the state advances as Theano's RandomState did
        u, n, b, ri, perms = f()
        np.testing.assert_array_equal(u, ref[0].uniform(size=(2, 2)))
        np.testing.assert_array_equal(n, ref[1].normal(size=(2, 2)))
        np.testing.assert_array_equal(b, ref[2].binomial(3, 0.4, size=(5,)))
        np.testing.assert_array_equal(ri, ref[3].randint(-2, 10, size=(4,)))
        np.testing.assert_array_equal(perms, [ref[4].permutation(5), ref[4].permutation(5)])
    # the doc's first value (Theano printed 0.12672381 for seed 234)
    assert RandomStreams(seed=234).uniform((1,)).eval()[0] == pytest.approx(0.12672381, abs=1e-8)


def test_seed_reseeds_existing_draws_as_theano():
    srng = RandomStreams(seed=1)
    u, n = srng.uniform((3,)), srng.normal((3,))
    f = function([], [u, n])
    f()
    srng.seed(902340)
    ref = _theano_states(902340, 2)
    got_u, got_n = f()
    np.testing.assert_array_equal(got_u, ref[0].uniform(size=(3,)))
    np.testing.assert_array_equal(got_n, ref[1].normal(size=(3,)))


def test_rng_value_is_a_numpy_random_state():
    srng = RandomStreams(seed=3)
    u = srng.uniform((4,))
    f = function([], u)
    rng = u.rng.get_value(borrow=True)
    assert isinstance(rng, np.random.RandomState)
    expected = rng.uniform(size=(4,))      # the value handed out is a copy: f is unaffected
    np.testing.assert_array_equal(f(), expected)
    rng.seed(89234)
    u.rng.set_value(rng, borrow=True)
    np.testing.assert_array_equal(f(), np.random.RandomState(89234).uniform(size=(4,)))
    assert isinstance(srng[u.rng], np.random.RandomState)


# -- MRG31k3p ----------------------------------------------------------------------------------
# L'Ecuyer's Java samples for seed 12345 that Theano's test_rng_mrg compares against
# (samples_MRG31k3p_12_7_5.txt): stream 0's first substream, then stream 1's first sample
JAVA_STREAM0_SUBSTREAM0 = [0.7353244530968368, 0.6142074400559068, 0.11007806099951267,
                           0.6487741703167558, 0.36619443260133266]
JAVA_STREAM0_SUBSTREAM1_FIRST = 0.2585685825906694
JAVA_STREAM1_FIRST = 0.5180770065635443


def test_mrg_matches_lecuyers_reference_samples():
    # Theano's test_consistency_randomstreams: one draw per stream, 7 substreams in parallel
    rng = MRG_RandomStreams(seed=12345)
    per_stream = []
    for _ in range(2):
        f = function([], rng.uniform(size=(7,), nstreams=7, dtype="float64"))
        per_stream.append(np.array([f() for _ in range(5)]).T)   # (substream, sample)
    np.testing.assert_allclose(per_stream[0][0], JAVA_STREAM0_SUBSTREAM0, rtol=1e-15)
    assert per_stream[0][1][0] == pytest.approx(JAVA_STREAM0_SUBSTREAM1_FIRST, rel=1e-15)
    assert per_stream[1][0][0] == pytest.approx(JAVA_STREAM1_FIRST, rel=1e-15)


def test_mrg_substreams_are_2p72_jumps_and_seed_restarts():
    from nbgraph.sandbox import rng_mrg
    rows = MRG_RandomStreams(seed=7).get_substream_rstates(9, "float64")
    row = rows[0]
    for k in range(1, 9):
        row = rng_mrg.ff_2p72(row)
        np.testing.assert_array_equal(rows[k], row)
    srng = MRG_RandomStreams(seed=7)
    f = function([], srng.uniform((20,)))
    first = f()
    assert not np.array_equal(f(), first)
    srng.seed(7)
    np.testing.assert_array_equal(f(), first)


def test_mrg_binomial_is_uniform_below_p_for_an_array_of_p():
    p = np.linspace(0.0, 1.0, 12).reshape(3, 4)
    a, b = MRG_RandomStreams(seed=5), MRG_RandomStreams(seed=5)
    mask = function([], a.binomial(p=p, dtype="float64"))()
    u = function([], b.uniform(p.shape))()
    np.testing.assert_array_equal(mask, (u < p).astype("float64"))
    assert mask.shape == (3, 4) and mask[0, 0] == 0 and mask[-1, -1] == 1


def test_mrg_normal_moments_and_float32():
    srng = MRG_RandomStreams(seed=11)
    z = function([], srng.normal((200, 51), avg=1.0, std=3.0))()
    assert z.shape == (200, 51)
    assert abs(z.mean() - 1.0) < 0.1 and abs(z.std() - 3.0) < 0.1
    u32 = function([], srng.uniform((1000,), dtype="float32"))()
    assert u32.dtype == np.float32 and 0 < u32.min() and u32.max() < 1


def test_mrg_copying_state_between_graphs():
    # the tutorial's copy_random_state, with MRG streams (rstate and the 4-tuples)
    def graph(seed):
        rng = MRG_RandomStreams(seed)
        return rng, function([], rng.uniform(size=(3,)))

    (rng1, f1), (rng2, f2) = graph(123), graph(987)
    assert not np.array_equal(f1(), f2())
    rng2.rstate = rng1.rstate
    for su1, su2 in zip(rng1.state_updates, rng2.state_updates, strict=True):
        su2[0].set_value(su1[0].get_value())
    np.testing.assert_array_equal(f1(), f2())


def _choice_reference(pvals: np.ndarray, unis: np.ndarray, n: int) -> np.ndarray:
    # Theano's ChoiceFromUniform.perform, loop for loop
    pvals = pvals.copy()
    rows, outcomes = pvals.shape
    out = -np.ones((rows, n), dtype="int64")
    for c in range(n):
        for r in range(rows):
            cumulative = 0.0
            for m in range(outcomes):
                cumulative += pvals[r, m]
                if cumulative > unis[c * rows + r]:
                    out[r, c] = m
                    pvals[r, m] = 0.0
                    with np.errstate(invalid="ignore"):   # a row picked clean: 0 / 0
                        pvals[r] /= pvals[r].sum()
                    break
    return out


def test_mrg_choice_without_replacement_as_theano():
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0], [0.25] * 4])
    picks = function([], MRG_RandomStreams(5).choice(size=2, replace=False, p=p,
                                                      nstreams=3))
    unis = function([], MRG_RandomStreams(5).uniform((6,), nstreams=3))
    for _ in range(3):
        got = picks()
        np.testing.assert_array_equal(got, _choice_reference(p, unis(), 2))
        assert all(len(set(row)) == 2 for row in got.tolist())
        assert set(got[1].tolist()) == {1, 2}           # the only outcomes with mass
    with pytest.raises(NotImplementedError, match="without replacement"):
        MRG_RandomStreams(5).choice(size=2, p=p)
