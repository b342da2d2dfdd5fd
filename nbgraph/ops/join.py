"""Joining arrays: Join and Split (each the other's gradient), ``join``, ``concatenate``,
``stack``, ``split`` and ``roll``. Inputs of different dtypes meet at their common dtype first
(Python numbers by Theano's rule, as in elemwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import (
    TensorConstant,
    TensorVariable,
    as_tensor_variable,
    common_dtype,
    const_int,
    constant,
    describe,
    int_scalar,
)
from . import math as mathops
from .shape import (
    MakeVector,
    as_shape_vector,
    flatten,
    make_vector,
    reshape,
    shape,
    shape_i,
    shape_padaxis,
)

__all__ = ["join", "concatenate", "stack", "split", "roll", "Join", "Split"]


def _to_dtype(t: TensorVariable, dtype: str) -> TensorVariable:
    if t.dtype == dtype:
        return t
    if isinstance(t, TensorConstant):
        return constant(t.data.astype(dtype))
    return mathops.cast(t, dtype)


def _unify(values: Sequence[Any]) -> list[TensorVariable]:
    """The tensors at their common dtype; Python numbers meet tensors as in elemwise
    (``upcast_numbers``: stack([int8 scalar, 300]) is int16, as Theano's)."""
    tensors = [as_tensor_variable(t) for t in values]
    dtype = common_dtype(tensors)
    return [_to_dtype(t, dtype) for t in tensors]


class Join(Op):
    """``join(axis, *tensors)``: concatenation along ``axis`` (a scalar input, as in Theano)."""

    def make_node(self, axis: Any, *tensors: Any) -> Apply:
        axis = int_scalar(axis, self, "axis")
        if not tensors:
            raise ValueError(f"{self}: needs at least one tensor")
        parts = _unify(tensors)
        first = parts[0]
        for t in parts[1:]:
            if t.ndim != first.ndim:
                raise TypeError(f"{self}: all inputs must have the same number of dimensions, "
                                f"got {describe(first)} and {describe(t)}")
        if first.ndim == 0:
            raise TypeError(f"{self}: cannot join 0-d tensors ({describe(first)}); use stack")
        ax = const_int(axis)
        shape: list[int | None] = [None] * first.ndim
        if ax is not None:
            if not -first.ndim <= ax < first.ndim:
                raise IndexError(f"{self}: axis {ax} is out of range for {describe(first)}")
            ax %= first.ndim
            shape = self._static_shape(parts, ax)
        out = TensorType(first.dtype, shape=shape).make_variable()
        return Apply(self, [axis, *parts], [out])

    def _static_shape(self, tensors: list[TensorVariable], ax: int) -> list[int | None]:
        shape: list[int | None] = []
        for d in range(tensors[0].ndim):
            sizes = [t.type.shape[d] for t in tensors]
            known_sizes = [s for s in sizes if s is not None]
            if d == ax:
                shape.append(sum(known_sizes) if len(known_sizes) == len(sizes) else None)
                continue
            known = set(known_sizes)
            if len(known) > 1:
                a = next(t for t in tensors if t.type.shape[d] is not None)
                b = next(t for t in tensors if t.type.shape[d] not in (None, a.type.shape[d]))
                raise ValueError(f"{self}: inputs {describe(a)} and {describe(b)} differ "
                                 f"in dimension {d}, joining along axis {ax}")
            shape.append(known.pop() if known else None)
        return shape

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        axis, *tensors = inputs
        try:
            out = np.concatenate(tensors, axis=int(axis))
        except ValueError as err:  # AxisError is one too
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"{self} at node {node.uid}: cannot join arrays of shapes "
                             f"{shapes} along axis {int(axis)}: {err}") from None
        output_storage[0][0] = out.astype(node.outputs[0].dtype, copy=False)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # the joined axis adds up the pieces; the others are the first piece's
        ax = const_int(node.inputs[0])
        pieces = shapes[1:]
        if ax is None:
            return [(None,) * len(pieces[0])]
        ax %= len(pieces[0])
        return [tuple(sum(p[ax] for p in pieces[1:]) + pieces[0][ax] if d == ax else size
                      for d, size in enumerate(pieces[0]))]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        axis, *tensors = inputs
        if is_int(tensors[0].dtype):
            return [None] * len(inputs)
        ax = const_int(axis)
        sizes = [shape_i(t, ax % t.ndim) if ax is not None else shape(t)[axis]
                 for t in tensors]
        # d join = split the gradient back into the pieces' lengths along the axis
        pieces = Split(len(tensors))(output_grads[0], axis, make_vector(sizes))
        return [None, *(pieces if isinstance(pieces, list) else [pieces])]


