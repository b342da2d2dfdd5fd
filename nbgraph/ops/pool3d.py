"""``pool_3d`` (Theano 1.0's ``signal.pool.pool_3d``): pooling a box over the last three axes
is pooling over the last two, then over the third-to-last, because max, sum and both averages
of a box factor over its axes (an average's divisor is the product of the per-axis counts).
Two ``Pool`` nodes: their C-free NumPy kernels and gradients are reused as they are."""

from __future__ import annotations

from typing import Any

from ..core.variable import TensorVariable, as_tensor_variable, describe
from .pool import pool_2d

__all__ = ["pool_3d"]


def _triple(value: Any, what: str) -> tuple[int, int, int]:
    triple = tuple(int(v) for v in ((value,) * 3 if isinstance(value, int) else value))
    if len(triple) != 3:
        raise ValueError(f"pool_3d: {what} must be 3 ints, got {value!r}")
    return triple[0], triple[1], triple[2]


def pool_3d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None,
            pad: Any = (0, 0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """Pool ``ws``-sized boxes over the last three axes of ``input`` (at least 3-d).

    The arguments are those of ``pool_2d`` with three entries each; ``ds``, ``st`` and
    ``padding`` are the deprecated names of ``ws``, ``stride`` and ``pad``.

    >>> y = pool_3d(T.dtensor5('x'), ws=(2, 2, 2), ignore_border=True)
    """
    ws = ws if ds is None else ds
    stride = stride if st is None else st
    pad = pad if padding is None else padding
    if ws is None:
        raise ValueError("pool_3d: give the window size ws")
    x = as_tensor_variable(input)
    if x.ndim < 3:
        raise TypeError(f"pool_3d: needs at least 3 dimensions, got {describe(x)}")
    ws = _triple(ws, "ws")
    stride = ws if stride is None else _triple(stride, "stride")
    pad = _triple(pad, "pad")
    if ignore_border is None:
        ignore_border = False   # Theano 1.0's default (pool_2d warns about it)
    planes = pool_2d(x, ws[1:], ignore_border, stride[1:], pad[1:], mode)
    lead = list(range(x.ndim - 3))
    # bring depth next to the last axis, pool it with a (depth, 1) window, move it back
    depth_last = planes.dimshuffle(*lead, x.ndim - 2, x.ndim - 3, x.ndim - 1)
    pooled = pool_2d(depth_last, (ws[0], 1), ignore_border, (stride[0], 1), (pad[0], 0), mode)
    return pooled.dimshuffle(*lead, x.ndim - 2, x.ndim - 3, x.ndim - 1)
