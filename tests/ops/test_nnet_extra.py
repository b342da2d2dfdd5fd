"""softmax_with_bias, crossentropy_softmax_1hot_with_bias, crossentropy_categorical_1hot,
confusion_matrix and h_softmax against NumPy in float64, with gradients by finite
differences (and the softmax family at extreme logits)."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor import nnet


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_softmax_with_bias(linker, rng):
    x, b = T.dmatrix("x"), T.dvector("b")
    xv, bv = rng.normal(size=(3, 4)), rng.normal(size=4)
    f = th.function([x, b], nnet.softmax_with_bias(x, b), mode=Mode(linker=linker))
    np.testing.assert_allclose(f(xv, bv), _softmax(xv + bv), rtol=1e-13)
    # extreme logits: no overflow
    np.testing.assert_allclose(f(np.array([[1000.0, 0.0]]), np.array([0.0, -1000.0])),
                               [[1.0, 0.0]])
    verify_grad(nnet.softmax_with_bias, [xv, bv], rng=rng)
    with pytest.raises(TypeError, match="needs a matrix and a vector"):
        nnet.softmax_with_bias(x, x)


def test_crossentropy_softmax_1hot_with_bias(rng):
    x, b, y = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    xv, bv, yv = rng.normal(size=(3, 4)), rng.normal(size=4), np.array([0, 3, 1])
    nll, sm = nnet.crossentropy_softmax_1hot_with_bias(x, b, y)
    got_nll, got_sm = th.function([x, b, y], [nll, sm])(xv, bv, yv)
    want_sm = _softmax(xv + bv)
    np.testing.assert_allclose(got_sm, want_sm, rtol=1e-13)
    np.testing.assert_allclose(got_nll, -np.log(want_sm[np.arange(3), yv]), rtol=1e-13)
    verify_grad(lambda a, c: nnet.crossentropy_softmax_1hot_with_bias(a, c, yv)[0],
                [xv, bv], rng=rng)


def test_crossentropy_categorical_1hot(rng):
    p, y = T.dmatrix("p"), T.lvector("y")
    pv, yv = _softmax(rng.normal(size=(3, 4))), np.array([2, 0, 3])
    got = nnet.crossentropy_categorical_1hot(p, y).eval({p: pv, y: yv})
    np.testing.assert_allclose(got, -np.log(pv[np.arange(3), yv]), rtol=1e-14)
    verify_grad(lambda a: nnet.crossentropy_categorical_1hot(a, yv), [pv], rng=rng)


def test_confusion_matrix():
    actual, pred = T.lvectors("actual", "pred")
    av, pv = np.array([0, 1, 2, 2, 5]), np.array([0, 2, 2, 5, 5])
    cm, order = th.function([actual, pred], nnet.confusion_matrix(actual, pred))(av, pv)
    np.testing.assert_array_equal(order, [0, 1, 2, 5])
    want = np.zeros((4, 4), dtype=int)
    for a, p in zip(av, pv, strict=True):
        want[list(order).index(a), list(order).index(p)] += 1
    np.testing.assert_array_equal(cm, want)
    with pytest.raises(ValueError, match="must be vectors"):
        nnet.confusion_matrix(T.lmatrix(), pred)


def _h_softmax_reference(xv, w1, b1, w2, b2, n_outputs):
    classes = _softmax(xv @ w1 + b1)
    within = np.stack([_softmax(xv @ w2[c] + b2[c]) for c in range(w1.shape[1])], axis=1)
    return (classes[:, :, None] * within).reshape(len(xv), -1)[:, :n_outputs]


def test_h_softmax(rng):
    batch, n_in, n_classes, per_class, n_outputs = 4, 5, 3, 4, 10
    x = T.dmatrix("x")
    w1, b1 = rng.normal(size=(n_in, n_classes)), rng.normal(size=n_classes)
    w2, b2 = rng.normal(size=(n_classes, n_in, per_class)), rng.normal(size=(n_classes,
                                                                             per_class))
    xv = rng.normal(size=(batch, n_in))
    all_probs = nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, w1, b1, w2, b2)
    want = _h_softmax_reference(xv, w1, b1, w2, b2, n_outputs)
    np.testing.assert_allclose(all_probs.eval({x: xv}), want, rtol=1e-12)
    target = np.array([0, 9, 4, 7])
    picked = nnet.h_softmax(x, batch, n_outputs, n_classes, per_class, w1, b1, w2, b2,
                            target=target)
    np.testing.assert_allclose(picked.eval({x: xv}), want[np.arange(batch), target],
                               rtol=1e-12)
    verify_grad(lambda a, v1, v2: nnet.h_softmax(a, batch, n_outputs, n_classes, per_class,
                                                 v1, b1, v2, b2, target=target),
                [xv, w1, w2], rng=rng)


def test_theano_softmax_helpers(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 4))
    np.testing.assert_allclose(nnet.softmax_graph(x).eval({x: xv}), _softmax(xv), rtol=1e-13)
    np.testing.assert_allclose(nnet.softmax_op(x).eval({x: xv}), _softmax(xv), rtol=1e-13)
    np.testing.assert_array_equal(nnet.prepend_1_to_each_row(x).eval({x: xv}),
                                  np.hstack([np.ones((3, 1)), xv]))
    np.testing.assert_array_equal(nnet.prepend_0_to_each_row(x).eval({x: xv})[:, 0], 0)
    np.testing.assert_array_equal(nnet.prepend_scalar_to_each_row(7, x).eval({x: xv})[:, 0], 7)
    assert nnet.abstract_conv2d is nnet.conv2d and nnet.batch_normalization is \
        nnet.bn.batch_normalization
