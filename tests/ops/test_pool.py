"""pool_2d against a per-window loop in float64 (every mode, strides, padding, borders);
gradients of Pool and of its gradient ops by finite differences; shapes, dtypes, errors."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.core.types import TensorType
from nbgraph.ops.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
    pool_2d,
)
from nbgraph.tensor.signal import pool

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]
REDUCE = {"max": np.max, "sum": np.sum, "average_inc_pad": np.mean, "average_exc_pad": np.mean}


def _pool_loop(x: np.ndarray, ws, ignore_border: bool, stride, pad, mode: str) -> np.ndarray:
    """The definition (Theano's ``Pool.perform``), one window at a time."""
    stride = stride or ws
    (h, w), (ph, pw) = x.shape[-2:], pad
    hp, wp = h + 2 * ph, w + 2 * pw
    padded = np.zeros((*x.shape[:-2], hp, wp))
    padded[..., ph:ph + h, pw:pw + w] = x

    def count(n: int, k: int, s: int) -> int:
        if ignore_border:
            return max((n - k) // s + 1, 0)
        return (n - 1) // s + 1 if s >= k else max(0, (n - 1 - k + s) // s) + 1

    oh, ow = count(hp, ws[0], stride[0]), count(wp, ws[1], stride[1])
    out = np.zeros((*x.shape[:-2], oh, ow))
    for r, c in itertools.product(range(oh), range(ow)):
        r0, c0 = r * stride[0], c * stride[1]
        r1, c1 = min(r0 + ws[0], hp), min(c0 + ws[1], wp)
        if mode != "average_inc_pad":   # only the image, never the padding
            r0, c0, r1, c1 = max(r0, ph), max(c0, pw), min(r1, hp - ph), min(c1, wp - pw)
        out[..., r, c] = REDUCE[mode](padded[..., r0:r1, c0:c1], axis=(-2, -1))
    return out


def _var(ndim: int, dtype: str = "float64") -> T.TensorVariable:
    return TensorType(dtype, shape=(None,) * ndim)()


CASES = [(ws, stride, ignore_border, pad)
         for ws, stride, ignore_border, pad in itertools.product(
             [(2, 2), (3, 2)], [None, (1, 1), (2, 3), (4, 1)], [True, False], [(0, 0), (1, 1)])
         if ignore_border or pad == (0, 0)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws, stride, ignore_border, pad", CASES, ids=str)
def test_pool_matches_loop(ws, stride, ignore_border, pad, mode, rng):
    x = rng.normal(size=(2, 3, 7, 6))
    v = _var(4)
    got = th.function([v], pool_2d(v, ws, ignore_border, stride, pad, mode))(x)
    np.testing.assert_allclose(got, _pool_loop(x, ws, ignore_border, stride, pad, mode),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ignore_border, stride, pad", [(True, (2, 1), (1, 1)),
                                                       (False, (2, 3), (0, 0)),
                                                       (True, None, (0, 0))], ids=str)
def test_pool_gradients(mode, ignore_border, stride, pad, rng):
    x = rng.normal(size=(2, 2, 6, 5))
    verify_grad(lambda a: pool_2d(a, (3, 2), ignore_border, stride, pad, mode), [x], rng=rng)


def test_pool_gradient_ops_are_used():
    x = _var(4)
    assert isinstance(T.grad(pool_2d(x, (2, 2), True).sum(), x).owner.op, MaxPoolGrad)
    g = T.grad(pool_2d(x, (2, 2), True, mode="sum").sum(), x)
    assert isinstance(g.owner.op, AveragePoolGrad)


@pytest.mark.parametrize("params", [dict(ignore_border=True, stride=(1, 2), pad=(1, 0)),
                                    dict(ignore_border=False, stride=(3, 3))], ids=str)
def test_max_gradient_ops_are_differentiable(params, rng):
    # second derivatives: MaxPoolGrad is linear in gz, DownsampleFactorMaxGradGrad is its
    # adjoint; both are piecewise constant in x and maxout
    x = rng.normal(size=(1, 2, 6, 5))
    op = Pool((2, 2), **params)
    pooled = th.function([v := _var(4)], op(v))(x)
    gz = rng.normal(size=pooled.shape)
    verify_grad(lambda a, g: MaxPoolGrad(**op.params())(a, op(a), g), [x, gz], rng=rng)
    ggx = rng.normal(size=x.shape)
    verify_grad(lambda a, g: DownsampleFactorMaxGradGrad(**op.params())(a, op(a), g),
                [x, ggx], rng=rng)


@pytest.mark.parametrize("mode", ["sum", "average_inc_pad", "average_exc_pad"])
def test_average_gradient_op_is_differentiable(mode, rng):
    x = rng.normal(size=(1, 2, 6, 5))
    op = Pool((3, 2), True, (2, 1), (1, 1), mode)
    gz = rng.normal(size=th.function([v := _var(4)], op(v))(x).shape)
    verify_grad(lambda g: AveragePoolGrad(**op.params())(T.constant(x), g), [gz], rng=rng)


def test_gradient_ops_are_adjoint(rng):
    # <pool(x), g> = <x, AveragePoolGrad(g)>; <MaxPoolGrad(gz), ggx> = <gz, GradGrad(ggx)>
    x = rng.normal(size=(2, 1, 7, 6))
    op = Pool((3, 3), True, (2, 2), (1, 2), "average_inc_pad")
    v, g = _var(4), _var(4)
    pooled = th.function([v], op(v))(x)
    gz = rng.normal(size=pooled.shape)
    back = th.function([v, g], AveragePoolGrad(**op.params())(v, g))(x, gz)
    np.testing.assert_allclose(np.sum(pooled * gz), np.sum(x * back), rtol=1e-12)
    mop = Pool((2, 3), False, (1, 2), mode="max")
    top = rng.normal(size=th.function([v], mop(v))(x).shape)
    ggx = rng.normal(size=x.shape)
    gx = th.function([v, g], MaxPoolGrad(**mop.params())(v, mop(v), g))(x, top)
    gg = th.function([v, g], DownsampleFactorMaxGradGrad(**mop.params())(v, mop(v), g))(x, ggx)
    np.testing.assert_allclose(np.sum(gx * ggx), np.sum(top * gg), rtol=1e-12)


def test_max_pool_ties_share_the_gradient():
    # g / k to each of k tied maxima, as the max reduction (tests/core/test_grad_pool_ties.py)
    x = T.dmatrix("x")
    g = T.grad(pool_2d(x, (2, 2), True).sum(), x)
    np.testing.assert_array_equal(g.eval({x: np.ones((2, 2))}), np.full((2, 2), 0.25))


def test_static_shapes_and_other_ranks(rng):
    x = TensorType("float64", shape=(2, 3, 7, 6))()
    assert pool_2d(x, (2, 2), True).type.shape == (2, 3, 3, 3)
    assert pool_2d(x, (2, 2), False).type.shape == (2, 3, 4, 3)
    assert pool_2d(x, (3, 3), True, (1, 1), (1, 1)).type.shape == (2, 3, 7, 6)
    assert pool_2d(x, (8, 2), True).type.shape == (2, 3, 0, 3)
    for shape in [(5, 4), (2, 5, 4), (1, 2, 3, 5, 4)]:
        value = rng.normal(size=shape)
        v = _var(len(shape))
        got = th.function([v], pool_2d(v, (2, 3), False))(value)
        np.testing.assert_allclose(got, _pool_loop(value, (2, 3), False, None, (0, 0), "max"))
    empty = th.function([v := _var(4)], pool_2d(v, (8, 2), True))(rng.normal(size=(1, 1, 7, 4)))
    assert empty.shape == (1, 1, 0, 2)


def test_float32_and_int_inputs(rng):
    x = rng.normal(size=(1, 2, 6, 6)).astype("float32")
    v = _var(4, "float32")
    out = pool_2d(v, (2, 2), True, mode="average_exc_pad")
    g = T.grad(out.sum(), v)
    assert out.dtype == g.dtype == "float32"
    got, gx = th.function([v], [out, g])(x)
    assert got.dtype == gx.dtype == np.float32
    np.testing.assert_allclose(got, _pool_loop(x.astype("float64"), (2, 2), True, None,
                                               (0, 0), "average_exc_pad"), rtol=1e-6)
    ints = rng.integers(-50, 50, (2, 5, 5))
    iv = _var(3, "int64")
    np.testing.assert_array_equal(th.function([iv], pool_2d(iv, (2, 2), False))(ints),
                                  _pool_loop(ints, (2, 2), False, None, (0, 0), "max"))


def test_ignore_border_default_and_deprecated_names(rng):
    x = _var(4)
    with pytest.warns(UserWarning, match="ignore_border defaults to False"):
        out = pool_2d(x, (2, 2))
    assert out.owner.op.ignore_border is False
    with pytest.warns(DeprecationWarning) as record:
        old = pool.pool_2d(x, ds=(2, 2), st=(1, 1), ignore_border=True)
    assert [str(w.message) for w in record] == ["pool_2d: ds is deprecated, use ws",
                                                "pool_2d: st is deprecated, use stride"]
    assert old.owner.op.ws == (2, 2) and old.owner.op.stride == (1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pool.pool_2d(x, ws=(2, 2), ignore_border=True)


def test_max_pool_2d_same_size(rng):
    x = rng.normal(size=(1, 1, 4, 4))
    v = _var(4)
    got = th.function([v], pool.max_pool_2d_same_size(v, (2, 2)))(x)
    blocks = x.reshape(1, 1, 2, 2, 2, 2).max(axis=(3, 5))
    winners = x == np.repeat(np.repeat(blocks, 2, axis=2), 2, axis=3)
    np.testing.assert_array_equal(got, np.where(winners, x, 0))


def test_lenet_layer_trains(rng):
    # the LeNet tutorial's LeNetConvPoolLayer: tanh(pool(conv(x, W)) + b), and its gradient
    x = T.tensor4("x")
    w = th.shared(rng.normal(size=(3, 1, 3, 3)) * 0.3, name="W")
    b = th.shared(np.zeros(3), name="b")
    out = T.tanh(pool.pool_2d(T.nnet.conv2d(x, w), ws=(2, 2), ignore_border=True)
                 + b.dimshuffle("x", 0, "x", "x"))
    cost = T.sqr(out).mean()
    gw, gb = T.grad(cost, [w, b])
    step = th.function([x], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)])
    images = rng.normal(size=(4, 1, 8, 8))
    costs = [float(step(images)) for _ in range(5)]
    assert costs[-1] < costs[0]


def test_errors(rng):
    with pytest.raises(TypeError, match=r"at least 2 dimensions, got float64\[\?\]"):
        pool_2d(_var(1), (2, 2), True)
    with pytest.raises(ValueError, match="padding works only with ignore_border=True"):
        pool_2d(_var(4), (2, 2), False, pad=(1, 1))
    with pytest.raises(ValueError, match=r"padding \(2, 0\) must be smaller than the window"):
        pool_2d(_var(4), (2, 2), True, pad=(2, 0))
    with pytest.raises(ValueError, match="mode must be one of"):
        pool_2d(_var(4), (2, 2), True, mode="average")
    with pytest.raises(ValueError, match="ws must be a pair of ints"):
        pool_2d(_var(4), (2, 2.5), True)
    with pytest.raises(ValueError, match="give the window size ws"):
        pool_2d(_var(4), ignore_border=True)
    x = TensorType("float64", shape=(1, 1, 6, 6))()
    with pytest.raises(ValueError, match=r"gz \(float64\[1,1,2,2\]\) does not match the "
                                         r"pooled shape \(1, 1, 3, 3\)"):
        AveragePoolGrad((2, 2), True, mode="sum")(x, TensorType("float64",
                                                                 shape=(1, 1, 2, 2))())
    v, g = _var(4), _var(4)
    f = th.function([v, g], AveragePoolGrad((2, 2), True, mode="sum")(v, g))
    with pytest.raises(ValueError, match=r"AveragePoolGrad.* at node \d+: gz has shape "
                                         r"\(1, 1, 2, 2\), pooling an input of shape"):
        f(rng.normal(size=(1, 1, 6, 6)), rng.normal(size=(1, 1, 2, 2)))
