"""Batch normalization: the inference formula, Theano 1.0's train and test forms against
NumPy in float64 (per-activation and spatial), running averages, gradients by finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor.nnet import bn


def test_batch_normalization_formula(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(5, 3))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    mu, std = xv.mean(0), xv.std(0) + 1e-4
    got = bn.batch_normalization(x, gamma, beta, mu, std).eval({x: xv})
    np.testing.assert_allclose(got, (xv - mu) * (gamma / std) + beta, rtol=1e-13)
    verify_grad(lambda a: bn.batch_normalization(a, gamma, beta, a.mean(0), a.std(0) + 1e-4),
                [xv], rng=rng)
    with pytest.raises(ValueError, match="mode must be"):
        bn.batch_normalization(x, gamma, beta, mu, std, mode="fast")


@pytest.mark.parametrize("axes, np_axes", [("per-activation", (0,)), ("spatial", (0, 2, 3)),
                                           ((0, 3), (0, 3))])
def test_train_and_test_forms(axes, np_axes, rng):
    x = T.dtensor4("x")
    xv = rng.normal(size=(4, 3, 2, 5))
    param_shape = tuple(1 if i in np_axes else s for i, s in enumerate(xv.shape))
    gamma, beta = rng.normal(size=param_shape), rng.normal(size=param_shape)
    run_mean, run_var = rng.normal(size=param_shape), rng.uniform(1, 2, param_shape)
    outs = bn.batch_normalization_train(x, gamma, beta, axes, 1e-3, 0.3, run_mean, run_var)
    out, mu, invstd, new_mean, new_var = th.function([x], list(outs))(xv)
    want_mu = xv.mean(np_axes, keepdims=True)
    want_var = xv.var(np_axes, keepdims=True)
    np.testing.assert_allclose(mu, want_mu, rtol=1e-12)
    np.testing.assert_allclose(invstd, 1 / np.sqrt(want_var + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(out, (xv - want_mu) * gamma / np.sqrt(want_var + 1e-3) + beta,
                               rtol=1e-12)
    m = np.prod([xv.shape[a] for a in np_axes])
    np.testing.assert_allclose(new_mean, run_mean * 0.7 + want_mu * 0.3, rtol=1e-12)
    np.testing.assert_allclose(new_var, run_var * 0.7 + want_var * m / (m - 1) * 0.3,
                               rtol=1e-12)
    test_out = bn.batch_normalization_test(x, gamma, beta, run_mean, run_var, axes, 1e-3)
    np.testing.assert_allclose(test_out.eval({x: xv}),
                               (xv - run_mean) * gamma / np.sqrt(run_var + 1e-3) + beta,
                               rtol=1e-12)
    verify_grad(lambda a, g: bn.batch_normalization_train(a, g, beta, axes)[0], [xv, gamma],
                rng=rng)


def test_parameters_without_the_normalized_axes(rng):
    x = T.dtensor4("x")
    xv = rng.normal(size=(4, 3, 2, 2))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)   # one per channel
    out = bn.batch_normalization_train(x, gamma, beta, "spatial")[0].eval({x: xv})
    mu, var = xv.mean((0, 2, 3), keepdims=True), xv.var((0, 2, 3), keepdims=True)
    want = (xv - mu) / np.sqrt(var + 1e-4) * gamma[None, :, None, None] \
        + beta[None, :, None, None]
    np.testing.assert_allclose(out, want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"gamma float64\[2,2\] must have 4 or 1 dim"):
        bn.batch_normalization_train(x, np.ones((2, 2)), beta, "spatial")
    with pytest.raises(ValueError, match="give both running_mean and running_var"):
        bn.batch_normalization_train(x, gamma, beta, "spatial", running_mean=gamma)
