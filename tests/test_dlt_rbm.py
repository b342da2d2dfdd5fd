"""rbm.py and DBN.py from the deeplearning.net tutorials, in their idioms.

The Gibbs chain is a ``theano.scan`` with five ``None`` entries in ``outputs_info``; its
updates (the random streams) come back from scan and the parameter updates are added by
assignment (``updates[param] = ...``); gradients hold the chain end constant
(``consider_constant=[chain_end]``); persistent CD keeps the chain in a shared variable; the
pseudo-likelihood cost flips one bit with ``T.set_subtensor`` and steps an integer shared
index modulo ``n_visible``; sampling extends scan's updates with ``updates.update({...})``.
"""

from __future__ import annotations

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.sandbox.rng_mrg import MRG_RandomStreams
from nbgraph.tensor.shared_randomstreams import RandomStreams
from tests.dlt_helpers import blobs, floatx, shared_dataset, sigmoid, tol
from tests.test_dlt_autoencoders import StackedSigmoidNet, _binary_data

__all__ = ["floatx"]


class RBM:
    def __init__(self, input=None, n_visible=8, n_hidden=5, W=None, hbias=None, vbias=None,
                 numpy_rng=None, theano_rng=None):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if numpy_rng is None:
            numpy_rng = numpy.random.RandomState(1234)
        if theano_rng is None:
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
        if W is None:
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  size=(n_visible, n_hidden)),
                dtype=theano.config.floatX)
            W = theano.shared(value=initial_W, name="W", borrow=True)
        if hbias is None:
            hbias = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX),
                                  name="hbias", borrow=True)
        if vbias is None:
            vbias = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX),
                                  name="vbias", borrow=True)
        self.input = input if input is not None else T.matrix("input")
        self.W, self.hbias, self.vbias = W, hbias, vbias
        self.theano_rng = theano_rng
        self.params = [self.W, self.hbias, self.vbias]

    def free_energy(self, v_sample):
        wx_b = T.dot(v_sample, self.W) + self.hbias
        vbias_term = T.dot(v_sample, self.vbias)
        hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
        return -hidden_term - vbias_term

    def propup(self, vis):
        pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_h_given_v(self, v0_sample):
        pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
        h1_sample = self.theano_rng.binomial(size=h1_mean.shape, n=1, p=h1_mean,
                                             dtype=theano.config.floatX)
        return [pre_sigmoid_h1, h1_mean, h1_sample]

    def propdown(self, hid):
        pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
        return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

    def sample_v_given_h(self, h0_sample):
        pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
        v1_sample = self.theano_rng.binomial(size=v1_mean.shape, n=1, p=v1_mean,
                                             dtype=theano.config.floatX)
        return [pre_sigmoid_v1, v1_mean, v1_sample]

    def gibbs_hvh(self, h0_sample):
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
        return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

    def gibbs_vhv(self, v0_sample):
        pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v0_sample)
        pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h1_sample)
        return [pre_sigmoid_h1, h1_mean, h1_sample, pre_sigmoid_v1, v1_mean, v1_sample]

    def get_cost_updates(self, lr=0.1, persistent=None, k=1):
        pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)
        chain_start = ph_sample if persistent is None else persistent
        ([pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples],
         updates) = theano.scan(self.gibbs_hvh,
                                outputs_info=[None, None, None, None, None, chain_start],
                                n_steps=k, name="gibbs_hvh")
        chain_end = nv_samples[-1]
        cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
        gparams = T.grad(cost, self.params, consider_constant=[chain_end])
        for gparam, param in zip(gparams, self.params, strict=True):
            updates[param] = param - gparam * T.cast(lr, dtype=theano.config.floatX)
        if persistent:
            updates[persistent] = nh_samples[-1]
            monitoring_cost = self.get_pseudo_likelihood_cost(updates)
        else:
            monitoring_cost = self.get_reconstruction_cost(pre_sigmoid_nvs[-1])
        self.probe = [cost, chain_end, nh_samples[-1], *gparams]
        return monitoring_cost, updates

    def get_pseudo_likelihood_cost(self, updates):
        bit_i_idx = theano.shared(value=0, name="bit_i_idx")
        xi = T.round(self.input)
        fe_xi = self.free_energy(xi)
        xi_flip = T.set_subtensor(xi[:, bit_i_idx], 1 - xi[:, bit_i_idx])
        fe_xi_flip = self.free_energy(xi_flip)
        cost = T.mean(self.n_visible * T.log(T.nnet.sigmoid(fe_xi_flip - fe_xi)))
        updates[bit_i_idx] = (bit_i_idx + 1) % self.n_visible
        self.bit_i_idx = bit_i_idx
        return cost

    def get_reconstruction_cost(self, pre_sigmoid_nv):
        return T.mean(T.sum(self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv))
                            + (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)),
                            axis=1))


