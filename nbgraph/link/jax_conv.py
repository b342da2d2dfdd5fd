"""JAX translations of convolution and pooling (the ops of ops/conv.py and ops/pool.py).

Convolutions go through ``lax.conv_general_dilated`` and their gradients are the forward's
VJP. Pooling is ``lax.reduce_window`` over the same canvas as ``pool.max_canvas`` pads;
max pooling's gradient shares ``gz`` among a window's tied maxima as ``MaxPoolGrad`` does
(XLA's own gradient gives all of it to one of them).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core.graph import Apply
from ..ops import conv, pool
from .jax_math import Translation, static_ints


# -- convolution: the forward op through XLA, its gradients as the forward's VJP --------------
def _conv(op: Any, x: Any, w: Any) -> Any:
    kh, kw = w.shape[2:]
    ph, pw = op.pads(kh, kw)
    kernel = w[:, :, ::-1, ::-1] if op.filter_flip else w
    return lax.conv_general_dilated(x, kernel, window_strides=op.subsample,
                                    padding=((ph, ph), (pw, pw)),
                                    rhs_dilation=op.filter_dilation,
                                    dimension_numbers=("NCHW", "OIHW", "NCHW"))


def _conv2d(node: Apply, x: Any, w: Any) -> Any:
    return _conv(node.op, x, w)


def _conv2d_grad_inputs(node: Apply, w: Any, top: Any, size: Any) -> Any:
    h, wd = static_ints(node, size, "the input image shape")
    x = jnp.zeros((top.shape[0], w.shape[1], h, wd), node.outputs[0].dtype)
    _, pullback = jax.vjp(lambda x_: _conv(node.op, x_, w.astype(x.dtype)), x)
    return pullback(top.astype(x.dtype))[0]


def _conv2d_grad_weights(node: Apply, x: Any, top: Any, size: Any) -> Any:
    kh, kw = static_ints(node, size, "the filter shape")
    w = jnp.zeros((top.shape[1], x.shape[1], kh, kw), node.outputs[0].dtype)
    _, pullback = jax.vjp(lambda w_: _conv(node.op, x.astype(w.dtype), w_), w)
    return pullback(top.astype(w.dtype))[0]


# -- pooling: reduce_window over the op's canvas; gradients as the forward's VJP/JVP ------
def _lowest(dtype: Any) -> Any:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return -np.inf
    return False if dtype.kind == "b" else np.iinfo(dtype).min


def _pool(op: Any, x: Any, mode: str) -> Any:
    (*lead, h, w) = x.shape
    oh, ow = op.out_len(h, 0), op.out_len(w, 1)
    if oh == 0 or ow == 0:
        return jnp.zeros((*lead, oh, ow), x.dtype)
    window = (1,) * len(lead) + op.ws
    strides = (1,) * len(lead) + op.stride
    if mode == "max":
        out = lax.reduce_window(_canvas(op, x, oh, ow), np.array(_lowest(x.dtype), x.dtype),
                                lax.max, window, strides, "VALID")
    else:
        out = lax.reduce_window(_canvas(op, x, oh, ow, fill=0), np.array(0, x.dtype), lax.add,
                                window, strides, "VALID")
        if mode != "sum":
            out = out / op.counts(h, w, oh, ow)
    return out[..., :oh, :ow]


def _pool_op(node: Apply, x: Any) -> Any:
    dtype = node.outputs[0].dtype
    acc = x if node.op.mode == "max" or np.dtype(dtype).kind == "f" else x.astype("float64")
    return _pool(node.op, acc, node.op.mode)


def _canvas(op: Any, x: Any, oh: int, ow: int, fill: Any = None) -> Any:
    """``x`` padded as pool.max_canvas pads it (nothing outside the image wins), or with
    ``fill``."""
    (*lead, h, w), (ph, pw) = x.shape, op.pad
    rows = max(h + 2 * ph, (oh - 1) * op.stride[0] + op.ws[0])
    cols = max(w + 2 * pw, (ow - 1) * op.stride[1] + op.ws[1])
    pads = [(0, 0)] * len(lead) + [(ph, rows - h - ph), (pw, cols - w - pw)]
    return jnp.pad(x, pads, constant_values=_lowest(x.dtype) if fill is None else fill)


def _windows(op: Any, x: Any, maxout: Any) -> tuple[tuple[int, int], Any]:
    """The pooled shape and ``x``'s max canvas (None when there are no windows)."""
    oh, ow = maxout.shape[-2:]
    return (oh, ow), (_canvas(op, x, oh, ow) if oh and ow else None)


def _max_pool_grad(node: Apply, x: Any, maxout: Any, gz: Any) -> Any:
    # gz / k to each of a window's k maxima, as MaxPoolGrad.perform (XLA's own gradient of
    # reduce_window max gives all of gz to one of them)
    op, dtype = node.op, node.outputs[0].dtype
    (oh, ow), canvas = _windows(op, x, maxout)
    if canvas is None:
        return jnp.zeros(x.shape, dtype)
    share = gz.astype(dtype) / op.ties(canvas, maxout, oh, ow)
    grads = jnp.zeros(canvas.shape, dtype)
    for rows, cols in op.taps(oh, ow):
        grads = grads.at[..., rows, cols].add((canvas[..., rows, cols] == maxout) * share)
    (ph, pw), (h, w) = op.pad, x.shape[-2:]
    return grads[..., ph:ph + h, pw:pw + w]


def _max_pool_grad_grad(node: Apply, x: Any, maxout: Any, ggx: Any) -> Any:
    op, dtype = node.op, node.outputs[0].dtype
    (oh, ow), canvas = _windows(op, x, maxout)
    if canvas is None:
        return jnp.zeros(maxout.shape, dtype)
    spread = _canvas(op, ggx.astype(dtype), oh, ow, fill=0)
    total = sum((canvas[..., rows, cols] == maxout) * spread[..., rows, cols]
                for rows, cols in op.taps(oh, ow))
    return (total / op.ties(canvas, maxout, oh, ow)).astype(dtype)


def _average_pool_grad(node: Apply, x: Any, gz: Any) -> Any:
    dtype = node.outputs[0].dtype
    _, pullback = jax.vjp(lambda x_: _pool(node.op, x_, node.op.mode), x.astype(dtype))
    return pullback(gz.astype(dtype))[0]


CONV_TRANSLATIONS: dict[type, Translation] = {
    conv.Conv2d: _conv2d,
    conv.Conv2dGradInputs: _conv2d_grad_inputs,
    conv.Conv2dGradWeights: _conv2d_grad_weights,
    pool.Pool: _pool_op,
    pool.MaxPoolGrad: _max_pool_grad,
    pool.DownsampleFactorMaxGradGrad: _max_pool_grad_grad,
    pool.AveragePoolGrad: _average_pool_grad,
}
