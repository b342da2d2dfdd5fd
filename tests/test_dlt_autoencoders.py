"""dA.py and SdA.py from the deeplearning.net tutorials, in their idioms.

Corruption by ``theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
dtype=theano.config.floatX)`` from either stream class, tied weights through ``self.W.T``,
``T.grad(cost, self.params)`` on a list, and SdA's pretraining functions whose symbolic
hyper-parameters carry defaults (``theano.In(corruption_level, value=0.2)``) and are called
by keyword (``fn(index=i, corruption=0.3, lr=0.1)``); the 0.7-era form
``theano.Param(corruption_level, default=0.2)`` too.
"""

from __future__ import annotations

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.sandbox.rng_mrg import MRG_RandomStreams
from nbgraph.tensor.shared_randomstreams import RandomStreams
from tests.dlt_helpers import (
    blobs,
    fd_tol,
    finite_difference,
    floatx,
    shared_dataset,
    sigmoid,
    tol,
)
from tests.test_dlt_logistic import LogisticRegression
from tests.test_dlt_mlp import HiddenLayer

__all__ = ["floatx"]


class dA:
    def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=8, n_hidden=5,
                 W=None, bhid=None, bvis=None, stream=RandomStreams):
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        if not theano_rng:
            theano_rng = stream(numpy_rng.randint(2 ** 30))
        if not W:
            initial_W = numpy.asarray(
                numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                  size=(n_visible, n_hidden)),
                dtype=theano.config.floatX)
            W = theano.shared(value=initial_W, name="W", borrow=True)
        if not bvis:
            bvis = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX),
                                 borrow=True)
        if not bhid:
            bhid = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX),
                                 name="b", borrow=True)
        self.W = W
        self.b = bhid
        self.b_prime = bvis
        self.W_prime = self.W.T
        self.theano_rng = theano_rng
        self.x = T.dmatrix(name="input") if input is None else input
        self.params = [self.W, self.b, self.b_prime]

    def get_corrupted_input(self, input, corruption_level):
        return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                        dtype=theano.config.floatX) * input

    def get_hidden_values(self, input):
        return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

    def get_reconstructed_input(self, hidden):
        return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

    def get_cost_updates(self, corruption_level, learning_rate):
        tilde_x = self.get_corrupted_input(self.x, corruption_level)
        y = self.get_hidden_values(tilde_x)
        z = self.get_reconstructed_input(y)
        L = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        cost = T.mean(L)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam)
                   for param, gparam in zip(self.params, gparams, strict=True)]
        self.tilde_x, self.gparams = tilde_x, gparams
        return (cost, updates)


def _binary_data(rng, n, n_visible):
    prototypes = rng.rand(3, n_visible) > 0.5
    return (prototypes[rng.randint(0, 3, size=n)] ^ (rng.rand(n, n_visible) < 0.05)) * 1.0


@pytest.mark.parametrize("stream", [RandomStreams, MRG_RandomStreams])
def test_denoising_autoencoder(floatx, stream):
    rng = numpy.random.RandomState(123)
    batch_size, n_visible, learning_rate = 10, 8, 0.1
    data = _binary_data(rng, 40, n_visible)
    train_set_x = theano.shared(numpy.asarray(data, dtype=theano.config.floatX), borrow=True)
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")
    da = dA(numpy_rng=rng, input=x, n_visible=n_visible, n_hidden=5, stream=stream)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=learning_rate)
    givens = {x: train_set_x[index * batch_size: (index + 1) * batch_size]}
    probe = theano.function([index], [cost, da.tilde_x] + da.gparams, givens=givens)
    train_da = theano.function([index], cost, updates=updates, givens=givens)

    # one draw: the corruption keeps about 70% of the inputs, and the cost and gradients
    # given that draw match finite differences of a float64 NumPy cost
    X = numpy.asarray(data[:batch_size], dtype=floatx).astype("float64")
    c, tilde, *grads = probe(0)
    assert tilde.dtype == floatx and set(numpy.unique(tilde / numpy.where(X, X, 1))) <= {0, 1}
    kept = tilde[X == 1].mean()
    assert 0.45 < kept < 0.95
    values = [p.get_value().astype("float64") for p in da.params]

    def np_cost(_):
        W, b, b_prime = values
        z = sigmoid(sigmoid(tilde @ W + b) @ W.T + b_prime)
        return numpy.mean(-numpy.sum(X * numpy.log(z) + (1 - X) * numpy.log(1 - z), axis=1))

    assert numpy.allclose(c, np_cost(None), **tol(floatx))
    for value, grad in zip(values, grads, strict=True):
        assert numpy.allclose(grad, finite_difference(np_cost, value), **fd_tol(floatx))
    # the stream advances: two calls corrupt differently
    assert not numpy.array_equal(probe(0)[1], probe(0)[1])

    costs = [numpy.mean([train_da(i) for i in range(n_train_batches)]) for _ in range(60)]
    assert costs[-1] < 0.7 * costs[0]


