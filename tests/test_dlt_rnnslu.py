"""rnnslu.py (Elman RNN for slot filling) from the deeplearning.net tutorials, in its idioms.

Word embeddings looked up by an ``imatrix`` of context windows padded with index ``-1`` (the
last row), ``reshape`` with a symbolic shape, a scan with ``outputs_info=[self.h0, None]`` and
``n_steps=x.shape[0]`` whose step takes the softmax of a vector (a row: hence ``s[:, 0, :]``),
``OrderedDict`` updates from a generator, a ``normalize`` function that only has updates, a
list of int32 arrays passed for the ``imatrix``, a Python float for the learning rate,
``copy.deepcopy`` of the model, and parameters saved with ``numpy.save`` and restored with
``set_value``.
"""

from __future__ import annotations

import copy
import os
from collections import OrderedDict

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from tests.dlt_helpers import fd_tol, finite_difference, floatx, sigmoid, softmax, tol

__all__ = ["floatx"]


def contextwin(words, win):
    assert (win % 2) == 1 and win >= 1
    lpadded = win // 2 * [-1] + list(words) + win // 2 * [-1]
    out = [lpadded[i:(i + win)] for i in range(len(words))]
    assert len(out) == len(words)
    return out


class RNNSLU:
    def __init__(self, nh, nc, ne, de, cs):
        def init(*shape):
            return 0.2 * numpy.random.uniform(-1.0, 1.0, shape).astype(theano.config.floatX)
        self.emb = theano.shared(name="embeddings", value=init(ne + 1, de))
        self.wx = theano.shared(name="wx", value=init(de * cs, nh))
        self.wh = theano.shared(name="wh", value=init(nh, nh))
        self.w = theano.shared(name="w", value=init(nh, nc))
        self.bh = theano.shared(name="bh", value=numpy.zeros(nh, dtype=theano.config.floatX))
        self.b = theano.shared(name="b", value=numpy.zeros(nc, dtype=theano.config.floatX))
        self.h0 = theano.shared(name="h0", value=numpy.zeros(nh, dtype=theano.config.floatX))
        self.params = [self.emb, self.wx, self.wh, self.w, self.bh, self.b, self.h0]

        idxs = T.imatrix()
        x = self.emb[idxs].reshape((idxs.shape[0], de * cs))
        y_sentence = T.ivector("y_sentence")

        def recurrence(x_t, h_tm1):
            h_t = T.nnet.sigmoid(T.dot(x_t, self.wx) + T.dot(h_tm1, self.wh) + self.bh)
            s_t = T.nnet.softmax(T.dot(h_t, self.w) + self.b)
            return [h_t, s_t]

        [h, s], _ = theano.scan(fn=recurrence, sequences=x, outputs_info=[self.h0, None],
                                n_steps=x.shape[0])
        p_y_given_x_sentence = s[:, 0, :]
        y_pred = T.argmax(p_y_given_x_sentence, axis=1)
        lr = T.scalar("lr")
        sentence_nll = -T.mean(T.log(p_y_given_x_sentence)[T.arange(x.shape[0]), y_sentence])
        sentence_gradients = T.grad(sentence_nll, self.params)
        sentence_updates = OrderedDict((p, p - lr * g)
                                       for p, g in zip(self.params, sentence_gradients,
                                                       strict=True))
        self.classify = theano.function(inputs=[idxs], outputs=y_pred)
        self.sentence_train = theano.function(inputs=[idxs, y_sentence, lr],
                                              outputs=sentence_nll, updates=sentence_updates)
        self.probe = theano.function([idxs, y_sentence], [sentence_nll, *sentence_gradients])
        self.normalize = theano.function(
            inputs=[], updates={self.emb: self.emb / T.sqrt((self.emb ** 2).sum(axis=1))
                                .dimshuffle(0, "x")})

    def train(self, x, y, window_size, learning_rate):
        cwords = contextwin(x, window_size)
        words = list(map(lambda x: numpy.asarray(x).astype("int32"), cwords))
        labels = y
        nll = self.sentence_train(words, labels, learning_rate)
        self.normalize()
        return nll

    def save(self, folder):
        for param in self.params:
            numpy.save(os.path.join(folder, param.name + ".npy"), param.get_value())

    def load(self, folder):
        for param in self.params:
            param.set_value(numpy.load(os.path.join(folder, param.name + ".npy")))


