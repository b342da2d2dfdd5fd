"""conv2d against a direct loop and scipy.signal in float64: every border mode, strides,
dilation, flipping; gradients of Conv2d and of its two gradient ops; dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.verify import verify_grad
from nbgraph.core.types import TensorType
from nbgraph.ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights
from nbgraph.tensor.nnet import conv as old_conv

IMAGE, KERNEL = (2, 3, 7, 6), (4, 3, 3, 2)


def _var(shape: tuple[int, ...], dtype: str = "float64", static: bool = False) -> T.TensorVariable:
    return TensorType(dtype, shape=shape if static else (None,) * len(shape))()


def _conv_loop(x: np.ndarray, w: np.ndarray, pads: tuple[int, int], stride=(1, 1),
               flip: bool = True, dilation=(1, 1)) -> np.ndarray:
    """The definition, one output element at a time."""
    if flip:
        w = w[:, :, ::-1, ::-1]
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[0]), (pads[1], pads[1])))
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    span_h, span_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    oh, ow = (h - span_h) // stride[0] + 1, (wd - span_w) // stride[1] + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r, c = i * stride[0], j * stride[1]
            patch = x[:, :, r:r + span_h:dilation[0], c:c + span_w:dilation[1]]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out


def _pads(mode, kernel=KERNEL) -> tuple[int, int]:
    kh, kw = kernel[2:]
    return {"valid": (0, 0), "full": (kh - 1, kw - 1), "half": (kh // 2, kw // 2)}.get(
        mode, (mode, mode) if isinstance(mode, int) else mode)


def _run_conv(x: np.ndarray, w: np.ndarray, **kwargs) -> np.ndarray:
    vx, vw = _var(x.shape, str(x.dtype)), _var(w.shape, str(w.dtype))
    return function([vx, vw], T.nnet.conv2d(vx, vw, **kwargs))(x, w)


MODES = ["valid", "full", "half", 1, (2, 1)]


@pytest.mark.parametrize("mode", MODES, ids=str)
@pytest.mark.parametrize("stride", [(1, 1), (2, 3)], ids=str)
@pytest.mark.parametrize("flip", [True, False], ids=["conv", "corr"])
def test_conv2d_matches_loop(mode, stride, flip, rng):
    x, w = rng.normal(size=IMAGE), rng.normal(size=KERNEL)
    got = _run_conv(x, w, border_mode=mode, subsample=stride, filter_flip=flip)
    np.testing.assert_allclose(got, _conv_loop(x, w, _pads(mode), stride, flip),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_conv2d_matches_scipy(mode, rng):
    x, w = rng.normal(size=IMAGE), rng.normal(size=KERNEL)
    expected = np.array([[sum(signal.convolve2d(x[n, c], w[f, c], mode=mode)
                              for c in range(IMAGE[1])) for f in range(KERNEL[0])]
                         for n in range(IMAGE[0])])
    np.testing.assert_allclose(_run_conv(x, w, border_mode=mode), expected, rtol=1e-12,
                               atol=1e-12)


@pytest.mark.parametrize("mode", ["valid", "half", "full"])
def test_conv2d_dilation(mode, rng):
    x, w = rng.normal(size=(1, 2, 9, 8)), rng.normal(size=(3, 2, 3, 3))
    pads = {"valid": (0, 0), "half": (2, 1), "full": (4, 2)}[mode]
    got = _run_conv(x, w, border_mode=mode, filter_dilation=(2, 1))
    np.testing.assert_allclose(got, _conv_loop(x, w, pads, dilation=(2, 1)), rtol=1e-12,
                               atol=1e-12)


def test_conv2d_static_shapes():
    x, w = _var(IMAGE, static=True), _var(KERNEL, static=True)
    assert T.nnet.conv2d(x, w).type.shape == (2, 4, 5, 5)
    assert T.nnet.conv2d(x, w, border_mode="full").type.shape == (2, 4, 9, 7)
    assert T.nnet.conv2d(x, w, border_mode="half", subsample=(2, 2)).type.shape == (2, 4, 4, 4)
    # given shapes refine unknown static dimensions
    out = T.nnet.conv2d(_var(IMAGE), _var(KERNEL), input_shape=(None, 3, 7, 6),
                        filter_shape=KERNEL)
    assert out.type.shape == (None, 4, 5, 5)


@pytest.mark.parametrize("mode", MODES, ids=str)
@pytest.mark.parametrize("stride", [(1, 1), (2, 3)], ids=str)
def test_conv2d_grads(mode, stride, rng):
    x, w = rng.normal(size=IMAGE), rng.normal(size=KERNEL)
    verify_grad(lambda a, b: T.nnet.conv2d(a, b, border_mode=mode, subsample=stride), [x, w],
                rng=rng)


def test_conv2d_grads_correlation_and_dilation(rng):
    x, w = rng.normal(size=(1, 2, 8, 7)), rng.normal(size=(2, 2, 2, 3))
    verify_grad(lambda a, b: T.nnet.conv2d(a, b, border_mode="half", filter_flip=False,
                                           filter_dilation=(2, 2)), [x, w], rng=rng)


def test_conv2d_grad_ops_are_used():
    x, w = _var(IMAGE), _var(KERNEL)
    gx, gw = T.grad(T.nnet.conv2d(x, w).sum(), [x, w])
    assert isinstance(gx.owner.op, Conv2dGradInputs)
    assert isinstance(gw.owner.op, Conv2dGradWeights)


@pytest.mark.parametrize("mode, stride", [("valid", (1, 1)), ("half", (2, 2)), ("full", (1, 2))])
def test_gradient_ops_grads(mode, stride, rng):
    # the gradient ops are differentiable too (second derivatives of conv2d)
    x, w = rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2))
    params = dict(border_mode=mode, subsample=stride)
    top = _run_conv(x, w, **params)
    image_hw = np.array(x.shape[2:], dtype="int64")
    kernel_hw = np.array(w.shape[2:], dtype="int64")
    verify_grad(lambda k, g: Conv2dGradInputs(**params)(k, g, image_hw), [w, top], rng=rng)
    verify_grad(lambda i, g: Conv2dGradWeights(**params)(i, g, kernel_hw), [x, top], rng=rng)


def test_gradient_ops_match_numpy_adjoint(rng):
    # <conv(x, w), g> = <x, gradInputs(w, g)> = <w, gradWeights(x, g)>
    x, w = rng.normal(size=IMAGE), rng.normal(size=KERNEL)
    params = dict(border_mode="full", subsample=(2, 1))
    out = _run_conv(x, w, **params)
    g = rng.normal(size=out.shape)
    vw, vg, vx = _var(KERNEL), _var(out.shape), _var(IMAGE)
    gx = function([vw, vg], Conv2dGradInputs(**params)(vw, vg, np.array(IMAGE[2:])))(w, g)
    gw = function([vx, vg], Conv2dGradWeights(**params)(vx, vg, np.array(KERNEL[2:])))(x, g)
    np.testing.assert_allclose(np.sum(out * g), np.sum(x * gx), rtol=1e-12)
    np.testing.assert_allclose(np.sum(out * g), np.sum(w * gw), rtol=1e-12)


def test_old_conv_api(rng):
    x, w = rng.normal(size=IMAGE), rng.normal(size=KERNEL)
    vx, vw = _var(IMAGE), _var(KERNEL)
    out = old_conv.conv2d(vx, vw, image_shape=IMAGE, filter_shape=KERNEL, border_mode="full",
                          subsample=(1, 2))
    np.testing.assert_allclose(function([vx, vw], out)(x, w),
                               _conv_loop(x, w, _pads("full"), (1, 2)), rtol=1e-12)
    assert T.nnet.conv.conv2d is old_conv.conv2d
    with pytest.raises(ValueError, match="'valid' or 'full'"):
        old_conv.conv2d(vx, vw, border_mode="half")


def test_conv2d_float32_stays_float32(rng):
    x, w = rng.normal(size=IMAGE).astype("float32"), rng.normal(size=KERNEL).astype("float32")
    vx, vw = _var(IMAGE, "float32"), _var(KERNEL, "float32")
    out = T.nnet.conv2d(vx, vw, border_mode="half")
    gx, gw = T.grad(out.sum(), [vx, vw])
    assert out.dtype == gx.dtype == gw.dtype == "float32"
    values = function([vx, vw], [out, gx, gw])(x, w)
    assert [v.dtype for v in values] == [np.float32] * 3
    np.testing.assert_allclose(values[0], _conv_loop(x.astype("float64"), w.astype("float64"),
                                                     _pads("half")), rtol=1e-4, atol=1e-4)


def test_conv2d_build_time_errors():
    x = _var(IMAGE, static=True)
    with pytest.raises(ValueError, match=r"input has 3 channels but the filters expect 2"):
        T.nnet.conv2d(x, _var((4, 2, 3, 3), static=True))
    with pytest.raises(ValueError, match=r"do not fit the padded input"):
        T.nnet.conv2d(x, _var((4, 3, 8, 3), static=True))
    with pytest.raises(TypeError, match=r"filters must be 4-d, got float64\[\?,\?,\?\]"):
        T.nnet.conv2d(x, _var((4, 3, 3)))
    with pytest.raises(ValueError, match="border_mode must be"):
        T.nnet.conv2d(x, _var(KERNEL), border_mode="same")
    with pytest.raises(ValueError, match="subsample and filter_dilation must be >= 1"):
        T.nnet.conv2d(x, _var(KERNEL), subsample=(0, 1))
    with pytest.raises(ValueError, match="does not match the given shape"):
        T.nnet.conv2d(x, _var(KERNEL), input_shape=(2, 3, 8, 6))


def test_conv2d_run_time_errors(rng):
    vx, vw = _var(IMAGE), _var(KERNEL)
    f = function([vx, vw], T.nnet.conv2d(vx, vw))
    with pytest.raises(ValueError, match=r"Conv2d.*at node \d+: the input has 2 channels"):
        f(rng.normal(size=(2, 2, 7, 6)), rng.normal(size=KERNEL))
    with pytest.raises(ValueError, match="do not fit"):
        f(rng.normal(size=(2, 3, 2, 6)), rng.normal(size=KERNEL))
    g = function([vx, vw], Conv2d(imshp=(None, 3, 7, 6))(vx, vw))
    with pytest.raises(ValueError, match=r"input has shape \(2, 3, 8, 6\), declared"):
        g(rng.normal(size=(2, 3, 8, 6)), rng.normal(size=KERNEL))