class StackedSigmoidNet:
    """SdA.py's and DBN.py's shared skeleton: sigmoid layers, each sharing its weights with a
    layer pre-trained on its input (``pretrain_layer``: a dA or an RBM), under a logistic
    regression layer."""

    def __init__(self, numpy_rng, theano_rng, n_ins, hidden_layers_sizes, n_outs,
                 pretrain_layer):
        self.sigmoid_layers, self.pretrain_layers, self.params = [], [], []
        self.n_layers = len(hidden_layers_sizes)
        self.x = T.matrix("x")
        self.y = T.ivector("y")
        for i in range(self.n_layers):
            input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
            layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
            sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                        n_out=hidden_layers_sizes[i],
                                        activation=T.nnet.sigmoid)
            self.sigmoid_layers.append(sigmoid_layer)
            self.params.extend(sigmoid_layer.params)
            self.pretrain_layers.append(pretrain_layer(
                numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                n_visible=input_size, n_hidden=hidden_layers_sizes[i], layer=sigmoid_layer))
        self.logLayer = LogisticRegression(input=self.sigmoid_layers[-1].output,
                                           n_in=hidden_layers_sizes[-1], n_out=n_outs)
        self.params.extend(self.logLayer.params)
        self.finetune_cost = self.logLayer.negative_log_likelihood(self.y)
        self.errors = self.logLayer.errors(self.y)


class SdA(StackedSigmoidNet):
    def __init__(self, numpy_rng, n_ins=8, hidden_layers_sizes=(6, 4), n_outs=3):
        def pretrain_layer(layer, **kwargs):
            return dA(W=layer.W, bhid=layer.b, **kwargs)
        super().__init__(numpy_rng, RandomStreams(numpy_rng.randint(2 ** 30)), n_ins,
                         hidden_layers_sizes, n_outs, pretrain_layer)
        self.dA_layers = self.pretrain_layers

    def pretraining_functions(self, train_set_x, batch_size, era="1.0"):
        index = T.lscalar("index")
        corruption_level = T.scalar("corruption")
        learning_rate = T.scalar("lr")
        batch_begin = index * batch_size
        batch_end = batch_begin + batch_size
        pretrain_fns = []
        for dA_layer in self.dA_layers:
            cost, updates = dA_layer.get_cost_updates(corruption_level, learning_rate)
            if era == "0.7":   # theano.Param(x, default=...), deprecated from 0.8 on
                with pytest.warns(DeprecationWarning, match="Param"):
                    hyper = [theano.Param(corruption_level, default=0.2),
                             theano.Param(learning_rate, default=0.1)]
            else:
                hyper = [theano.In(corruption_level, value=0.2),
                         theano.In(learning_rate, value=0.1)]
            fn = theano.function(
                inputs=[index, *hyper],
                outputs=cost, updates=updates,
                givens={self.x: train_set_x[batch_begin: batch_end]})
            pretrain_fns.append(fn)
        return pretrain_fns

    def build_finetune_functions(self, datasets, batch_size, learning_rate):
        (train_set_x, train_set_y), (valid_set_x, valid_set_y) = datasets
        n_valid_batches = valid_set_x.get_value(borrow=True).shape[0]
        n_valid_batches //= batch_size
        index = T.lscalar("index")
        gparams = T.grad(self.finetune_cost, self.params)
        updates = [(param, param - gparam * learning_rate)
                   for param, gparam in zip(self.params, gparams, strict=True)]
        train_fn = theano.function(
            inputs=[index], outputs=self.finetune_cost, updates=updates,
            givens={self.x: train_set_x[index * batch_size: (index + 1) * batch_size],
                    self.y: train_set_y[index * batch_size: (index + 1) * batch_size]},
            name="train")
        valid_score_i = theano.function(
            [index], self.errors,
            givens={self.x: valid_set_x[index * batch_size: (index + 1) * batch_size],
                    self.y: valid_set_y[index * batch_size: (index + 1) * batch_size]},
            name="valid")

        def valid_score():
            return [valid_score_i(i) for i in range(n_valid_batches)]
        return train_fn, valid_score


