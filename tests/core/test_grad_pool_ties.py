"""Max pooling's gradient at tied maxima: each of a window's k maxima gets gz / k, as the max
reduction's gradient and jax.grad of jnp.max over the window do (it gave all of gz to every
tie before), on every linker, with overlapping and padded windows, and its grad-of-grad."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.ops.pool import MaxPoolGrad
from nbgraph.tensor.signal.pool import pool_2d

MODES = ["FAST_COMPILE", "FAST_RUN", "JAX"]
X = np.array([[[[1.0, 1, 0, 2], [1, 0, 2, 2], [3, 3, 3, 0], [3, 0, 1, 1]]]])
PARAMS = [dict(ws=(2, 2)), dict(ws=(2, 2), stride=(1, 1)), dict(ws=(3, 3), stride=(2, 1)),
          dict(ws=(3, 3), pad=(1, 1))]
WEIGHTS = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)


def _windows(shape: tuple, ws: tuple, stride: tuple | None = None, pad: tuple = (0, 0)):
    """Each output position's window as (rows, cols) index lists into the image."""
    stride = stride or ws
    (h, w), out = shape[-2:], []
    oh = (h + 2 * pad[0] - ws[0]) // stride[0] + 1
    ow = (w + 2 * pad[1] - ws[1]) // stride[1] + 1
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0] - pad[0], j * stride[1] - pad[1]
            rows = [r for r in range(r0, r0 + ws[0]) if 0 <= r < h]
            cols = [c for c in range(c0, c0 + ws[1]) if 0 <= c < w]
            out.append(((i, j), rows, cols))
    return oh, ow, out


def _reference(x: np.ndarray, gz: np.ndarray, **params) -> np.ndarray:
    """gx with gz / k to each of a window's k maxima (analytic)."""
    *_, wins = _windows(x.shape, **params)
    gx = np.zeros_like(x)
    for (i, j), rows, cols in wins:
        block = x[0, 0][np.ix_(rows, cols)]
        ties = block == block.max()
        gx[0, 0][np.ix_(rows, cols)] += ties * gz[0, 0, i, j] / ties.sum()
    return gx


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("params", PARAMS, ids=lambda p: "-".join(f"{k}{v}" for k, v in p.items()))
def test_ties_share_the_gradient(params: dict, mode: str) -> None:
    if mode == "JAX":
        pytest.importorskip("jax")
    x = T.tensor4("x")
    out = pool_2d(x, ignore_border=True, mode="max", **params)
    g = T.grad((out * T.constant(WEIGHTS[..., :1, :1])).sum(), x)
    f = theano.function([x], [out, g], mode=mode)
    pooled, gx = f(X)
    gz = np.broadcast_to(WEIGHTS[..., :1, :1], pooled.shape)
    np.testing.assert_allclose(gx, _reference(X, gz, **params), rtol=1e-14)
    assert gx.sum() == pytest.approx(gz.sum())  # a subgradient: the total is kept


@pytest.mark.parametrize("params", PARAMS[:2], ids=["2x2", "2x2-stride1"])
def test_matches_jax_grad_of_window_max(params: dict) -> None:
    """jax.grad of jnp.max over each window (the reductions' convention) gives the same."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    *_, wins = _windows(X.shape, **params)

    def pooled(x):
        return jnp.stack([jnp.max(x[0, 0][np.ix_(rows, cols)]) for _, rows, cols in wins])

    weights = jnp.arange(1.0, len(wins) + 1.0)
    expected = jax.grad(lambda x: jnp.sum(pooled(x) * weights))(jnp.asarray(X))
    x = T.tensor4("x")
    out = pool_2d(x, ignore_border=True, mode="max", **params)
    cost = (out.flatten() * T.constant(np.asarray(weights))).sum()
    for mode in MODES:
        got = theano.function([x], T.grad(cost, x), mode=mode)(X)
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-14, err_msg=mode)


@pytest.mark.parametrize("mode", MODES)
def test_grad_of_grad_is_the_adjoint(mode: str) -> None:
    """DownsampleFactorMaxGradGrad averages ggx over the ties: <gx(gz), v> = <gz, gg(v)>."""
    if mode == "JAX":
        pytest.importorskip("jax")
    x, gz, v = T.tensor4("x"), T.tensor4("gz"), T.tensor4("v")
    out = pool_2d(x, ws=(2, 2), stride=(1, 1), ignore_border=True, mode="max")
    gx = MaxPoolGrad(ws=(2, 2), stride=(1, 1), ignore_border=True)(x, out, gz)
    gg = T.grad((gx * v).sum(), gz)
    f = theano.function([x, gz, v], [(gx * v).sum(), (gz * gg).sum()], mode=mode)
    rng = np.random.default_rng(0)
    left, right = f(X, rng.normal(size=(1, 1, 3, 3)), rng.normal(size=X.shape))
    assert left == pytest.approx(right, rel=1e-12)
