"""Shape ops: Shape, Shape_i, MakeVector, Reshape, Rebroadcast and the dimshuffle-based
helpers (transpose, swapaxes, squeeze, padding).

Joining arrays lives in ``join.py``; building new ones (alloc, arange, eye, tile, ...) in
``alloc.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.tensor_math import MATH
from ..core.types import TensorType, is_int
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, constant, describe
from .elemwise import DimShuffle

__all__ = ["shape", "shape_i", "reshape", "flatten", "transpose", "dimshuffle", "swapaxes",
           "squeeze", "shape_padleft", "shape_padright", "shape_padaxis", "make_vector",
           "addbroadcast", "unbroadcast", "patternbroadcast", "Shape", "Shape_i", "Reshape",
           "MakeVector", "Rebroadcast"]


class Shape(Op):
    """``x.shape`` as an int64 vector."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", shape=(x.ndim,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.asarray(inputs[0].shape, dtype="int64")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(constant(len(shapes[0]), dtype="int64"),)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return [None]


class Shape_i(Op):  # noqa: N801  (Theano's name)
    """``x.shape[i]`` as an int64 scalar."""

    __props__ = ("i",)

    def __init__(self, i: int):
        self.i = int(i)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"{self}: {x} has only {x.ndim} dimensions")
        return Apply(self, [x], [TensorType("int64", shape=()).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.asarray(inputs[0].shape[self.i], dtype="int64")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [()]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return [None]


class MakeVector(Op):
    """A vector from scalars: ``MakeVector(a, b, c)``."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str = "int64"):
        self.dtype = dtype

    def make_node(self, *scalars: Any) -> Apply:
        given = [as_tensor_variable(s) for s in scalars]
        for s in given:
            if s.ndim != 0:
                raise TypeError(f"{self}: {s} is not a scalar ({s.type.short()})")
        entries = [s if s.dtype == self.dtype else MATH.cast(s, self.dtype) for s in given]
        out = TensorType(self.dtype, shape=(len(entries),)).make_variable()
        return Apply(self, entries, [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.array(inputs, dtype=self.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(constant(len(node.inputs), dtype="int64"),)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        g = output_grads[0]
        return [None if is_int(x.dtype) else g[i] for i, x in enumerate(inputs)]


def make_vector(values: Sequence[Any], dtype: str = "int64") -> TensorVariable:
    return MakeVector(dtype)(*values)


def shape(x: Any) -> TensorVariable:
    return Shape()(x)


def shape_i(x: Any, i: int) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.type.shape[i] is not None:
        return constant(x.type.shape[i], dtype="int64")
    return Shape_i(i)(x)


def as_shape_vector(shape: Any) -> TensorVariable:
    """A shape argument (ints, a sequence with symbolic entries, or an int vector) as one
    integer vector Variable."""
    if isinstance(shape, TensorVariable):
        if shape.ndim != 1 or not is_int(shape.dtype):
            raise TypeError(f"reshape: shape must be an integer vector, got {shape.type}")
        return shape
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if any(isinstance(s, Variable) for s in shape):
        return make_vector(list(shape))
    return constant(np.asarray(shape, dtype="int64"))


class Reshape(Op):
    """``reshape(x, shape)``; ``shape`` is an int vector (one entry may be -1)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}  # np.reshape returns a view whenever it can

    def __init__(self, ndim: int):
        self.ndim = int(ndim)

    def make_node(self, x: Any, shp: Any) -> Apply:
        x = as_tensor_variable(x)
        shp = as_shape_vector(shp)
        if shp.type.shape[0] not in (None, self.ndim):
            raise ValueError(f"{self}: shape has {shp.type.shape[0]} entries, not {self.ndim}")
        static: list[int | None] = [None] * self.ndim
        if isinstance(shp, TensorConstant):
            wanted = [int(s) for s in shp.data]
            if wanted.count(-1) > 1 or any(s < -1 for s in wanted):
                raise ValueError(f"{self}: invalid shape {wanted}")
            dims = [s for s in x.type.shape if s is not None]
            size = int(np.prod(dims)) if len(dims) == x.ndim else None
            known = int(np.prod([s for s in wanted if s != -1]))
            if size is not None:
                if -1 in wanted:
                    if known == 0 or size % known:
                        raise ValueError(f"{self}: cannot reshape {x.type.short()} to {wanted}")
                    wanted[wanted.index(-1)] = size // known
                elif known != size:
                    raise ValueError(f"{self}: cannot reshape {x.type.short()} (size {size}) "
                                     f"to {wanted} (size {known})")
            static = [None if s == -1 else s for s in wanted]
        elif shp.owner is not None and isinstance(shp.owner.op, MakeVector):
            static = [int(v.data) if isinstance(v, TensorConstant) and int(v.data) >= 0
                      else None for v in shp.owner.inputs]
        out = TensorType(x.dtype, shape=static).make_variable()
        return Apply(self, [x, shp], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, shp = inputs
        try:
            output_storage[0][0] = np.reshape(x, shp)
        except ValueError:
            raise ValueError(f"{self} at node {node.uid}: cannot reshape array of shape "
                             f"{x.shape} (size {x.size}) into shape "
                             f"{tuple(int(s) for s in shp)}") from None

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # an entry that may be -1 (resolved only when run) stays unknown (None)
        shp = node.inputs[1]
        if isinstance(shp, TensorConstant):
            return [tuple(None if s < 0 else constant(int(s), dtype="int64")
                          for s in shp.data)]
        if shp.owner is not None and isinstance(shp.owner.op, MakeVector):
            return [tuple(e if _never_minus_one(e) else None for e in shp.owner.inputs)]
        return [(None,) * self.ndim]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        x = inputs[0]
        return [reshape(output_grads[0], shape(x), ndim=x.ndim), None]


def _never_minus_one(entry: TensorVariable) -> bool:
    """Whether a reshape entry is certainly a size (a Shape_i, or a constant >= 0)."""
    if isinstance(entry, TensorConstant):
        return int(entry.data) >= 0
    return entry.owner is not None and isinstance(entry.owner.op, Shape_i)


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> TensorVariable:
    """``x`` with a new shape; ``ndim`` is required when ``newshape`` is a symbolic vector."""
    x = as_tensor_variable(x)
    shp = as_shape_vector(newshape)
    if ndim is None:
        ndim = shp.type.shape[0]
        if ndim is None:
            raise ValueError("reshape: pass ndim= when the new shape has unknown length")
    return Reshape(ndim)(x, shp)


def flatten(x: Any, ndim: int | None = None, outdim: int | None = None) -> TensorVariable:
    """Keep the first ``ndim - 1`` dimensions, flatten the rest into one.

    ``outdim`` is Theano's older name for ``ndim`` (default 1).

    >>> x = T.dtensor3('x'); T.flatten(x, outdim=2).eval({x: np.zeros((2, 3, 4))}).shape
    (2, 12)
    """
    if ndim is not None and outdim is not None and ndim != outdim:
        raise ValueError(f"flatten: ndim={ndim} and outdim={outdim} disagree (outdim is the "
                         f"old name of ndim; give one)")
    ndim = next((n for n in (ndim, outdim) if n is not None), 1)
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim={ndim} is invalid for a {x.ndim}-d input")
    if ndim == x.ndim:
        return x
    lead = [shape_i(x, i) for i in range(ndim - 1)]
    # a statically known tail keeps its length (so a flattened broadcastable tail stays one)
    tail = x.type.shape[ndim - 1:]
    last = -1 if None in tail else int(np.prod(tail))
    return reshape(x, lead + [last] if lead else [last], ndim=ndim)


def dimshuffle(x: Any, pattern: Sequence[Any]) -> TensorVariable:
    x = as_tensor_variable(x)
    return DimShuffle(x.broadcastable, pattern)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> TensorVariable:
    """Reverse the dimensions (or permute them by ``axes``)."""
    x = as_tensor_variable(x)
    order = list(range(x.ndim))[::-1] if axes is None else list(axes)
    return dimshuffle(x, order)


def swapaxes(x: Any, axis1: int, axis2: int) -> TensorVariable:
    """``x`` with dimensions ``axis1`` and ``axis2`` exchanged (a DimShuffle view).

    >>> x = T.dtensor3('x'); T.swapaxes(x, 0, 2).eval({x: np.zeros((2, 3, 4))}).shape
    (4, 3, 2)
    """
    x = as_tensor_variable(x)
    for axis in (axis1, axis2):
        if not -x.ndim <= axis < x.ndim:
            raise IndexError(f"swapaxes: axis {axis} is out of range for {describe(x)}")
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return dimshuffle(x, order)


def squeeze(x: Any, axis: int | Sequence[int] | None = None) -> TensorVariable:
    """``x`` without its broadcastable (static length 1) dimensions, as Theano's ``squeeze``.

    ``axis`` drops those dimensions instead, declaring them broadcastable first: a dimension
    not known to be 1 is checked at run time (``addbroadcast``).

    >>> r = T.drow('r'); T.squeeze(r).type          # TensorType(float64, vector)
    """
    x = as_tensor_variable(x)
    if axis is None:
        drop = [d for d, b in enumerate(x.broadcastable) if b]
    else:
        axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        for a in axes:
            if not -x.ndim <= a < x.ndim:
                raise IndexError(f"squeeze: axis {a} is out of range for {describe(x)}")
        drop = sorted({int(a) % x.ndim for a in axes})
        x = addbroadcast(x, *drop)
    if not drop:
        return x
    return dimshuffle(x, [d for d in range(x.ndim) if d not in drop])


def shape_padleft(x: Any, n_ones: int = 1) -> TensorVariable:
    """Add ``n_ones`` broadcastable dimensions on the left."""
    x = as_tensor_variable(x)
    return dimshuffle(x, ["x"] * n_ones + list(range(x.ndim)))


def shape_padright(x: Any, n_ones: int = 1) -> TensorVariable:
    """Add ``n_ones`` broadcastable dimensions on the right."""
    x = as_tensor_variable(x)
    return dimshuffle(x, list(range(x.ndim)) + ["x"] * n_ones)


def shape_padaxis(x: Any, axis: int) -> TensorVariable:
    """Insert one broadcastable dimension at ``axis``."""
    x = as_tensor_variable(x)
    if not -x.ndim - 1 <= axis <= x.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} out of range for {x.ndim}-d input")
    axis = axis % (x.ndim + 1)
    order: list[Any] = list(range(x.ndim))
    order.insert(axis, "x")
    return dimshuffle(x, order)


# -- Rebroadcast ------------------------------------------------------------------------------
class Rebroadcast(Op):
    """Declare dimensions broadcastable or not: ``Rebroadcast((0, True), (2, False))``.

    Only the static type changes (the value passes through as a view); a dimension declared
    broadcastable is checked to have length 1 when the function runs. Printed as Theano did:
    ``Rebroadcast{1,?,0}`` (``?`` for an axis left alone).
    """

    __props__ = ("axis",)
    view_map = {0: [0]}

    def __init__(self, *axis: tuple[int, bool]):
        # a later pair for the same axis wins, as in Theano's dict
        self.axis = tuple(sorted({int(a): bool(b) for a, b in axis}.items()))

    def __str__(self) -> str:
        pattern = ["?"] * (1 + max((a for a, _ in self.axis), default=-1))
        for a, b in self.axis:
            pattern[a] = str(int(b))
        return f"Rebroadcast{{{','.join(pattern)}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        shape = list(x.type.shape)
        for a, b in self.axis:
            if not 0 <= a < x.ndim:
                raise IndexError(f"{self}: axis {a} is out of range for {describe(x)}")
            if b and shape[a] not in (None, 1):
                raise ValueError(f"{self}: dimension {a} of {describe(x)} has length "
                                 f"{shape[a]}, so it cannot be broadcastable")
            if b:
                shape[a] = 1
            elif shape[a] == 1:
                shape[a] = None
        return Apply(self, [x], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        for a, b in self.axis:
            if b and x.shape[a] != 1:
                raise ValueError(f"{self} at node {node.uid}: dimension {a} was declared "
                                 f"broadcastable, so its length must be 1, but the input has "
                                 f"shape {x.shape}")
        output_storage[0][0] = x

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        one = constant(1, dtype="int64")
        made = dict(self.axis)
        return [tuple(one if made.get(i) else d for i, d in enumerate(shapes[0]))]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        # the gradient takes the input's pattern back on the axes this op changed
        x = inputs[0]
        return [_rebroadcast(output_grads[0], [(a, x.broadcastable[a]) for a, _ in self.axis])]


def _rebroadcast(x: Any, pairs: Sequence[tuple[int, bool]]) -> TensorVariable:
    """``Rebroadcast`` of ``x``, left out when it changes nothing and folded into a
    Rebroadcast that ``x`` already comes from (Theano's ``apply_rebroadcast_opt``)."""
    x = as_tensor_variable(x)
    # one entry per axis, the last given winning
    wanted = {a % x.ndim if -x.ndim <= a < 0 else int(a): bool(b) for a, b in pairs}
    changes = [(a, b) for a, b in wanted.items()
               if not (0 <= a < x.ndim and x.broadcastable[a] == b)]
    if not changes:
        return x
    if x.owner is not None and isinstance(x.owner.op, Rebroadcast):
        inner = x.owner.inputs[0]
        return _rebroadcast(inner, [*x.owner.op.axis, *changes])
    return Rebroadcast(*changes)(x)


def addbroadcast(x: Any, *axes: int) -> TensorVariable:
    """``x`` with ``axes`` made broadcastable (checked to have length 1 at run time).

    >>> m = T.dmatrix('m'); T.addbroadcast(m, 0).broadcastable
    (True, False)
    """
    return _rebroadcast(x, [(a, True) for a in axes])


def unbroadcast(x: Any, *axes: int) -> TensorVariable:
    """``x`` with ``axes`` made not broadcastable (their length becomes unknown).

    >>> r = T.drow('r'); T.unbroadcast(r, 0).broadcastable
    (False, False)
    """
    return _rebroadcast(x, [(a, False) for a in axes])


def patternbroadcast(x: Any, broadcastable: Sequence[bool]) -> TensorVariable:
    """``x`` with the whole broadcastable pattern ``broadcastable``.

    >>> m = T.dmatrix('m'); T.patternbroadcast(m, (False, True)).broadcastable
    (False, True)
    """
    x = as_tensor_variable(x)
    if len(broadcastable) != x.ndim:
        raise ValueError(f"patternbroadcast: pattern {tuple(broadcastable)} has "
                         f"{len(broadcastable)} entries, {describe(x)} has {x.ndim} dimensions")
    return _rebroadcast(x, list(enumerate(broadcastable)))
