"""The Theano 1.0 tutorial ("More Examples") run verbatim, checked against NumPy.

Only the imports change (``import nbgraph as theano``, ``import nbgraph.tensor as T``), and the
logistic regression trains for a few steps instead of 10000 so the test stays fast.
"""

from __future__ import annotations

import numpy
import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph import In, function, shared

TOL = dict(rtol=1e-10, atol=1e-10)


@pytest.fixture
def seeded_global_numpy():
    """The tutorial draws from ``numpy.random`` itself: seed it, then restore the state."""
    saved = numpy.random.get_state()
    numpy.random.seed(42)
    yield
    numpy.random.set_state(saved)


def _softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-_softplus(-z))


def reference_logistic_regression(X: np.ndarray, y: np.ndarray, w: np.ndarray, b: float,
                                  steps: int) -> tuple:
    """The tutorial's training loop in float64 NumPy, written stably: log(p_1) is
    -softplus(-z) and log(1 - p_1) is -softplus(z), as Theano's stabilize rewrites make it."""
    n = X.shape[0]
    pred = xent = None
    for _ in range(steps):
        z = X @ w + b
        p_1 = _sigmoid(z)
        pred = p_1 > 0.5
        xent = y * _softplus(-z) + (1 - y) * _softplus(z)
        # d mean(xent) / dz = (p_1 - y) / n; the L2 term adds 0.02 w
        dz = (p_1 - y) / n
        gw = X.T @ dz + 0.02 * w
        gb = dz.sum()
        w, b = w - 0.1 * gw, b - 0.1 * gb
    return pred, xent, w, b, _sigmoid(X @ w + b) > 0.5


def test_logistic_regression(seeded_global_numpy, capsys):
    rng = numpy.random

    N = 400                                   # training sample size
    feats = 784                               # number of input variables

    # generate a dataset: D = (input_values, target_class)
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    training_steps = 5                        # the tutorial trains for 10000 steps

    # Declare Theano symbolic variables
    x = T.dmatrix("x")
    y = T.dvector("y")

    # initialize the weight vector w randomly
    #
    # this and the following bias variable b
    # are shared so they keep their values
    # between training iterations (updates)
    w = theano.shared(rng.randn(feats), name="w")

    # initialize the bias term
    b = theano.shared(0., name="b")

    print("Initial model:")
    print(w.get_value())
    print(b.get_value())
    w0, b0 = w.get_value(), float(b.get_value())

    # Construct Theano expression graph
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))   # Probability that target = 1
    prediction = p_1 > 0.5                    # The prediction thresholded
    xent = -y * T.log(p_1) - (1-y) * T.log(1-p_1)  # Cross-entropy loss function
    cost = xent.mean() + 0.01 * (w ** 2).sum()  # The cost to minimize
    gw, gb = T.grad(cost, [w, b])             # Compute the gradient of the cost
                                              # w.r.t weight vector w and
                                              # bias term b
                                              # (we shall return to this in a
                                              # following section of this tutorial)

    # Compile
    train = theano.function(
              inputs=[x,y],
              outputs=[prediction, xent],
              updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = theano.function(inputs=[x], outputs=prediction)

    # Train
    for _ in range(training_steps):
        pred, err = train(D[0], D[1])

    print("Final model:")
    print(w.get_value())
    print(b.get_value())
    print("target values for D:")
    print(D[1])
    print("prediction on D:")
    print(predict(D[0]))

    want = reference_logistic_regression(D[0], D[1].astype("float64"), w0, b0, training_steps)
    want_pred, want_err, want_w, want_b, want_predict = want
    # about a fifth of the logits exceed 37, where 1 + exp(-z) rounds to 1: only the
    # stabilize rewrites (sigmoid, log(sigmoid) -> -softplus) keep these finite
    bad = np.flatnonzero(~np.isfinite(err))
    assert bad.size == 0, f"cross-entropy is not finite for samples {bad}"
    np.testing.assert_array_equal(pred, want_pred)
    np.testing.assert_allclose(err, want_err, **TOL)
    np.testing.assert_allclose(w.get_value(), want_w, **TOL)
    np.testing.assert_allclose(b.get_value(), want_b, **TOL)
    np.testing.assert_array_equal(predict(D[0]), want_predict)
    assert "Final model:" in capsys.readouterr().out


def test_logistic_function_and_multiple_outputs():
    x = T.dmatrix('x')
    s = 1 / (1 + T.exp(-x))
    logistic = function([x], s)
    s2 = (1 + T.tanh(x / 2)) / 2
    logistic2 = function([x], s2)
    value = np.array([[0, 1], [-1, -2]], dtype="float64")
    np.testing.assert_allclose(logistic([[0, 1], [-1, -2]]), 1 / (1 + np.exp(-value)), **TOL)
    np.testing.assert_allclose(logistic2([[0, 1], [-1, -2]]), 1 / (1 + np.exp(-value)), **TOL)

    a, b = T.dmatrices('a', 'b')
    diff = a - b
    abs_diff = abs(diff)
    diff_squared = diff**2
    f = function([a, b], [diff, abs_diff, diff_squared])
    got = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    d = np.array([[1.0, 0.0], [-1.0, -2.0]])
    for out, want in zip(got, [d, np.abs(d), d ** 2], strict=True):
        np.testing.assert_array_equal(out, want)


def test_in_default_values():
    x, y = T.dscalars('x', 'y')
    z = x + y
    f = function([x, In(y, value=1)], z)
    assert f(33) == 34.0
    assert f(33, 2) == 35.0

    x, y, w = T.dscalars('x', 'y', 'w')
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name='w_by_name')], z)
    assert f(33) == 68.0
    assert f(33, 2) == 70.0
    assert f(33, 0, 1) == 33.0
    assert f(33, w_by_name=1) == 34.0
    assert f(33, w_by_name=1, y=0) == 33.0


def test_shared_variable_accumulator():
    state = shared(0)
    inc = T.iscalar('inc')
    accumulator = function([inc], state, updates=[(state, state+inc)])

    # the same accumulator in plain Python: returns the old state, then adds
    expected_state = 0
    assert state.get_value() == expected_state
    for step in (1, 300):
        assert accumulator(step) == expected_state
        expected_state += step
        assert state.get_value() == expected_state
    assert state.get_value() == 301

    state.set_value(-1)
    assert accumulator(3) == -1
    assert state.get_value() == 2

    decrementor = function([inc], state, updates=[(state, state-inc)])
    assert decrementor(2) == 2
    assert state.get_value() == 0

    fn_of_state = state * 2 + inc
    # The type of foo must match the shared variable we are replacing
    # with the ``givens``
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert skip_shared(1, 3) == 7  # we're using 3 for the state, not state.value
    assert state.get_value() == 0  # old state still there, but we didn't use it