def _np_free_energy(v, W, hbias, vbias):
    return -numpy.logaddexp(0, v @ W + hbias).sum(axis=1) - v @ vbias


def _np_cd_grads(v0, vk, W, hbias, vbias):
    """d/dparams of mean F(v0) - mean F(vk), vk held constant."""
    n = len(v0)
    h0, hk = sigmoid(v0 @ W + hbias), sigmoid(vk @ W + hbias)
    return [-(v0.T @ h0 - vk.T @ hk) / n, -(h0 - hk).mean(0), -(v0 - vk).mean(0)]


@pytest.mark.parametrize("persistent", [False, True], ids=["cd", "pcd"])
def test_rbm(floatx, persistent):
    rng = numpy.random.RandomState(123)
    batch_size, n_visible, n_hidden, learning_rate = 10, 8, 5, 0.1
    data = _binary_data(rng, 40, n_visible)
    train_set_x = theano.shared(numpy.asarray(data, dtype=theano.config.floatX), borrow=True)
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")
    rbm = RBM(input=x, n_visible=n_visible, n_hidden=n_hidden, numpy_rng=rng)
    persistent_chain = (theano.shared(numpy.zeros((batch_size, n_hidden),
                                                  dtype=theano.config.floatX), borrow=True)
                        if persistent else None)
    cost, updates = rbm.get_cost_updates(lr=learning_rate, persistent=persistent_chain, k=3)
    givens = {x: train_set_x[index * batch_size: (index + 1) * batch_size]}
    probe = theano.function([index], rbm.probe, givens=givens)
    train_rbm = theano.function([index], [cost, rbm.probe[2]], updates=updates, givens=givens,
                                name="train_rbm")

    X = numpy.asarray(data[:batch_size], dtype=floatx).astype("float64")
    values = [p.get_value().astype("float64") for p in rbm.params]
    c, chain_end, _, *grads = probe(0)
    assert set(numpy.unique(chain_end)) <= {0.0, 1.0} and chain_end.dtype == floatx
    expected = (_np_free_energy(X, *values).mean()
                - _np_free_energy(chain_end.astype("float64"), *values).mean())
    assert numpy.allclose(c, expected, **tol(floatx))
    wants = _np_cd_grads(X, chain_end.astype("float64"), *values)
    for grad, want in zip(grads, wants, strict=True):
        assert numpy.allclose(grad, want, **tol(floatx))

    monitor, nh_last = train_rbm(0)
    if persistent:
        # the chain's last hidden sample is stored back; the PL cost used bit 0
        assert numpy.array_equal(persistent_chain.get_value(), nh_last)
        assert rbm.bit_i_idx.get_value() == 1
        flip = X.copy()
        flip[:, 0] = 1 - flip[:, 0]
        gap = _np_free_energy(flip, *values) - _np_free_energy(X, *values)
        pl = numpy.mean(n_visible * -numpy.logaddexp(0, -gap))
        assert numpy.allclose(monitor, pl, **tol(floatx))
        for _ in range(n_visible - 1):
            train_rbm(0)
        assert rbm.bit_i_idx.get_value() == 0
    for p, v, g in zip(rbm.params, values, grads, strict=True):
        assert not numpy.allclose(p.get_value(), v) or numpy.allclose(g, 0)

    def mean_free_energy_gap():
        vals = [p.get_value().astype("float64") for p in rbm.params]
        noise = rng.rand(*X.shape) < 0.5
        return _np_free_energy(noise * 1.0, *vals).mean() - _np_free_energy(X, *vals).mean()

    gap_before = mean_free_energy_gap()
    for _ in range(40):
        for i in range(n_train_batches):
            train_rbm(i)
    # the data's free energy falls below that of random vectors
    assert mean_free_energy_gap() > gap_before + 1.0


