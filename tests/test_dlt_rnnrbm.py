"""rnnrbm.py from the deeplearning.net tutorials, in its idioms.

A scan over the sequence with ``outputs_info=[u0, None, None]`` and the parameters as
``non_sequences`` (the step takes them through ``*_``); a Gibbs chain scan whose random
updates are merged into the training updates (``updates_train.update(updates_rbm)``, then a
generator of ``(param, new)`` pairs); ``T.xlogx.xlogy0`` for the monitor; and generation by a
scan whose step returns ``([v_t, u_t], updates)`` from an inner scan that draws random numbers.
"""

from __future__ import annotations

import numpy

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.tensor.shared_randomstreams import RandomStreams
from tests.dlt_helpers import fd_tol, finite_difference, floatx, tol

__all__ = ["floatx"]


def build_rbm(v, W, bv, bh, k, rng):
    def gibbs_step(v):
        mean_h = T.nnet.sigmoid(T.dot(v, W) + bh)
        h = rng.binomial(size=mean_h.shape, n=1, p=mean_h, dtype=theano.config.floatX)
        mean_v = T.nnet.sigmoid(T.dot(h, W.T) + bv)
        v = rng.binomial(size=mean_v.shape, n=1, p=mean_v, dtype=theano.config.floatX)
        return mean_v, v

    chain, updates = theano.scan(lambda v: gibbs_step(v)[1], outputs_info=[v], n_steps=k)
    v_sample = chain[-1]
    mean_v = gibbs_step(v_sample)[0]
    monitor = T.xlogx.xlogy0(v, mean_v) + T.xlogx.xlogy0(1 - v, 1 - mean_v)
    monitor = monitor.sum() / v.shape[0]

    def free_energy(v):
        return -(v * bv).sum() - T.log(1 + T.exp(T.dot(v, W) + bh)).sum()
    cost = (free_energy(v) - free_energy(v_sample)) / v.shape[0]
    return v_sample, cost, monitor, updates


def shared_normal(num_rows, num_cols, scale=1):
    return theano.shared(numpy.random.normal(
        scale=scale, size=(num_rows, num_cols)).astype(theano.config.floatX))


def shared_zeros(*shape):
    return theano.shared(numpy.zeros(shape, dtype=theano.config.floatX))


def build_rnnrbm(n_visible, n_hidden, n_hidden_recurrent, rng, n_generate=6):
    W = shared_normal(n_visible, n_hidden, 0.3)
    bv = shared_zeros(n_visible)
    bh = shared_zeros(n_hidden)
    Wuh = shared_normal(n_hidden_recurrent, n_hidden, 0.3)
    Wuv = shared_normal(n_hidden_recurrent, n_visible, 0.3)
    Wvu = shared_normal(n_visible, n_hidden_recurrent, 0.3)
    Wuu = shared_normal(n_hidden_recurrent, n_hidden_recurrent, 0.3)
    bu = shared_zeros(n_hidden_recurrent)
    params = W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu
    v = T.matrix()
    u0 = T.zeros((n_hidden_recurrent,))

    def recurrence(v_t, u_tm1):
        bv_t = bv + T.dot(u_tm1, Wuv)
        bh_t = bh + T.dot(u_tm1, Wuh)
        generate = v_t is None
        if generate:
            v_t, _, _, updates = build_rbm(T.zeros((n_visible,)), W, bv_t, bh_t, k=3, rng=rng)
        u_t = T.tanh(bu + T.dot(v_t, Wvu) + T.dot(u_tm1, Wuu))
        return ([v_t, u_t], updates) if generate else [u_t, bv_t, bh_t]

    (u_t, bv_t, bh_t), updates_train = theano.scan(
        lambda v_t, u_tm1, *_: recurrence(v_t, u_tm1),
        sequences=v, outputs_info=[u0, None, None], non_sequences=params)
    v_sample, cost, monitor, updates_rbm = build_rbm(v, W, bv_t[:], bh_t[:], k=5, rng=rng)
    updates_train.update(updates_rbm)
    recurrence_outputs = (u_t, bv_t, bh_t)   # the generation scan below rebinds u_t
    (v_t, u_t), updates_generate = theano.scan(
        lambda u_tm1, *_: recurrence(None, u_tm1),
        outputs_info=[None, u0], non_sequences=params, n_steps=n_generate)
    return (v, v_sample, cost, monitor, params, updates_train, v_t, updates_generate,
            recurrence_outputs)


