"""logistic_sgd.py and logistic_cg.py from the deeplearning.net tutorials, in their idioms.

The model class, ``shared_dataset``, minibatches through ``givens``, updates as a list of
pairs, ``get_value(borrow=True).shape``, pickling the model, and logistic_cg's flat ``theta``
driven by ``scipy.optimize.fmin_cg`` through ``set_value(borrow=True)``.
"""

from __future__ import annotations

import numpy
import pytest
import six.moves.cPickle as pickle

import nbgraph as theano
import nbgraph.tensor as T
from tests.dlt_helpers import blobs, floatx, shared_dataset, softmax, tol

__all__ = ["floatx"]


class LogisticRegression:
    def __init__(self, input, n_in, n_out):
        self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                               name="W", borrow=True)
        self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                               name="b", borrow=True)
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=1)
        self.params = [self.W, self.b]
        self.input = input

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

    def errors(self, y):
        if y.ndim != self.y_pred.ndim:
            raise TypeError("y should have the same shape as self.y_pred",
                            ("y", y.type, "y_pred", self.y_pred.type))
        if y.dtype.startswith("int"):
            return T.mean(T.neq(self.y_pred, y))
        raise NotImplementedError()


def _nll_and_grads(X, y, W, b):
    p = softmax(X @ W + b)
    n = X.shape[0]
    d = p.copy()
    d[numpy.arange(n), y] -= 1
    d /= n
    return -numpy.mean(numpy.log(p[numpy.arange(n), y])), X.T @ d, d.sum(axis=0)


def test_logistic_sgd(floatx, tmp_path):
    rng = numpy.random.RandomState(1234)
    n_in, n_out, batch_size, learning_rate = 12, 3, 20, 0.13
    data_x, data_y = blobs(rng, 100, n_in, n_out)
    train_set_x, train_set_y = shared_dataset((data_x, data_y))
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size
    assert n_train_batches == 5 and train_set_y.dtype == "int32"

    index = T.lscalar()
    x = T.matrix("x")
    y = T.ivector("y")
    classifier = LogisticRegression(input=x, n_in=n_in, n_out=n_out)
    cost = classifier.negative_log_likelihood(y)

    test_model = theano.function(
        inputs=[index], outputs=classifier.errors(y),
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
    train_model = theano.function(
        inputs=[index], outputs=cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})

    # one step against float64 NumPy
    X = numpy.asarray(data_x, dtype=floatx).astype("float64")
    W, b = numpy.zeros((n_in, n_out)), numpy.zeros(n_out)
    nll, gW, gb = _nll_and_grads(X[:batch_size], data_y[:batch_size], W, b)
    assert numpy.allclose(train_model(0), nll, **tol(floatx))
    assert classifier.W.get_value().dtype == floatx
    assert numpy.allclose(classifier.W.get_value(), W - learning_rate * gW, **tol(floatx))
    assert numpy.allclose(classifier.b.get_value(), b - learning_rate * gb, **tol(floatx))

    first = numpy.mean([test_model(i) for i in range(n_train_batches)])
    losses = [numpy.mean([train_model(i) for i in range(n_train_batches)]) for _ in range(15)]
    assert losses[-1] < 0.5 * losses[0]
    validation_loss = numpy.mean([test_model(i) for i in range(n_train_batches)])
    assert validation_loss < first and validation_loss < 0.1

    # the tutorial pickles the whole model, then compiles a predictor from the loaded one
    with open(tmp_path / "best_model.pkl", "wb") as f:
        pickle.dump(classifier, f)
    with open(tmp_path / "best_model.pkl", "rb") as f:
        loaded = pickle.load(f)
    predict_model = theano.function(inputs=[loaded.input], outputs=loaded.y_pred)
    Xs = numpy.asarray(data_x[:10], dtype=floatx)
    expected = numpy.argmax(Xs @ classifier.W.get_value() + classifier.b.get_value(), axis=1)
    assert numpy.array_equal(predict_model(Xs), expected)


def test_errors_refuses_a_label_matrix():
    classifier = LogisticRegression(T.matrix("x"), 4, 2)
    with pytest.raises(TypeError, match="same shape"):
        classifier.errors(T.imatrix("y"))


class FlatLogisticRegression:
    """logistic_cg.py: W and b are views of one flat parameter vector ``theta``."""

    def __init__(self, input, n_in, n_out):
        self.theta = theano.shared(
            value=numpy.zeros(n_in * n_out + n_out, dtype=theano.config.floatX),
            name="theta", borrow=True)
        self.W = self.theta[0:n_in * n_out].reshape((n_in, n_out))
        self.b = self.theta[n_in * n_out:n_in * n_out + n_out]
        self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
        self.y_pred = T.argmax(self.p_y_given_x, axis=-1)

    def negative_log_likelihood(self, y):
        return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])


# scipy's line search overflows casting its float64 step bounds to the float32 theta
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_logistic_cg(floatx):
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = numpy.random.RandomState(5)
    n_in, n_out, batch_size = 6, 3, 30
    data_x, data_y = blobs(rng, 90, n_in, n_out)
    train_set_x, train_set_y = shared_dataset((data_x, data_y))
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    minibatch_offset = T.lscalar()
    x = T.matrix()
    y = T.ivector()
    classifier = FlatLogisticRegression(input=x, n_in=n_in, n_out=n_out)
    cost = classifier.negative_log_likelihood(y).mean()
    givens = {x: train_set_x[minibatch_offset:minibatch_offset + batch_size],
              y: train_set_y[minibatch_offset:minibatch_offset + batch_size]}
    batch_cost = theano.function([minibatch_offset], cost, givens=givens, name="batch_cost")
    batch_grad = theano.function([minibatch_offset], T.grad(cost, classifier.theta),
                                 givens=givens, name="batch_grad")

    def train_fn(theta_value):
        classifier.theta.set_value(theta_value, borrow=True)
        return numpy.mean([batch_cost(i * batch_size) for i in range(n_train_batches)])

    def train_fn_grad(theta_value):
        classifier.theta.set_value(theta_value, borrow=True)
        grad = batch_grad(0)
        for i in range(1, n_train_batches):
            grad += batch_grad(i * batch_size)
        return grad / n_train_batches

    # the gradient at a random theta against NumPy (W, b unpacked the tutorial's way)
    theta0 = rng.randn(n_in * n_out + n_out).astype(floatx)
    X = numpy.asarray(data_x, dtype=floatx).astype("float64")
    W, b = theta0[:n_in * n_out].reshape(n_in, n_out).astype("float64"), theta0[-n_out:]
    nll, gW, gb = _nll_and_grads(X[:batch_size], data_y[:batch_size], W, b.astype("float64"))
    classifier.theta.set_value(theta0, borrow=True)
    assert numpy.allclose(batch_cost(0), nll, **tol(floatx))
    assert numpy.allclose(batch_grad(0), numpy.concatenate([gW.ravel(), gb]), **tol(floatx))

    start = train_fn(numpy.zeros(n_in * n_out + n_out, dtype=floatx))
    best = scipy_optimize.fmin_cg(
        f=train_fn, x0=numpy.zeros((n_in + 1) * n_out, dtype=x.dtype),
        fprime=train_fn_grad, disp=0, maxiter=20)
    assert train_fn(numpy.asarray(best, dtype=floatx)) < 0.2 * start
