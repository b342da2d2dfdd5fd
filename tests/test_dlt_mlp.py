"""mlp.py and convolutional_mlp.py (LeNet) from the deeplearning.net tutorials, in their idioms.

HiddenLayer with the Glorot init (x4 for sigmoid, tested by ``activation ==
theano.tensor.nnet.sigmoid``), L1/L2 terms through ``abs(W).sum()``, updates as a
comprehension, and the LeNet conv-pool layer written three ways: Theano 1.0 (``nnet.conv2d``
with ``input_shape``/``filter_shape``, ``pool.pool_2d(ws=..., ignore_border=True)``), 0.9
(``pool_2d(ds=...)``) and 0.7 (``nnet.conv.conv2d(image_shape=...)``,
``signal.downsample.max_pool_2d``).
"""

from __future__ import annotations

import warnings

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.tensor.nnet import conv, conv2d
from nbgraph.tensor.signal import downsample, pool
from tests.dlt_helpers import blobs, fd_tol, finite_difference, floatx, shared_dataset, softmax, tol
from tests.test_dlt_logistic import LogisticRegression

__all__ = ["floatx"]


class HiddenLayer:
    def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
        self.input = input
        if W is None:
            W_values = numpy.asarray(
                rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                            high=numpy.sqrt(6. / (n_in + n_out)), size=(n_in, n_out)),
                dtype=theano.config.floatX)
            if activation == theano.tensor.nnet.sigmoid:
                W_values *= 4
            W = theano.shared(value=W_values, name="W", borrow=True)
        if b is None:
            b_values = numpy.zeros((n_out,), dtype=theano.config.floatX)
            b = theano.shared(value=b_values, name="b", borrow=True)
        self.W = W
        self.b = b
        lin_output = T.dot(input, self.W) + self.b
        self.output = (lin_output if activation is None else activation(lin_output))
        self.params = [self.W, self.b]


class MLP:
    def __init__(self, rng, input, n_in, n_hidden, n_out):
        self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden,
                                       activation=T.tanh)
        self.logRegressionLayer = LogisticRegression(input=self.hiddenLayer.output,
                                                     n_in=n_hidden, n_out=n_out)
        self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.logRegressionLayer.W).sum()
        self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
        self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
        self.errors = self.logRegressionLayer.errors
        self.params = self.hiddenLayer.params + self.logRegressionLayer.params
        self.input = input


def test_sigmoid_hidden_layer_init_is_four_times_wider():
    x = T.matrix("x")
    tanh = HiddenLayer(numpy.random.RandomState(0), x, 30, 20).W.get_value()
    sig = HiddenLayer(numpy.random.RandomState(0), x, 30, 20,
                      activation=theano.tensor.nnet.sigmoid).W.get_value()
    assert numpy.allclose(sig, 4 * tanh)


def test_mlp(floatx):
    rng = numpy.random.RandomState(1234)
    n_in, n_hidden, n_out, batch_size = 5, 4, 3, 10
    L1_reg, L2_reg, learning_rate = 0.001, 0.0001, 0.1
    data_x, data_y = blobs(rng, 60, n_in, n_out)
    train_set_x, train_set_y = shared_dataset((data_x, data_y))
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = MLP(rng=rng, input=x, n_in=n_in, n_hidden=n_hidden, n_out=n_out)
    cost = (classifier.negative_log_likelihood(y) + L1_reg * classifier.L1
            + L2_reg * classifier.L2_sqr)
    gparams = [T.grad(cost, param) for param in classifier.params]
    updates = [(param, param - learning_rate * gparam)
               for param, gparam in zip(classifier.params, gparams, strict=True)]
    givens = {x: train_set_x[index * batch_size:(index + 1) * batch_size],
              y: train_set_y[index * batch_size:(index + 1) * batch_size]}
    f_grads = theano.function([index], gparams, givens=givens)
    train_model = theano.function(inputs=[index], outputs=cost, updates=updates,
                                  givens=givens)
    validate_model = theano.function([index], classifier.errors(y), givens=givens)

    # the gradients of one minibatch against finite differences of a float64 NumPy cost
    X = numpy.asarray(data_x[:batch_size], dtype=floatx).astype("float64")
    Y = data_y[:batch_size]
    values = [p.get_value().astype("float64") for p in classifier.params]

    def np_cost(_):
        W1, b1, W2, b2 = values
        p = softmax(numpy.tanh(X @ W1 + b1) @ W2 + b2)
        return (-numpy.mean(numpy.log(p[numpy.arange(len(Y)), Y]))
                + L1_reg * (abs(W1).sum() + abs(W2).sum())
                + L2_reg * ((W1 ** 2).sum() + (W2 ** 2).sum()))

    grads = f_grads(0)
    for value, grad in zip(values, grads, strict=True):
        assert grad.dtype == floatx
        assert numpy.allclose(grad, finite_difference(np_cost, value), **fd_tol(floatx))
    assert numpy.allclose(train_model(0), np_cost(None), **tol(floatx))

    losses = [numpy.mean([train_model(i) for i in range(n_train_batches)]) for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0]
    assert numpy.mean([validate_model(i) for i in range(n_train_batches)]) < 0.2


