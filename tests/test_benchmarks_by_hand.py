"""The benchmarks' NumPy-by-hand models (the reference nbgraph is checked against before it is
timed): their gradients against central finite differences, on small float64 models."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import by_hand


def _finite_differences(loss, p, name, eps=1e-6):
    g = np.zeros_like(p[name])
    for index in np.ndindex(g.shape):
        saved = p[name][index]
        p[name][index] = saved + eps
        up = loss(p)
        p[name][index] = saved - eps
        down = loss(p)
        p[name][index] = saved
        g[index] = (up - down) / (2 * eps)
    return g


def _lstm():
    rng = np.random.default_rng(0)
    n, nin = 3, 2
    p = {"W": rng.standard_normal((nin, 4 * n)) * 0.5, "U": rng.standard_normal((n, 4 * n)) * 0.5,
         "b": rng.standard_normal(4 * n) * 0.1, "V": rng.standard_normal((n, 1))}
    X, y = rng.standard_normal((4, 2, nin)), rng.standard_normal((2, 1))
    return by_hand.lstm_grads, p, (X, y)


def _lenet():
    rng = np.random.default_rng(1)
    p = {"W1": rng.standard_normal((2, 1, 5, 5)) * 0.3,
         "W2": rng.standard_normal((3, 2, 5, 5)) * 0.3,
         "W3": rng.standard_normal((3, 4)), "b3": rng.standard_normal(4) * 0.1}
    X, Y = rng.standard_normal((2, 1, 16, 16)), np.eye(4)[[1, 3]]
    return by_hand.lenet_grads, p, (X, Y)


@pytest.mark.parametrize("model", [_lstm, _lenet], ids=["lstm", "lenet"])
def test_gradients_by_hand_match_finite_differences(model):
    grads_of, p, args = model()
    loss, grads = grads_of(p, *args)
    assert loss == pytest.approx(grads_of(p, *args)[0])    # the parameters are left alone
    for name in p:
        want = _finite_differences(lambda q: grads_of(q, *args)[0], p, name)
        np.testing.assert_allclose(grads[name], want, rtol=1e-5, atol=1e-8, err_msg=name)


def test_sgd_step_moves_against_the_gradient():
    grads_of, p, args = _lstm()
    _, grads = grads_of(p, *args)
    before = {k: v.copy() for k, v in p.items()}
    by_hand.lstm_step(p, *args, 0.1)
    for k in p:
        np.testing.assert_allclose(p[k], before[k] - 0.1 * grads[k], rtol=1e-12)