@pytest.mark.parametrize("era", ["1.0", "0.7"])
def test_stacked_denoising_autoencoder(floatx, era):
    numpy_rng = numpy.random.RandomState(89677)
    batch_size = 10
    data_x, data_y = blobs(numpy_rng, 60, 8, 3)
    data_x = sigmoid(data_x)   # the dA's cross-entropy wants inputs in [0, 1]
    train_set = shared_dataset((data_x, data_y))
    n_train_batches = train_set[0].get_value(borrow=True).shape[0] // batch_size
    sda = SdA(numpy_rng=numpy_rng)

    pretraining_fns = sda.pretraining_functions(train_set_x=train_set[0], batch_size=batch_size,
                                               era=era)
    W0 = sda.sigmoid_layers[0].W
    before = W0.get_value().copy()
    for i in range(sda.n_layers):
        c = [[pretraining_fns[i](index=batch_index, corruption=[0.1, 0.2][i], lr=0.1)
              for batch_index in range(n_train_batches)] for _ in range(15)]
        assert numpy.mean(c[-1]) < numpy.mean(c[0])
    # the dA shares the hidden layer's W: pretraining moved the MLP's weights
    assert sda.dA_layers[0].W is W0 and not numpy.allclose(W0.get_value(), before)
    # the defaults given through theano.In apply when the arguments are left out
    assert numpy.isfinite(pretraining_fns[0](0))

    train_fn, valid_score = sda.build_finetune_functions(
        datasets=[train_set, train_set], batch_size=batch_size, learning_rate=0.5)
    first = numpy.mean(valid_score())
    losses = [numpy.mean([train_fn(i) for i in range(n_train_batches)]) for _ in range(40)]
    assert losses[-1] < 0.5 * losses[0]
    assert numpy.mean(valid_score()) < min(first, 0.2)


class cA:
    """cA.py: the contractive autoencoder (tied weights, Jacobian penalty by reshapes)."""

    def __init__(self, numpy_rng, input, n_visible, n_hidden, n_batchsize):
        self.n_visible, self.n_hidden, self.n_batchsize = n_visible, n_hidden, n_batchsize
        initial_W = numpy.asarray(
            numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                              high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                              size=(n_visible, n_hidden)), dtype=theano.config.floatX)
        self.W = theano.shared(value=initial_W, name="W", borrow=True)
        self.b = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX),
                               name="b", borrow=True)
        self.b_prime = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX),
                                     borrow=True)
        self.W_prime = self.W.T
        self.x = input
        self.params = [self.W, self.b, self.b_prime]

    def get_jacobian(self, hidden, W):
        return T.reshape(hidden * (1 - hidden), (self.n_batchsize, 1, self.n_hidden)) \
            * T.reshape(W, (1, self.n_visible, self.n_hidden))

    def get_cost_updates(self, contraction_level, learning_rate):
        y = T.nnet.sigmoid(T.dot(self.x, self.W) + self.b)
        z = T.nnet.sigmoid(T.dot(y, self.W_prime) + self.b_prime)
        J = self.get_jacobian(y, self.W)
        self.L_rec = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
        self.L_jacob = T.sum(J ** 2) / self.n_batchsize
        cost = T.mean(self.L_rec) + contraction_level * T.mean(self.L_jacob)
        gparams = T.grad(cost, self.params)
        updates = [(param, param - learning_rate * gparam)
                   for param, gparam in zip(self.params, gparams, strict=True)]
        self.gparams = gparams
        return (cost, updates)


def test_contractive_autoencoder(floatx):
    rng = numpy.random.RandomState(123)
    batch_size, n_visible, n_hidden = 10, 8, 5
    data = _binary_data(rng, 40, n_visible)
    train_set_x = theano.shared(numpy.asarray(data, dtype=theano.config.floatX), borrow=True)
    index = T.lscalar()
    x = T.matrix("x")
    ca = cA(numpy_rng=rng, input=x, n_visible=n_visible, n_hidden=n_hidden,
            n_batchsize=batch_size)
    cost, updates = ca.get_cost_updates(contraction_level=0.1, learning_rate=0.1)
    givens = {x: train_set_x[index * batch_size:(index + 1) * batch_size]}
    probe = theano.function([index], [cost] + ca.gparams, givens=givens)
    train_ca = theano.function([index], [T.mean(ca.L_rec), ca.L_jacob], updates=updates,
                               givens=givens)

    X = numpy.asarray(data[:batch_size], dtype=floatx).astype("float64")
    values = [p.get_value().astype("float64") for p in ca.params]

    def np_cost(_):
        W, b, b_prime = values
        h = sigmoid(X @ W + b)
        z = sigmoid(h @ W.T + b_prime)
        rec = numpy.mean(-numpy.sum(X * numpy.log(z) + (1 - X) * numpy.log(1 - z), axis=1))
        jacob = (((h * (1 - h))[:, None, :] * W[None]) ** 2).sum() / batch_size
        return rec + 0.1 * jacob

    c, *grads = probe(0)
    assert numpy.allclose(c, np_cost(None), **tol(floatx))
    for value, grad in zip(values, grads, strict=True):
        assert numpy.allclose(grad, finite_difference(np_cost, value), **fd_tol(floatx))
    c = [numpy.vstack([train_ca(i) for i in range(4)]) for _ in range(40)]
    assert numpy.mean(c[-1][:, 0]) < 0.8 * numpy.mean(c[0][:, 0])


def test_gradient_through_floor_division_is_zeros():
    W = theano.shared(numpy.ones((3, 2)), name="W")
    L_jacob = T.sum(W ** 2) // 4
    g = T.grad(L_jacob, W)
    assert numpy.array_equal(g.eval(), numpy.zeros((3, 2)))