def _np_nll(windows, labels, emb, wx, wh, w, bh, b, h0):
    x = emb[windows].reshape(len(windows), -1)
    h, ps = h0, []
    for x_t in x:
        h = sigmoid(x_t @ wx + h @ wh + bh)
        ps.append(softmax(h @ w + b))
    p = numpy.array(ps)
    return -numpy.mean(numpy.log(p[numpy.arange(len(labels)), labels]))


def test_rnnslu(floatx, tmp_path):
    numpy.random.seed(345)
    ne, nc, cs = 7, 3, 3
    rnn = RNNSLU(nh=5, nc=nc, ne=ne, de=4, cs=cs)
    # sentences whose label is the word's class (word % 3), shifted by its left neighbour
    sentences = [numpy.random.randint(0, ne, size=n) for n in (5, 6, 4, 7)]
    labels = [numpy.asarray((s + numpy.r_[0, s[:-1]]) % nc, dtype="int32") for s in sentences]

    windows = numpy.asarray(contextwin(sentences[0], cs)).astype("int32")
    assert windows[0, 0] == -1 and windows[-1, -1] == -1
    values = [p.get_value().astype("float64") for p in rnn.params]
    nll, *grads = rnn.probe(windows, labels[0])
    assert numpy.allclose(nll, _np_nll(windows, labels[0], *values), **tol(floatx))
    for i, grad in enumerate(grads):
        def nll_of(value, i=i):
            return _np_nll(windows, labels[0], *values[:i], value, *values[i + 1:])
        assert numpy.allclose(grad, finite_difference(nll_of, values[i].copy()),
                              **fd_tol(floatx))
    # the padding index -1 is the last embedding row, and only used rows get a gradient
    used = set(windows.ravel() % (ne + 1))
    assert (ne in used) and all(not grads[0][r].any() for r in range(ne + 1) if r not in used)

    # main() keeps the best model with copy.deepcopy(rnn): shared values and compiled
    # functions copied together, the copy then trains on its own
    best_rnn = copy.deepcopy(rnn)
    rnn.train(sentences[0], labels[0], cs, 0.5)
    assert numpy.array_equal(best_rnn.emb.get_value(), values[0].astype(floatx))
    assert best_rnn.train(sentences[0], labels[0], cs, 0.5) == pytest.approx(float(nll))
    assert numpy.allclose(best_rnn.emb.get_value(), rnn.emb.get_value(), **tol(floatx))

    epochs = [numpy.mean([rnn.train(s, y, cs, 0.5)
                          for s, y in zip(sentences, labels, strict=True)])
              for _ in range(60)]
    assert epochs[-1] < 0.5 * epochs[0]
    assert numpy.allclose((rnn.emb.get_value() ** 2).sum(axis=1), 1, **tol(floatx))
    predictions = [rnn.classify(numpy.asarray(contextwin(s, cs)).astype("int32"))
                   for s in sentences]
    right = [p == y for p, y in zip(predictions, labels, strict=True)]
    accuracy = numpy.mean(numpy.concatenate(right))
    assert accuracy > 0.8

    rnn.save(str(tmp_path))
    trained = [p.get_value() for p in rnn.params]
    for p in rnn.params:
        p.set_value(numpy.zeros_like(p.get_value()))
    rnn.load(str(tmp_path))
    assert all(numpy.array_equal(p.get_value(), t)
               for p, t in zip(rnn.params, trained, strict=True))
    assert numpy.array_equal(rnn.classify(windows), predictions[0])