class LeNetConvPoolLayer:
    def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2), era="1.0"):
        assert image_shape[1] == filter_shape[1]
        self.input = input
        fan_in = numpy.prod(filter_shape[1:])
        fan_out = (filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize))
        W_bound = numpy.sqrt(6. / (fan_in + fan_out))
        self.W = theano.shared(
            numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                          dtype=theano.config.floatX), borrow=True)
        b_values = numpy.zeros((filter_shape[0],), dtype=theano.config.floatX)
        self.b = theano.shared(value=b_values, borrow=True)
        if era == "0.7":
            conv_out = conv.conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                                   image_shape=image_shape)
            pooled_out = downsample.max_pool_2d(input=conv_out, ds=poolsize,
                                                ignore_border=True)
        else:
            conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape,
                              input_shape=image_shape)
            if era == "0.9":
                pooled_out = pool.pool_2d(input=conv_out, ds=poolsize, ignore_border=True)
            else:
                pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
        self.output = T.tanh(pooled_out + self.b.dimshuffle("x", 0, "x", "x"))
        self.params = [self.W, self.b]


def _np_conv_pool(x, W, b):
    """Valid convolution (filters flipped, as Theano's conv2d), 2x2 max pool, tanh."""
    kh, kw = W.shape[2:]
    oh, ow = x.shape[2] - kh + 1, x.shape[3] - kw + 1
    Wf = W[:, :, ::-1, ::-1]
    out = numpy.zeros((x.shape[0], W.shape[0], oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = numpy.einsum("ncab,fcab->nf", x[:, :, i:i + kh, j:j + kw], Wf)
    ph, pw = oh // 2, ow // 2
    pooled = out[:, :, :2 * ph, :2 * pw].reshape(x.shape[0], W.shape[0], ph, 2, pw, 2)
    return numpy.tanh(pooled.max(axis=(3, 5)) + b[None, :, None, None])


@pytest.mark.parametrize("era", ["1.0", "0.9", "0.7"])
def test_lenet(floatx, era):
    rng = numpy.random.RandomState(23455)
    batch_size, nkerns, learning_rate = 4, [2, 3], 0.1
    data_x, data_y = blobs(rng, 16, 64, 2)
    train_set_x, train_set_y = shared_dataset((data_x, data_y))
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    layer0_input = x.reshape((batch_size, 1, 8, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # the old names warn
        layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, 8, 8),
                                    filter_shape=(nkerns[0], 1, 3, 3), era=era)
        layer1 = LeNetConvPoolLayer(rng, input=layer0.output,
                                    image_shape=(batch_size, nkerns[0], 3, 3),
                                    filter_shape=(nkerns[1], nkerns[0], 2, 2), era=era)
    layer2_input = layer1.output.flatten(2)
    layer2 = HiddenLayer(rng, input=layer2_input, n_in=nkerns[1] * 1 * 1, n_out=5,
                         activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=5, n_out=2)
    cost = layer3.negative_log_likelihood(y)
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(param_i, param_i - learning_rate * grad_i)
               for param_i, grad_i in zip(params, grads, strict=True)]
    givens = {x: train_set_x[index * batch_size: (index + 1) * batch_size],
              y: train_set_y[index * batch_size: (index + 1) * batch_size]}
    f_grads = theano.function([index], grads, givens=givens)
    train_model = theano.function([index], cost, updates=updates, givens=givens)

    # layer3 starts at zero (the gradients below it are zero too): take one step first
    train_model(1)
    X = numpy.asarray(data_x[:batch_size], dtype=floatx).astype("float64").reshape(-1, 1, 8, 8)
    Y = data_y[:batch_size]
    values = [p.get_value().astype("float64") for p in params]

    def np_cost(_):
        W3, b3, W2, b2, W1, b1, W0, b0 = values
        h = _np_conv_pool(_np_conv_pool(X, W0, b0), W1, b1).reshape(batch_size, -1)
        p = softmax(numpy.tanh(h @ W2 + b2) @ W3 + b3)
        return -numpy.mean(numpy.log(p[numpy.arange(batch_size), Y]))

    for value, grad in zip(values, f_grads(0), strict=True):
        assert numpy.allclose(grad, finite_difference(np_cost, value), **fd_tol(floatx))
    assert numpy.allclose(train_model(0), np_cost(None), **tol(floatx))
    losses = [numpy.mean([train_model(i) for i in range(n_train_batches)]) for _ in range(40)]
    assert losses[-1] < 0.5 * losses[0]


def test_lenet_minibatch_of_the_wrong_size_names_both_shapes():
    """LeNet reshapes each minibatch to a fixed ``batch_size``: a short last batch must say
    which shapes disagree (NumPy ints printed as ints)."""
    x = T.matrix("x")
    layer = LeNetConvPoolLayer(numpy.random.RandomState(0), x.reshape((4, 1, 8, 8)),
                               filter_shape=(2, 1, 3, 3), image_shape=(4, 1, 8, 8))
    f = theano.function([x], layer.output)
    assert f(numpy.ones((4, 64), dtype=theano.config.floatX)).shape == (4, 2, 3, 3)
    with pytest.raises(ValueError, match=r"shape \(3, 64\).*into shape \(4, 1, 8, 8\)"):
        f(numpy.ones((3, 64), dtype=theano.config.floatX))
