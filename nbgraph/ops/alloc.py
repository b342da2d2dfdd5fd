"""Ops that build new arrays: Alloc (``alloc``, ``zeros``, ``ones``), ARange, Eye, Tile,
Repeat and the two diagonal ops behind ``diag``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import config
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
from .elemwise import sum_to
from .indexing import inc_subtensor
from .shape import MakeVector, as_shape_vector, flatten, reshape, shape, shape_i

__all__ = ["alloc", "zeros", "ones", "arange", "eye", "identity_like", "tile", "repeat", "diag",
           "Alloc", "ARange", "Eye", "Tile", "Repeat", "AllocDiag", "ExtractDiag"]


class Alloc(Op):
    """``alloc(value, *shape)``: ``value`` broadcast into a new array of ``shape``."""

    def make_node(self, value: Any, *shp: Any) -> Apply:
        value = as_tensor_variable(value)
        sizes = [int_scalar(s, self, "a shape entry") for s in shp]
        if value.ndim > len(sizes):
            raise ValueError(f"{self}: value {describe(value)} has more dimensions than the "
                             f"shape ({len(sizes)} entries)")
        shape = [const_int(s) for s in sizes]
        if any(s is not None and s < 0 for s in shape):
            raise ValueError(f"{self}: negative dimension in shape {shape}")
        lead = len(sizes) - value.ndim
        for axis, have in enumerate(value.type.shape):
            want = shape[lead + axis]
            if have not in (None, 1) and want is not None and have != want:
                raise ValueError(f"{self}: value {describe(value)} cannot broadcast to shape "
                                 f"{shape} (dimension {axis})")
            if want is None and have not in (None, 1):
                shape[lead + axis] = have
        out = TensorType(value.dtype, shape=shape).make_variable()
        return Apply(self, [value, *sizes], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        value, *sizes = inputs
        target = tuple(int(s) for s in sizes)
        lead = len(target) - value.ndim
        pattern = node.inputs[0].type.broadcastable
        for axis, size in enumerate(value.shape):
            if size != target[lead + axis] and not pattern[axis]:
                raise ValueError(f"{self} at node {node.uid}: value of shape {value.shape} "
                                 f"does not broadcast to {target} (dimension {axis} is not "
                                 f"broadcastable)")
        out = np.empty(target, dtype=node.outputs[0].dtype)
        out[...] = value
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [tuple(node.inputs[1:])]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        value = inputs[0]
        none = [None] * (len(inputs) - 1)
        if is_int(value.dtype):
            return [None, *none]
        # d alloc = sum the gradient over the broadcast dimensions
        return [sum_to(output_grads[0], value), *none]


def _shape_entries(shp: Any) -> list[Any]:
    """A shape argument (int, sequence, or symbolic int vector of known length) as entries."""
    if isinstance(shp, TensorVariable):
        if shp.ndim == 0:
            return [shp]
        if shp.ndim != 1 or shp.type.shape[0] is None:
            raise TypeError(f"shape must be a sequence or an int vector of known length, got "
                            f"{describe(shp)}")
        return [shp[i] for i in range(shp.type.shape[0])]
    if isinstance(shp, (int, np.integer)):
        return [shp]
    return list(shp)


def alloc(value: Any, *shape: Any) -> TensorVariable:
    """``value`` broadcast to ``shape``: ``T.alloc(0.0, x.shape[0], 3)``."""
    return Alloc()(value, *shape)


def zeros(shape: Any, dtype: str | None = None) -> TensorVariable:
    """An array of zeros: ``T.zeros((n, 3))`` or ``T.zeros(x.shape)``."""
    return alloc(constant(0, dtype=dtype or config.floatX), *_shape_entries(shape))


def ones(shape: Any, dtype: str | None = None) -> TensorVariable:
    """An array of ones: ``T.ones((n, 3))``."""
    return alloc(constant(1, dtype=dtype or config.floatX), *_shape_entries(shape))


class ARange(Op):
    """``arange(start, stop, step)``: ``ARange{dtype=int64}``."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = str(np.dtype(dtype))

    def __str__(self) -> str:
        return f"ARange{{dtype={self.dtype}}}"

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        bounds = [as_tensor_variable(v) for v in (start, stop, step)]
        for name, v in zip(("start", "stop", "step"), bounds, strict=True):
            if v.ndim != 0 or v.dtype == "bool" or np.dtype(v.dtype).kind not in "iuf":
                raise TypeError(f"{self}: {name} must be a real scalar, got {describe(v)}")
        length = None
        values = [v.data.item() for v in bounds if isinstance(v, TensorConstant)]
        if len(values) == len(bounds):
            a, b, c = values
            if c == 0:
                raise ValueError(f"{self}: step must not be zero")
            length = max(0, int(np.ceil((b - a) / c)))
        out = TensorType(self.dtype, shape=(length,)).make_variable()
        return Apply(self, bounds, [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        start, stop, step = (v.item() for v in inputs)
        if step == 0:
            raise ValueError(f"{self} at node {node.uid}: step must not be zero")
        output_storage[0][0] = np.arange(start, stop, step, dtype=self.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # max(0, ceil((stop - start) / step)), NumPy's length; arange(0, n, 1) is max(n, 0)
        start, stop, step = node.inputs
        if const_int(start) == 0 and const_int(step) == 1 and is_int(stop.dtype):
            return [(mathops.maximum(mathops.cast(stop, "int64"), 0),)]
        length = mathops.ceil((stop - start) / step)
        return [(mathops.cast(mathops.maximum(length, 0), "int64"),)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        if is_int(self.dtype):
            return [None, None, None]
        g = output_grads[0]
        # out[i] = start + i * step: d/dstart = 1, d/dstep = i, d/dstop = 0 (almost everywhere)
        index = mathops.cast(arange(shape_i(g, 0)), g.dtype)
        found = [mathops.sum(g), mathops.zeros_like(inputs[1]), mathops.sum(g * index)]
        return [None if is_int(x.dtype) else d for x, d in zip(inputs, found, strict=True)]


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: str | None = None) -> TensorVariable:
    """Evenly spaced values in ``[start, stop)``, bounds symbolic or not.

    >>> n = T.lscalar('n'); T.arange(n).eval({n: 3})
    array([0, 1, 2])
    """
    if stop is None:
        start, stop = 0, start
    bounds = [as_tensor_variable(v) for v in (start, stop, step)]
    if dtype is None:
        dtype = common_dtype(bounds)
        # ints: no stingy small dtypes (overflow); floats from Python numbers: floatX
        if is_int(dtype):
            dtype = "uint64" if dtype.startswith("uint") else "int64"
        elif all(getattr(b, "weak", False) for b in bounds):
            dtype = config.floatX
    return ARange(dtype)(*bounds)


class Eye(Op):
    """``eye(n, m, k)``: ones on the ``k``-th diagonal of an ``n`` by ``m`` matrix."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = str(np.dtype(dtype))

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        n, m, k = (int_scalar(v, self, name) for v, name in ((n, "n"), (m, "m"), (k, "k")))
        out = TensorType(self.dtype, shape=(const_int(n), const_int(m))).make_variable()
        return Apply(self, [n, m, k], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        n, m, k = (int(v) for v in inputs)
        output_storage[0][0] = np.eye(n, m, k, dtype=self.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [tuple(node.inputs[:2])]   # (n, m)

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return [None, None, None]


def eye(n: Any, m: Any = None, k: Any = 0, dtype: str | None = None) -> TensorVariable:
    """An ``n`` by ``m`` matrix with ones on diagonal ``k``: ``T.eye(3)``."""
    return Eye(dtype or config.floatX)(n, n if m is None else m, k)


def identity_like(x: Any) -> TensorVariable:
    """An identity matrix with the shape and dtype of matrix ``x``."""
    x = as_tensor_variable(x)
    return eye(shape_i(x, 0), shape_i(x, 1), k=0, dtype=x.dtype)


class Tile(Op):
    """``tile(x, reps)``: ``x`` repeated ``reps[i]`` times along each axis (NumPy's tile)."""

    __props__ = ("ndim",)

    def __init__(self, ndim: int):
        self.ndim = int(ndim)

    def __str__(self) -> str:
        return "Tile"

    def make_node(self, x: Any, reps: Any) -> Apply:
        x = as_tensor_variable(x)
        reps = as_shape_vector(reps)
        if reps.type.shape[0] not in (None, self.ndim) or self.ndim < x.ndim:
            raise ValueError(f"{self}: reps {describe(reps)} must have {self.ndim} entries, "
                             f"at least the dimensions of {describe(x)}")
        counts: list[int | None] = [None] * self.ndim
        if isinstance(reps, TensorConstant):
            counts = [int(r) for r in reps.data]
        elif reps.owner is not None and isinstance(reps.owner.op, MakeVector):
            counts = [const_int(r) for r in reps.owner.inputs]
        sizes = [1] * (self.ndim - x.ndim) + list(x.type.shape)
        shape = [None if s is None or r is None else s * r
                 for s, r in zip(sizes, counts, strict=True)]
        return Apply(self, [x, reps], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, reps = inputs
        if len(reps) != self.ndim or np.any(reps < 0):
            raise ValueError(f"{self} at node {node.uid}: invalid reps {reps.tolist()} for "
                             f"{self.ndim} dimensions")
        output_storage[0][0] = np.tile(x, tuple(int(r) for r in reps))

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # x's sizes (padded with 1s on the left) times reps
        one = constant(1, dtype="int64")
        sizes = [one] * (self.ndim - len(shapes[0])) + list(shapes[0])
        reps = node.inputs[1]
        return [tuple(size * reps[k] for k, size in enumerate(sizes))]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        x, reps = inputs
        if is_int(x.dtype):
            return [None, None]
        # view the gradient as (r0, s0, r1, s1, ...) and sum over the copies r_i
        lead = self.ndim - x.ndim
        sizes = [1] * lead + [shape_i(x, i) for i in range(x.ndim)]
        paired = [v for i in range(self.ndim) for v in (reps[i], sizes[i])]
        g = reshape(output_grads[0], paired, ndim=2 * self.ndim)
        g = mathops.sum(g, axis=list(range(0, 2 * self.ndim, 2)))
        return [reshape(g, shape(x), ndim=x.ndim), None]


def tile(x: Any, reps: Any, ndim: int | None = None) -> TensorVariable:
    """``x`` tiled ``reps`` times along each axis: ``T.tile(v, (2, 3))``."""
    x = as_tensor_variable(x)
    if isinstance(reps, TensorVariable):
        entries = _shape_entries(reps) if reps.ndim == 1 and reps.type.shape[0] is not None \
            else [reps[i] for i in range(ndim or x.ndim)]
    else:
        entries = _shape_entries(reps)
    entries = [1] * (x.ndim - len(entries)) + entries
    if ndim is not None and len(entries) != ndim:
        raise ValueError(f"tile: ndim={ndim} but reps has {len(entries)} entries")
    return Tile(len(entries))(x, entries)


class Repeat(Op):
    """``repeat(x, repeats, axis)``: each element repeated along ``axis`` (NumPy's repeat)."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def __str__(self) -> str:
        return f"Repeat{{axis={self.axis}}}"

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x = as_tensor_variable(x)
        repeats = as_tensor_variable(repeats)
        if repeats.ndim > 1 or not is_int(repeats.dtype) or repeats.dtype == "bool":
            raise TypeError(f"{self}: repeats must be an int scalar or vector, got "
                            f"{describe(repeats)}")
        if not 0 <= self.axis < x.ndim:
            raise IndexError(f"{self}: axis out of range for {describe(x)}")
        size = x.type.shape[self.axis]
        if repeats.ndim == 1 and None not in (size, repeats.type.shape[0]) \
                and size != repeats.type.shape[0]:
            raise ValueError(f"{self}: repeats {describe(repeats)} does not match axis "
                             f"{self.axis} of {describe(x)}")
        length = None
        if isinstance(repeats, TensorConstant):
            if repeats.ndim == 1:
                length = int(repeats.data.sum())
            elif size is not None:
                length = size * int(repeats.data)
        shape = list(x.type.shape)
        shape[self.axis] = length
        return Apply(self, [x, repeats], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, repeats = inputs
        try:
            output_storage[0][0] = np.repeat(x, repeats, axis=self.axis)
        except ValueError as err:
            raise ValueError(f"{self} at node {node.uid}: {err} (input shape {x.shape}, "
                             f"repeats shape {np.shape(repeats)})") from None

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # a scalar repeats every element that often; a vector gives each element's count
        repeats = node.inputs[1]
        size = shapes[0][self.axis] * repeats if repeats.ndim == 0 \
            else mathops.sum(repeats, dtype="int64")
        return [tuple(size if d == self.axis else s for d, s in enumerate(shapes[0]))]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        x, repeats = inputs
        if is_int(x.dtype):
            return [None, None]
        # each output slice came from source index repeat(arange(n), repeats): scatter-add back
        source = repeat(arange(shape_i(x, self.axis)), repeats, axis=0)
        index = (slice(None),) * self.axis + (source,)
        region = mathops.zeros_like(x)[index]
        return [inc_subtensor(region, output_grads[0]), None]


def repeat(x: Any, repeats: Any, axis: int | None = None) -> TensorVariable:
    """Repeat each element of ``x``; ``axis=None`` repeats the flattened array.

    >>> v = T.dvector('v'); T.repeat(v, 2).eval({v: [1., 2.]})
    array([1., 1., 2., 2.])
    """
    x = as_tensor_variable(x)
    if axis is None:
        x, axis = flatten(x), 0
    elif not -x.ndim <= axis < x.ndim:
        raise IndexError(f"repeat: axis {axis} is out of range for {describe(x)}")
    if isinstance(repeats, (int, np.integer)):
        repeats = constant(int(repeats), dtype="int64")
    elif isinstance(repeats, (list, tuple, np.ndarray)):
        repeats = constant(np.asarray(repeats, dtype="int64"))
    return Repeat(axis % x.ndim)(x, repeats)


class AllocDiag(Op):
    """A square matrix with vector ``v`` on diagonal ``offset`` (``diag`` of a vector)."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0):
        self.offset = int(offset)

    def make_node(self, v: Any) -> Apply:
        v = as_tensor_variable(v)
        if v.ndim != 1:
            raise TypeError(f"{self}: needs a vector, got {describe(v)}")
        n = v.type.shape[0]
        size = None if n is None else n + abs(self.offset)
        return Apply(self, [v], [TensorType(v.dtype, shape=(size, size)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.diag(inputs[0], self.offset)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        size = shapes[0][0] + abs(self.offset)
        return [(size, size)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return [None if is_int(inputs[0].dtype) else ExtractDiag(self.offset)(output_grads[0])]


class ExtractDiag(Op):
    """Diagonal ``offset`` of a matrix, as a vector (``diag`` of a matrix)."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0):
        self.offset = int(offset)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 2:
            raise TypeError(f"{self}: needs a matrix, got {describe(x)}")
        rows, cols = x.type.shape
        k = self.offset
        length = None
        if rows is not None and cols is not None:
            length = max(0, min(rows, cols - k) if k >= 0 else min(rows + k, cols))
        return Apply(self, [x], [TensorType(x.dtype, shape=(length,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.diagonal(inputs[0], self.offset).copy()

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        rows, cols = shapes[0]
        k = self.offset
        length = mathops.minimum(rows, cols - k) if k >= 0 else mathops.minimum(rows + k, cols)
        return [(mathops.maximum(length, 0),)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        x, g = inputs[0], output_grads[0]
        if is_int(x.dtype):
            return [None]
        # scatter g back onto the diagonal: rows i + max(0, -k), columns i + max(0, k)
        steps = arange(shape_i(g, 0))
        rows, cols = steps + max(0, -self.offset), steps + max(0, self.offset)
        return [inc_subtensor(mathops.zeros_like(x)[rows, cols], g)]


def diag(v: Any, k: int = 0) -> TensorVariable:
    """Theano's ``diag``: a vector gives a diagonal matrix, a matrix gives its diagonal.

    >>> T.diag(T.dvector('v')); T.diag(T.dmatrix('m'))
    """
    v = as_tensor_variable(v)
    if v.ndim == 1:
        return AllocDiag(k)(v)
    if v.ndim == 2:
        return ExtractDiag(k)(v)
    raise ValueError(f"diag: needs a vector or a matrix, got {describe(v)}")