def _np_biases(v, W, bv, bh, Wuh, Wuv, Wvu, Wuu, bu):
    u = numpy.zeros(len(bu))
    bvs, bhs = [], []
    for v_t in v:
        bvs.append(bv + u @ Wuv)
        bhs.append(bh + u @ Wuh)
        u = numpy.tanh(bu + v_t @ Wvu + u @ Wuu)
    return numpy.array(bvs), numpy.array(bhs)


def _np_cost(v, v_sample, params):
    W, bv, bh = params[:3]
    bv_t, bh_t = _np_biases(v, *params)

    def free_energy(x):
        return -(x * bv_t).sum() - numpy.logaddexp(0, x @ W + bh_t).sum()
    return (free_energy(v) - free_energy(v_sample)) / len(v)


def test_rnnrbm(floatx):
    numpy.random.seed(0xbeef)
    rng = RandomStreams(seed=numpy.random.randint(1 << 30))
    n_visible, lr = 5, 0.05
    (v, v_sample, cost, monitor, params, updates_train, v_t, updates_generate,
     recurrence_outputs) = build_rnnrbm(n_visible, 4, 3, rng)
    assert len(updates_train) > 0 and len(updates_generate) > 0
    gradient = T.grad(cost, params, consider_constant=[v_sample])
    probe = theano.function([v], [cost, v_sample, *gradient, *recurrence_outputs])
    updates_train.update(((p, p - lr * g) for p, g in zip(params, gradient, strict=True)))
    train_function = theano.function([v], monitor, updates=updates_train)
    generate_function = theano.function([], v_t, updates=updates_generate)

    # a repeating piano roll: one note walking up the keyboard
    sequence = numpy.eye(n_visible, dtype=theano.config.floatX)[[0, 1, 2, 3, 4, 3, 2, 1]]
    values = [p.get_value().astype("float64") for p in params]
    c, sample, *rest = probe(sequence)
    grads, (u_t, bv_t, bh_t) = rest[:len(params)], rest[len(params):]
    seq64, sample64 = sequence.astype("float64"), sample.astype("float64")
    want_bv, want_bh = _np_biases(seq64, *values)
    assert numpy.allclose(bv_t, want_bv, **tol(floatx))
    assert numpy.allclose(bh_t, want_bh, **tol(floatx))
    assert u_t.shape == (8, 3) and set(numpy.unique(sample)) <= {0.0, 1.0}
    assert numpy.allclose(c, _np_cost(seq64, sample64, values), **tol(floatx))
    for i, grad in enumerate(grads):
        def cost_of(value, i=i):
            return _np_cost(seq64, sample64, values[:i] + [value] + values[i + 1:])
        assert numpy.allclose(grad, finite_difference(cost_of, values[i].copy()),
                              **fd_tol(floatx))

    monitors = [float(train_function(sequence)) for _ in range(150)]
    assert all(m <= 0 for m in monitors)     # a log-likelihood
    assert numpy.mean(monitors[-20:]) > numpy.mean(monitors[:20]) + 0.3

    piano_roll = generate_function()
    assert piano_roll.shape == (6, n_visible) and piano_roll.dtype == floatx
    assert set(numpy.unique(piano_roll)) <= {0.0, 1.0}
    rolls = [generate_function() for _ in range(4)]
    assert not all(numpy.array_equal(rolls[0], r) for r in rolls[1:])


def test_generation_scan_compiles_without_its_updates():
    """rnnrbm's generation scan, compiled without ``updates=`` (Theano then advances the
    streams through their default updates): the outputs must not reach into the loop."""
    rng = RandomStreams(seed=3)

    def step(u_tm1):
        chain, updates = theano.scan(
            lambda v: rng.binomial(size=v.shape, n=1, p=T.nnet.sigmoid(v + u_tm1),
                                   dtype=theano.config.floatX),
            outputs_info=[T.zeros((3,))], n_steps=2)
        return [chain[-1], u_tm1 + 1], updates

    (v_t, u_t), updates = theano.scan(step, outputs_info=[None, T.zeros(())], n_steps=4)
    generate = theano.function([], v_t)
    given = theano.function([], v_t, updates=updates)
    rng.seed(5)
    first, second = generate(), generate()
    assert first.shape == (4, 3) and not numpy.array_equal(first, second)
    assert set(numpy.unique(first)) <= {0.0, 1.0}
    # the default updates advance the streams exactly as the scan's own updates do
    rng.seed(5)
    numpy.testing.assert_array_equal(given(), first)
    numpy.testing.assert_array_equal(given(), second)
