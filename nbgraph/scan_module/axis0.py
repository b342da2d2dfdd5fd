"""Leading-axis slicing ops that scan's gradient is built from (each differentiable).

``AxisSlice`` reads ``x[start:stop]`` (optionally reversed, or squeezed to one step) and
``AxisInc`` adds into that window; each is the other's gradient. ``AxisConcat`` joins two
stacks of steps. Bounds are int64 scalars, so they can depend on the number of steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import as_tensor_variable, constant


def _bound(value: Any) -> Variable:
    var = as_tensor_variable(value) if isinstance(value, Variable) \
        else constant(int(value), dtype="int64")
    if var.ndim != 0 or not is_int(var.dtype):
        raise TypeError(f"slice bound must be an integer scalar, got {var.type}")
    return var


def _window(start: Any, stop: Any, reverse: bool) -> tuple[slice, slice]:
    """The slice of the stack, and the order in which the window's steps are read."""
    return slice(int(start), int(stop)), slice(None, None, -1 if reverse else 1)


class AxisSlice(Op):
    """``x[start:stop]`` along axis 0; ``reverse`` flips the window, ``squeeze`` drops the
    axis of a one-step window (``x[i]``)."""

    __props__ = ("reverse", "squeeze")
    view_map = {0: [0]}

    def __init__(self, reverse: bool = False, squeeze: bool = False):
        self.reverse = reverse
        self.squeeze = squeeze

    def make_node(self, x: Any, start: Any, stop: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError(f"{self}: cannot slice the scalar {x}")
        shape = x.type.shape[1:] if self.squeeze else (None, *x.type.shape[1:])
        out = TensorType(x.dtype, shape=shape)
        return Apply(self, [x, _bound(start), _bound(stop)], [out()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, start, stop = inputs
        window, order = _window(start, stop, self.reverse)
        out = x[window][order]
        if self.squeeze:
            if out.shape[0] != 1:
                raise IndexError(f"{self} (node {node.uid}): window [{start}:{stop}] of a "
                                 f"stack of {x.shape[0]} steps has {out.shape[0]} steps, not 1")
            out = out[0]
        output_storage[0][0] = out

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        from ..core.mathops import zeros_like
        x, start, stop = inputs
        inc = AxisInc(self.reverse, self.squeeze)
        return [inc(zeros_like(x), output_grads[0], start, stop), None, None]


class AxisInc(Op):
    """A copy of ``x`` with ``y`` added into the window ``x[start:stop]`` (same flags as
    ``AxisSlice``: ``y`` is read reversed, or is one step without the leading axis)."""

    __props__ = ("reverse", "squeeze")

    def __init__(self, reverse: bool = False, squeeze: bool = False):
        self.reverse = reverse
        self.squeeze = squeeze

    def make_node(self, x: Any, y: Any, start: Any, stop: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        if y.ndim != x.ndim - int(self.squeeze):
            raise TypeError(f"{self}: cannot add {y.type} into a window of {x.type}")
        return Apply(self, [x, y, _bound(start), _bound(stop)], [x.type()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y, start, stop = inputs
        window, order = _window(start, stop, self.reverse)
        out = np.array(x, copy=True)
        if self.squeeze:
            y = np.expand_dims(y, 0)
        out[window] += np.asarray(y)[order]
        output_storage[0][0] = out

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        _, _, start, stop = inputs
        g = output_grads[0]
        return [g, AxisSlice(self.reverse, self.squeeze)(g, start, stop), None, None]


class AxisConcat(Op):
    """``concatenate([x, y], axis=0)``: prefixes a recurrence's initial steps to its outputs."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        if x.dtype != y.dtype or x.ndim != y.ndim or x.ndim == 0:
            raise TypeError(f"{self}: cannot join {x.type} and {y.type} along axis 0")
        rest = tuple(a if a == b else None
                     for a, b in zip(x.type.shape[1:], y.type.shape[1:], strict=True))
        return Apply(self, [x, y], [TensorType(x.dtype, shape=(None, *rest))()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.concatenate(inputs, axis=0)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        from ..core.shape import shape_i
        x, y = inputs
        g = output_grads[0]
        n_x = shape_i(x, 0)
        total = shape_i(g, 0)
        return [AxisSlice()(g, 0, n_x), AxisSlice()(g, n_x, total)]
