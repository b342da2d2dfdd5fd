"""2-d pooling over the last two axes (Theano's ``theano.tensor.signal.pool``): Pool and its
gradient ops MaxPoolGrad, AveragePoolGrad and DownsampleFactorMaxGradGrad. Every op loops
over the window's taps (``ws[0] * ws[1]`` strided slab operations), never over pixels."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.types import TensorType, is_float, upcast, upgrade_to_float
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, describe
from .math import zeros_like

__all__ = ["pool_2d", "max_pool_2d", "max_pool_2d_same_size", "Pool", "MaxPoolGrad",
           "AveragePoolGrad", "DownsampleFactorMaxGradGrad"]

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def _pair(value: Any, what: str) -> tuple[int, int]:
    """A pair of ints given as a tuple, list, array or constant vector."""
    if isinstance(value, TensorConstant):
        value = value.data
    elif isinstance(value, Variable):
        raise TypeError(f"pool_2d: {what} must be known when the graph is built (ints), got "
                        f"{describe(value)}")
    values = tuple(np.asarray(value).reshape(-1).tolist())
    if len(values) != 2 or not all(isinstance(v, int) and not isinstance(v, bool)
                                   for v in values):
        raise ValueError(f"pool_2d: {what} must be a pair of ints, got {value!r}")
    return values[0], values[1]


class _PoolParams(Op):
    """The parameters Pool and its gradient ops share, and the window arithmetic."""

    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(self, ws: Any, ignore_border: bool = False, stride: Any = None,
                 pad: Any = (0, 0), mode: str = "max"):
        self.ws = _pair(ws, "ws")
        self.stride = self.ws if stride is None else _pair(stride, "stride")
        self.pad = _pair(pad, "pad")
        self.ignore_border = bool(ignore_border)
        self.mode = "max" if mode == "max_deterministic" else mode
        if self.mode not in MODES:
            raise ValueError(f"pool_2d: mode must be one of {MODES}, got {mode!r}")
        if min(self.ws) < 1 or min(self.stride) < 1 or min(self.pad) < 0:
            raise ValueError(f"pool_2d: ws and stride must be >= 1 and pad >= 0, got ws="
                             f"{self.ws}, stride={self.stride}, pad={self.pad}")
        if max(self.pad) and not self.ignore_border:
            raise ValueError("pool_2d: padding works only with ignore_border=True")
        if self.pad[0] >= self.ws[0] or self.pad[1] >= self.ws[1]:
            raise ValueError(f"pool_2d: padding {self.pad} must be smaller than the window "
                             f"{self.ws}")

    def __str__(self) -> str:
        return (f"{type(self).__name__}{{{self.mode}, ws={self.ws}, stride={self.stride}, "
                f"pad={self.pad}, ignore_border={self.ignore_border}}}")

    def params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _PoolParams.__props__}

    def out_len(self, n: int | None, axis: int) -> int | None:
        """Number of windows along one pooled axis of length ``n`` (Theano's ``out_shape``):
        with ``ignore_border`` only whole windows, else also a last partial one."""
        if n is None:
            return None
        ws, st = self.ws[axis], self.stride[axis]
        n = n + 2 * self.pad[axis]
        if self.ignore_border:
            return max((n - ws) // st + 1, 0)
        if st >= ws:
            return (n - 1) // st + 1
        return max(0, (n - 1 - ws + st) // st) + 1

    def out_shape(self, shape: tuple) -> tuple:
        return (*shape[:-2], self.out_len(shape[-2], 0), self.out_len(shape[-1], 1))

    def counts(self, h: int, w: int, oh: int, ow: int) -> np.ndarray:
        """How many elements each window averages over: padding included for
        ``average_inc_pad`` (but never past the padded image), else only image pixels."""
        per_axis = []
        for axis, (n, out) in enumerate(((h, oh), (w, ow))):
            pad = self.pad[axis]
            starts = np.arange(out) * self.stride[axis]
            ends = np.minimum(starts + self.ws[axis], n + 2 * pad)
            if self.mode != "average_inc_pad":
                starts, ends = np.maximum(starts, pad), np.minimum(ends, n + pad)
            per_axis.append(ends - starts)
        return np.outer(*per_axis)

    def canvas(self, x: np.ndarray, fill: Any, dtype: Any, oh: int, ow: int) -> np.ndarray:
        """``x`` placed at offset ``pad`` in a ``fill``-valued array large enough for every
        window, partial ones included."""
        (h, w), (ph, pw) = x.shape[-2:], self.pad
        rows = max(h + 2 * ph, (oh - 1) * self.stride[0] + self.ws[0])
        cols = max(w + 2 * pw, (ow - 1) * self.stride[1] + self.ws[1])
        out = np.full((*x.shape[:-2], rows, cols), fill, dtype=dtype)
        out[..., ph:ph + h, pw:pw + w] = x
        return out

    def taps(self, oh: int, ow: int) -> Iterator[tuple[slice, slice]]:
        """For each window tap ``(i, j)``, the canvas rows and columns it reads, one per
        output position."""
        (sh, sw), (wh, ww) = self.stride, self.ws
        for i in range(wh):
            for j in range(ww):
                yield (slice(i, i + sh * (oh - 1) + 1, sh), slice(j, j + sw * (ow - 1) + 1, sw))

    def crop(self, canvas: np.ndarray, h: int, w: int) -> np.ndarray:
        ph, pw = self.pad
        return np.ascontiguousarray(canvas[..., ph:ph + h, pw:pw + w])

    def max_canvas(self, x: np.ndarray, oh: int, ow: int) -> np.ndarray:
        """The canvas for max pooling: padding and the space past the border never win."""
        if x.dtype.kind == "f":
            lowest: Any = -np.inf
        elif x.dtype.kind == "b":
            lowest = False
        else:
            lowest = np.iinfo(x.dtype).min
        return self.canvas(x, lowest, x.dtype, oh, ow)

    def ties(self, canvas: Any, maxout: Any, oh: int, ow: int) -> Any:
        """How many elements of each window equal its maximum (at least 1: a nan window
        has none), NumPy or JAX arrays alike: max pooling's gradient shares ``gz`` among them."""
        count = sum(canvas[..., rows, cols] == maxout for rows, cols in self.taps(oh, ow))
        return count + (count == 0)

    def check_pooled(self, node: Apply, x: np.ndarray, pooled: np.ndarray, role: str
                     ) -> tuple[int, int]:
        """The output spatial shape for ``x``, checked against an array shaped like it."""
        expected = self.out_shape(x.shape)
        if pooled.shape != expected:
            raise ValueError(f"{self} at node {node.uid}: {role} has shape {pooled.shape}, "
                             f"pooling an input of shape {x.shape} gives {expected}")
        return expected[-2], expected[-1]


def _image(op: Op, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise TypeError(f"{op}: the input must have at least 2 dimensions, got {describe(x)}")
    return x


def _like_pooled(op: _PoolParams, x: TensorVariable, var: Any, role: str) -> TensorVariable:
    """``var`` (the pooled output or its gradient), checked against the pooled shape of x."""
    var = as_tensor_variable(var)
    if var.ndim != x.ndim:
        raise TypeError(f"{op}: {role} ({describe(var)}) must have the {x.ndim} dimensions "
                        f"of the input ({describe(x)})")
    expected = op.out_shape(x.type.shape)
    if any(a is not None and b is not None and a != b
           for a, b in zip(var.type.shape, expected, strict=True)):
        raise ValueError(f"{op}: {role} ({describe(var)}) does not match the pooled shape "
                         f"{expected} of the input ({describe(x)})")
    return var


def _zeros_like(x: TensorVariable) -> TensorVariable | None:
    return zeros_like(x) if is_float(x.dtype) else None


class Pool(_PoolParams):
    """Max, sum or average over ``ws``-sized windows of the last two axes, ``stride`` apart,
    of the input zero-padded by ``pad`` (max and sum never see the padding)."""

    def make_node(self, x: Any) -> Apply:
        x = _image(self, x)
        out = TensorType(x.dtype, shape=self.out_shape(x.type.shape)).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        (*_, h, w), dtype = x.shape, node.outputs[0].type.dtype
        shape = self.out_shape(x.shape)
        oh, ow = shape[-2:]
        if oh == 0 or ow == 0:
            output_storage[0][0] = np.zeros(shape, dtype=dtype)
            return
        if self.mode == "max":
            canvas = self.max_canvas(x, oh, ow)
            taps = self.taps(oh, ow)
            rows, cols = next(taps)
            out = canvas[..., rows, cols].copy()
            for rows, cols in taps:
                np.maximum(out, canvas[..., rows, cols], out=out)
        else:
            acc = dtype if is_float(dtype) else "float64"
            canvas = self.canvas(x, 0, acc, oh, ow)
            out = np.zeros(shape, dtype=acc)
            for rows, cols in self.taps(oh, ow):
                out += canvas[..., rows, cols]
            if self.mode != "sum":
                out /= self.counts(h, w, oh, ow)
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def L_op(self, inputs: list[Any], outputs: list[Any],
             output_grads: list[Any]) -> list[Any]:
        (x,), (z,), (g,) = inputs, outputs, output_grads
        if not is_float(x.dtype):
            return [None]
        if self.mode == "max":
            return [MaxPoolGrad(**self.params())(x, z, g)]
        return [AveragePoolGrad(**self.params())(x, g)]


class MaxPoolGrad(_PoolParams):
    """The gradient of max pooling: ``(x, maxout, gz)`` to ``gx``, where each window shares
    its ``gz`` among the ``k`` elements equal to its maximum (``gz / k`` each, as the max
    reduction's gradient and jax.grad of max; Theano gave each tie all of ``gz``)."""

    def make_node(self, x: Any, maxout: Any, gz: Any) -> Apply:
        x = _image(self, x)
        maxout = _like_pooled(self, x, maxout, "maxout")
        gz = _like_pooled(self, x, gz, "gz")
        dtype = upgrade_to_float(upcast(x.dtype, gz.dtype))
        return Apply(self, [x, maxout, gz], [TensorType(dtype, shape=x.type.shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, maxout, gz = inputs
        oh, ow = self.check_pooled(node, x, gz, "gz")
        self.check_pooled(node, x, maxout, "maxout")
        canvas = self.max_canvas(x, oh, ow)
        grads = np.zeros(canvas.shape, dtype=node.outputs[0].type.dtype)
        if oh and ow:
            share = gz / self.ties(canvas, maxout, oh, ow)
            for rows, cols in self.taps(oh, ow):
                grads[..., rows, cols] += (canvas[..., rows, cols] == maxout) * share
        output_storage[0][0] = self.crop(grads, *x.shape[-2:])

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # linear in gz; the winners' positions are piecewise constant in x and maxout
        x, maxout, _ = inputs
        gg = DownsampleFactorMaxGradGrad(**self.params())(x, maxout, output_grads[0])
        return [_zeros_like(x), _zeros_like(maxout), gg]


class DownsampleFactorMaxGradGrad(_PoolParams):
    """The adjoint of MaxPoolGrad in ``gz``: ``(x, maxout, ggx)`` to, per window, the mean
    of ``ggx`` over the elements equal to the window's maximum (Theano's name)."""

    def make_node(self, x: Any, maxout: Any, ggx: Any) -> Apply:
        x = _image(self, x)
        maxout = _like_pooled(self, x, maxout, "maxout")
        ggx = as_tensor_variable(ggx)
        if ggx.ndim != x.ndim:
            raise TypeError(f"{self}: ggx ({describe(ggx)}) must be shaped like the input "
                            f"({describe(x)})")
        dtype = upgrade_to_float(upcast(x.dtype, ggx.dtype))
        return Apply(self, [x, maxout, ggx], [TensorType(dtype, shape=maxout.type.shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, maxout, ggx = inputs
        oh, ow = self.check_pooled(node, x, maxout, "maxout")
        if ggx.shape != x.shape:
            raise ValueError(f"{self} at node {node.uid}: ggx has shape {ggx.shape}, the "
                             f"input {x.shape}")
        dtype = node.outputs[0].type.dtype
        out = np.zeros(maxout.shape, dtype=dtype)
        if oh and ow:
            canvas = self.max_canvas(x, oh, ow)
            spread = self.canvas(ggx, 0, dtype, oh, ow)
            for rows, cols in self.taps(oh, ow):
                out += (canvas[..., rows, cols] == maxout) * spread[..., rows, cols]
            out /= self.ties(canvas, maxout, oh, ow)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, maxout, _ = inputs
        back = MaxPoolGrad(**self.params())(x, maxout, output_grads[0])
        return [_zeros_like(x), _zeros_like(maxout), back]


class AveragePoolGrad(_PoolParams):
    """The gradient of sum or average pooling: ``(x, gz)`` to ``gx``, each window spreading
    ``gz`` (divided by its count, for averages) over its elements; ``x`` gives the shape."""

    def make_node(self, x: Any, gz: Any) -> Apply:
        x = _image(self, x)
        if self.mode == "max":
            raise ValueError(f"{self}: max pooling's gradient is MaxPoolGrad")
        gz = _like_pooled(self, x, gz, "gz")
        dtype = upgrade_to_float(upcast(x.dtype, gz.dtype))
        return Apply(self, [x, gz], [TensorType(dtype, shape=x.type.shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, gz = inputs
        (*_, h, w), dtype = x.shape, node.outputs[0].type.dtype
        oh, ow = self.check_pooled(node, x, gz, "gz")
        grads = self.canvas(np.zeros(x.shape, dtype=dtype), 0, dtype, oh, ow)
        if oh and ow:
            share = gz if self.mode == "sum" else gz / self.counts(h, w, oh, ow)
            for rows, cols in self.taps(oh, ow):
                grads[..., rows, cols] += share
        output_storage[0][0] = self.crop(grads, h, w)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # linear in gz, and its adjoint is the pooling itself; x only gives the shape
        x, _ = inputs
        return [_zeros_like(x), Pool(**self.params())(output_grads[0])]


def pool_2d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """Pool ``ws``-sized windows over the last two axes of ``input`` (Theano 1.0's
    ``theano.tensor.signal.pool.pool_2d``).

    Parameters
    ----------
    input : tensor of at least 2 dimensions.
    ws : window ``(rows, cols)``; ``(2, 2)`` halves each dimension.
    ignore_border : True drops a partial last window, False keeps it ((5, 5) pooled by
        (2, 2) gives (2, 2), resp. (3, 3)). None warns and means False, as in Theano 1.0.
    stride : step between windows, ``ws`` by default (no overlap).
    pad : zeros added on both sides of each axis (needs ``ignore_border=True``).
    mode : ``'max'``, ``'sum'``, ``'average_inc_pad'`` or ``'average_exc_pad'`` (whether
        padding counts in the average; max and sum never see it).
    ds, st, padding : deprecated names of ``ws``, ``stride``, ``pad``.

    >>> x = T.dtensor4('x')
    >>> y = pool_2d(x, ws=(2, 2), ignore_border=True)   # (n, c, h // 2, w // 2)
    """
    ws = _renamed("ws", ws, "ds", ds, None)
    stride = _renamed("stride", stride, "st", st, None)
    pad = _renamed("pad", pad, "padding", padding, (0, 0))
    if ws is None:
        raise ValueError("pool_2d: give the window size ws")
    if ignore_border is None:
        warnings.warn("pool_2d: ignore_border defaults to False, as in Theano 1.0 (whose "
                      "later default was True); pass ignore_border=True or False to be "
                      "explicit", stacklevel=2)
        ignore_border = False
    return Pool(ws, ignore_border, stride, pad, mode)(input)


def max_pool_2d(input: Any, ds: Any, ignore_border: bool | None = None, st: Any = None,
                padding: Any = (0, 0), mode: str = "max") -> TensorVariable:
    """Theano 0.7/0.8's ``theano.tensor.signal.downsample.max_pool_2d(input, ds,
    ignore_border, st, padding, mode)``, which the LeNet tutorial of those years calls:
    ``pool_2d`` with ``ws=ds``, ``stride=st``, ``pad=padding``."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding,
                   mode=mode)


def _renamed(name: str, value: Any, old: str, old_value: Any, default: Any) -> Any:
    """Theano's deprecated argument names: use ``old_value`` if given, with a warning."""
    if old_value is None:
        return value
    if value is not None and value != default:
        raise ValueError(f"pool_2d: give {name} or its deprecated name {old}, not both")
    warnings.warn(f"pool_2d: {old} is deprecated, use {name}", DeprecationWarning,
                  stacklevel=3)
    return old_value


def max_pool_2d_same_size(input: Any, patch_size: Any) -> TensorVariable:
    """``input`` with every element that is not the maximum of its non-overlapping
    ``patch_size`` patch set to zero (Theano's helper): same shape as ``input``."""
    op = Pool(patch_size, True)
    out = op(input)
    return MaxPoolGrad(**op.params())(input, out, out)