def test_rbm_sampling_chain(floatx):
    rng = numpy.random.RandomState(7)
    rbm = RBM(n_visible=6, n_hidden=4, numpy_rng=rng)
    persistent_vis_chain = theano.shared(
        numpy.asarray(rng.rand(5, 6) > 0.5, dtype=theano.config.floatX))
    ([presig_hids, hid_mfs, hid_samples, presig_vis, vis_mfs, vis_samples],
     updates) = theano.scan(rbm.gibbs_vhv,
                            outputs_info=[None, None, None, None, None, persistent_vis_chain],
                            n_steps=4, name="gibbs_vhv")
    assert len(updates) > 0   # the streams advance
    updates.update({persistent_vis_chain: vis_samples[-1]})
    sample_fn = theano.function([], [vis_mfs[-1], vis_samples[-1], presig_vis[-1]],
                                updates=updates, name="sample_fn")
    W, hbias, vbias = (p.get_value() for p in rbm.params)
    mf, sample, presig = sample_fn()
    assert sample.shape == (5, 6) and set(numpy.unique(sample)) <= {0.0, 1.0}
    assert numpy.allclose(mf, sigmoid(presig.astype("float64")), **tol(floatx))
    assert numpy.array_equal(persistent_vis_chain.get_value(), sample)
    samples = [sample_fn()[1] for _ in range(5)]
    assert not all(numpy.array_equal(samples[0], s) for s in samples[1:])


class DBN(StackedSigmoidNet):
    def __init__(self, numpy_rng, n_ins=8, hidden_layers_sizes=(6, 5), n_outs=3):
        def pretrain_layer(layer, **kwargs):
            return RBM(W=layer.W, hbias=layer.b, **kwargs)
        super().__init__(numpy_rng, MRG_RandomStreams(numpy_rng.randint(2 ** 30)), n_ins,
                         hidden_layers_sizes, n_outs, pretrain_layer)
        self.rbm_layers = self.pretrain_layers

    def pretraining_functions(self, train_set_x, batch_size, k):
        index = T.lscalar("index")
        learning_rate = T.scalar("lr")
        batch_begin = index * batch_size
        batch_end = batch_begin + batch_size
        pretrain_fns = []
        for rbm in self.rbm_layers:
            cost, updates = rbm.get_cost_updates(learning_rate, persistent=None, k=k)
            fn = theano.function(inputs=[index, theano.In(learning_rate, value=0.1)],
                                 outputs=cost, updates=updates,
                                 givens={self.x: train_set_x[batch_begin:batch_end]})
            pretrain_fns.append(fn)
        return pretrain_fns


def test_dbn(floatx):
    numpy_rng = numpy.random.RandomState(123)
    batch_size = 10
    data_x, data_y = blobs(numpy_rng, 60, 8, 3)
    train_set_x, train_set_y = shared_dataset((sigmoid(data_x), data_y))
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    dbn = DBN(numpy_rng=numpy_rng)
    pretraining_fns = dbn.pretraining_functions(train_set_x=train_set_x,
                                                batch_size=batch_size, k=1)
    for i in range(dbn.n_layers):
        c = [numpy.mean([pretraining_fns[i](index=b, lr=0.05) for b in range(n_train_batches)])
             for _ in range(10)]
        assert numpy.all(numpy.isfinite(c)) and c[-1] > c[0]   # reconstruction LL rises

    index = T.lscalar("index")
    gparams = T.grad(dbn.finetune_cost, dbn.params)
    updates = [(p, p - gp * 0.5) for p, gp in zip(dbn.params, gparams, strict=True)]
    train_fn = theano.function(
        inputs=[index], outputs=dbn.finetune_cost, updates=updates,
        givens={dbn.x: train_set_x[index * batch_size: (index + 1) * batch_size],
                dbn.y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    losses = [numpy.mean([train_fn(i) for i in range(n_train_batches)]) for _ in range(40)]
    assert losses[-1] < 0.5 * losses[0]