class Split(Op):
    """``Split{n}(x, axis, sizes)``: ``n`` consecutive pieces of ``x`` along ``axis``."""

    __props__ = ("len_splits",)

    def __init__(self, len_splits: int):
        self.len_splits = int(len_splits)
        self.view_map = {k: [0] for k in range(self.len_splits)}  # np.split returns views

    def make_node(self, x: Any, axis: Any, splits: Any) -> Apply:
        x = as_tensor_variable(x)
        axis = int_scalar(axis, self, "axis")
        splits = as_shape_vector(splits)
        if splits.type.shape[0] not in (None, self.len_splits):
            raise ValueError(f"{self}: {self.len_splits} pieces but {describe(splits)} sizes")
        ax = const_int(axis)
        shape = [None if ax is None or d == ax % x.ndim else s
                 for d, s in enumerate(x.type.shape)]
        outs = [TensorType(x.dtype, shape=shape).make_variable() for _ in range(self.len_splits)]
        return Apply(self, [x, axis, splits], outs)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, axis, splits = inputs
        axis = int(axis)
        if len(splits) != self.len_splits or np.sum(splits) != x.shape[axis]:
            raise ValueError(f"{self} at node {node.uid}: sizes {splits.tolist()} do not split "
                             f"axis {axis} of an array of shape {x.shape}")
        for cell, piece in zip(output_storage, np.split(x, np.cumsum(splits)[:-1], axis),
                               strict=True):
            cell[0] = piece

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # piece k is sizes[k] long along the (constant) axis, x's size elsewhere
        x_shape = shapes[0]
        ax = const_int(node.inputs[1])
        if ax is None:
            return [(None,) * len(x_shape)] * self.len_splits
        ax %= len(x_shape)
        sizes = node.inputs[2]
        return [tuple(sizes[k] if d == ax else size for d, size in enumerate(x_shape))
                for k in range(self.len_splits)]

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
        x, axis, _ = inputs
        if is_int(x.dtype):
            return [None, None, None]
        return [join(axis, *output_grads), None, None]


def join(axis: Any, *tensors: Any) -> TensorVariable:
    """Concatenate ``tensors`` along ``axis`` (Theano's argument order).

    >>> a, b = T.dmatrices('a', 'b'); T.join(0, a, b).eval({a: [[1.]], b: [[2.]]})
    array([[1.], [2.]])
    """
    if len(tensors) == 1:
        return as_tensor_variable(tensors[0])
    return Join()(axis, *tensors)


def concatenate(tensor_list: Sequence[Any], axis: Any = 0) -> TensorVariable:
    """NumPy's argument order for ``join``: ``concatenate([a, b], axis=1)``."""
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError("concatenate: the first argument must be a list or tuple of tensors")
    return join(axis, *tensor_list)


def stack(*tensors: Any, axis: int = 0) -> TensorVariable:
    """Join tensors of the same shape along a new ``axis``; scalars make a vector.

    >>> a, b = T.dscalars('a', 'b'); T.stack([a, b])      # MakeVector{dtype=float64}
    """
    if tensors and isinstance(tensors[0], (list, tuple)):
        if len(tensors) == 2:  # stack([a, b], 1)
            axis = tensors[1]
        tensors = tuple(tensors[0])
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    unified = _unify(tensors)
    if axis == 0 and all(t.ndim == 0 for t in unified):
        return MakeVector(unified[0].dtype)(*unified)
    return join(axis, *[shape_padaxis(t, axis) for t in unified])


def split(x: Any, splits_size: Any, n_splits: int, axis: Any = 0) -> Any:
    """Cut ``x`` along ``axis`` into ``n_splits`` pieces of lengths ``splits_size`` (Theano's
    argument order); the pieces are views of ``x``. Like any op, one piece comes back alone.

    >>> x = T.dvector('x'); a, b = T.split(x, [1, 2], 2)
    >>> b.eval({x: [1., 2., 3.]})
    array([2., 3.])
    """
    return Split(n_splits)(x, axis, splits_size)


def roll(x: Any, shift: Any, axis: int | None = None) -> TensorVariable:
    """NumPy's ``roll``: elements shifted by ``shift`` along ``axis`` (the flattened array
    when None), those passing the end coming back at the start. Built as Theano did, from two
    slices joined back together; ``shift`` may be symbolic.

    >>> v = T.dvector('v'); T.roll(v, 1).eval({v: [1., 2., 3.]})
    array([3., 1., 2.])
    """
    x = as_tensor_variable(x)
    if axis is None:
        if x.ndim > 1:
            return reshape(roll(flatten(x), shift, axis=0), shape(x), ndim=x.ndim)
        axis = 0
    if not -x.ndim <= axis < x.ndim:
        raise IndexError(f"roll: axis {axis} is out of range for {describe(x)}")
    axis %= x.ndim
    # the shift may exceed the axis length; modulo, the cut point is in [0, length)
    shift = int_scalar(shift, "roll", "shift") % shape_i(x, axis)
    before = (slice(None),) * axis
    return join(axis, x[(*before, slice(-shift, None))], x[(*before, slice(0, -shift))])
