"""The abstract_conv entry points against a NumPy reference convolution in float64: gradient
functions (against the adjoint identity and finite differences), conv2d_transpose, grouped
and separable convolutions, conv3d (every border mode, strides, dilation) and the
output-shape helper."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor.nnet import abstract_conv as ac


def reference_conv(x, w, pads, strides=None, dilation=None, flip=True):
    """Direct N-d cross-correlation (of the flipped filters when ``flip``): x (n, c, *s),
    w (f, c, *k)."""
    nd = x.ndim - 2
    strides, dilation = strides or (1,) * nd, dilation or (1,) * nd
    if flip:
        w = w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd]
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pads])
    spans = [(k - 1) * d + 1 for k, d in zip(w.shape[2:], dilation, strict=True)]
    outs = [(s - sp) // st + 1 for s, sp, st in zip(x.shape[2:], spans, strides, strict=True)]
    out = np.zeros((x.shape[0], w.shape[0], *outs))
    for tap in np.ndindex(*w.shape[2:]):
        index = tuple(slice(t * d, t * d + st * (o - 1) + 1, st)
                      for t, d, st, o in zip(tap, dilation, strides, outs, strict=True))
        window = x[(slice(None), slice(None)) + index]          # (n, c, *outs)
        out += np.einsum("nc...,fc->nf...", window, w[(slice(None), slice(None)) + tap])
    return out


def test_gradient_functions_are_the_adjoints(rng):
    x, w, gy = T.dtensor4("x"), T.dtensor4("w"), T.dtensor4("gy")
    xv, wv = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2))
    y = T.nnet.conv2d(x, w, border_mode=(1, 0), subsample=(2, 1))
    gyv = rng.normal(size=th.function([x, w], y)(xv, wv).shape)
    dx = ac.conv2d_grad_wrt_inputs(gy, w, (2, 3, 7, 6), border_mode=(1, 0), subsample=(2, 1))
    dw = ac.conv2d_grad_wrt_weights(x, gy, (4, 3, 3, 2), border_mode=(1, 0), subsample=(2, 1))
    gx_want, gw_want = th.grad(T.sum(y * gy), [x, w])
    got = th.function([x, w, gy], [dx, dw, gx_want, gw_want])(xv, wv, gyv)
    np.testing.assert_allclose(got[0], got[2], rtol=1e-12)
    np.testing.assert_allclose(got[1], got[3], rtol=1e-12)
    # <conv(x, w), gy> == <x, dx>: the transpose of the convolution
    ref = reference_conv(xv, wv, (1, 0), (2, 1))
    np.testing.assert_allclose(np.sum(ref * gyv), np.sum(xv * got[0]), rtol=1e-12)


@pytest.mark.parametrize("dilation", [(1, 1), (2, 2)])
def test_conv2d_transpose_upsamples(dilation, rng):
    h, w = T.dtensor4("h"), T.dtensor4("w")
    hv, wv = rng.normal(size=(2, 4, 5, 5)), rng.normal(size=(4, 3, 3, 3))
    out_shape = (2, 3, (5 - 1) * dilation[0] + 3, (5 - 1) * dilation[1] + 3)
    up = T.nnet.conv2d_transpose(h, w, out_shape, input_dilation=dilation)
    got = up.eval({h: hv, w: wv})
    assert got.shape == out_shape
    # adjoint of the strided conv: <conv(z, w), h> == <z, up>
    z = rng.normal(size=out_shape)
    forward = reference_conv(z, wv, (0, 0), dilation)
    np.testing.assert_allclose(np.sum(forward * hv), np.sum(z * got), rtol=1e-12)
    verify_grad(lambda a, b: T.nnet.conv2d_transpose(a, b, out_shape, input_dilation=dilation),
                [hv, wv], rng=rng)


def test_grouped_conv2d(rng):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    xv, wv = rng.normal(size=(2, 6, 5, 5)), rng.normal(size=(4, 3, 3, 3))
    got = T.nnet.conv2d(x, w, num_groups=2, border_mode="half").eval({x: xv, w: wv})
    want = np.concatenate([reference_conv(xv[:, :3], wv[:2], (1, 1)),
                           reference_conv(xv[:, 3:], wv[2:], (1, 1))], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    verify_grad(lambda a, b: T.nnet.conv2d(a, b, num_groups=2), [xv, wv], rng=rng)
    gy = T.dtensor4("gy")
    gyv = rng.normal(size=(2, 4, 3, 3))
    dx = ac.conv2d_grad_wrt_inputs(gy, w, (2, 6, 5, 5), num_groups=2).eval({gy: gyv, w: wv})
    dw = ac.conv2d_grad_wrt_weights(x, gy, (4, 3, 3, 3), num_groups=2).eval({x: xv, gy: gyv})
    y = T.nnet.conv2d(x, w, num_groups=2)
    want_dx, want_dw = th.function([x, w, gy], th.grad(T.sum(y * gy), [x, w]))(xv, wv, gyv)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12)
    np.testing.assert_allclose(dw, want_dw, rtol=1e-12)
    with pytest.raises(ValueError, match="5 input channels do not split into 2 groups"):
        T.nnet.conv2d(T.tensor("float64", shape=(None, 5, None, None)), w, num_groups=2)


def test_separable_conv2d(rng):
    x, dw, pw = T.dtensor4("x"), T.dtensor4("dw"), T.dtensor4("pw")
    xv = rng.normal(size=(2, 3, 6, 6))
    dwv, pwv = rng.normal(size=(6, 1, 3, 3)), rng.normal(size=(4, 6, 1, 1))
    got = T.nnet.separable_conv2d(x, dw, pw, num_channels=3).eval({x: xv, dw: dwv, pw: pwv})
    depth = np.concatenate([reference_conv(xv[:, c:c + 1], dwv[2 * c:2 * c + 2], (0, 0))
                            for c in range(3)], axis=1)
    np.testing.assert_allclose(got, reference_conv(depth, pwv, (0, 0)), rtol=1e-12)


@pytest.mark.parametrize("border_mode, subsample, dilation, pads", [
    ("valid", (1, 1, 1), (1, 1, 1), (0, 0, 0)), ("full", (1, 1, 1), (1, 1, 1), (1, 2, 1)),
    ("half", (2, 1, 2), (1, 1, 1), (1, 1, 0)), ((1, 0, 2), (1, 2, 1), (2, 1, 1), (1, 0, 2))])
@pytest.mark.parametrize("flip", [True, False])
def test_conv3d(border_mode, subsample, dilation, pads, flip, rng):
    x, w = T.dtensor5("x"), T.tensor("float64", shape=(None, None, 2, 3, 2))
    xv, wv = rng.normal(size=(2, 2, 5, 6, 5)), rng.normal(size=(3, 2, 2, 3, 2))
    y = T.nnet.conv3d(x, w, border_mode=border_mode, subsample=subsample,
                      filter_dilation=dilation, filter_flip=flip)
    if border_mode == "half":
        pads = tuple(((k - 1) * d + 1) // 2 for k, d in zip((2, 3, 2), dilation, strict=True))
    want = reference_conv(xv, wv, pads, subsample, dilation, flip)
    np.testing.assert_allclose(y.eval({x: xv, w: wv}), want, rtol=1e-12)


def test_conv3d_gradient_and_errors(rng):
    xv, wv = rng.normal(size=(1, 2, 4, 4, 3)), rng.normal(size=(2, 2, 2, 2, 2))
    verify_grad(lambda a, b: T.nnet.conv3d(a, b, filter_shape=(2, 2, 2, 2, 2),
                                           border_mode="half"), [xv, wv], rng=rng)
    with pytest.raises(ValueError, match="the filters' depth must be known"):
        T.nnet.conv3d(T.dtensor5(), T.dtensor5())
    with pytest.raises(TypeError, match="needs 5-d input and filters"):
        T.nnet.conv3d(T.dtensor4(), T.dtensor5())


def test_get_conv_output_shape():
    assert ac.get_conv_output_shape((8, 3, 28, 28), (16, 3, 5, 5), "valid", (1, 1)) == \
        (8, 16, 24, 24)
    assert ac.get_conv_output_shape((8, 3, 28, 28), (16, 3, 5, 5), "half", (2, 2)) == \
        (8, 16, 14, 14)
    assert ac.get_conv_output_shape((1, 1, 9, 9, 9), (1, 1, 3, 3, 3), (1, 0, 0), (1, 1, 2),
                                    (2, 1, 1)) == (1, 1, 7, 7, 4)
    assert ac.AbstractConv2d is T.nnet.Conv2d
