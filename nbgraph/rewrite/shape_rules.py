"""Shape inference as rewrites (canonicalize): ``x.shape`` of an expression from its inputs'
shapes, so ``function([x], (x ** 2).shape)`` runs ``MakeVector(Shape_i{0}(x), Shape_i{1}(x))``
and never computes ``x ** 2`` (Theano's ShapeFeature, as rules the trace shows).

Each op answers through ``infer_shape(node, input_shapes)``: one tuple of int64 scalars per
output, ``None`` for a size it cannot tell. Like Theano's, the answer trusts the graph: the
shape of ``x + y`` is read from ``x`` without checking ``y`` when run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.types import is_int
from ..core.variable import TensorVariable, const_int, constant
from ..ops import math as T
from ..ops.elemwise import Elemwise
from ..ops.shape import MakeVector, Shape, Shape_i, make_vector
from ..ops.subtensor import SliceEntry, Subtensor
from .engine import node_rule


def dim_of(var: TensorVariable, axis: int) -> TensorVariable:
    """``var.shape[axis]``: a constant where the type knows it, else ``Shape_i``."""
    static = var.type.shape[axis]
    if static is not None:
        return constant(static, dtype="int64")
    return Shape_i(axis)(var)


def _as_size(dim: object) -> TensorVariable | None:
    """An ``infer_shape`` entry as an int64 scalar Variable (None stays None)."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return constant(int(dim), dtype="int64")
    var = dim if isinstance(dim, TensorVariable) else None
    if var is None or var.ndim != 0:
        return None
    return var if var.dtype == "int64" else T.cast(var, "int64")


def inferred_dim(var: TensorVariable, axis: int) -> TensorVariable | None:
    """``var.shape[axis]`` from the shapes of the inputs of the node computing ``var``, or
    None when its op cannot tell (no ``infer_shape``, or a size known only when run)."""
    node = var.owner
    infer = None if node is None else getattr(node.op, "infer_shape", None)
    if node is None or infer is None:
        return None
    shapes = [tuple(dim_of(v, k) for k in range(v.ndim)) for v in node.inputs]
    entries: Sequence[object] = infer(node, shapes)[var.index]
    return _as_size(entries[axis])


# rules that trust the graph's shapes say so first, as the other shape_unsafe rules do
_TRUSTS = "removes a run-time shape check; "


@node_rule("shape_to_shape_i", tracks=(Shape,), doc=_TRUSTS + (
    "shape(f(x)) -> MakeVector(Shape_i{0}(f(x)), ...), which shape_i_infer reads off x: f is "
    "not run, so neither are its checks that its inputs' shapes agree (as Theano's "
    "ShapeFeature)"))
def shape_to_shape_i(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """shape(f(x)) -> MakeVector(Shape_i{0}(f(x)), ...) (which shape_i_infer then reads off
    x); for a graph input only where its type knows some sizes."""
    x = node.inputs[0]
    if x.owner is None and all(s is None for s in x.type.shape):
        return None
    if x.ndim == 0:
        return [constant(np.zeros(0, dtype="int64"))]
    return [make_vector([dim_of(x, k) for k in range(x.ndim)])]


@node_rule("shape_i_infer", tracks=(Shape_i,), doc=_TRUSTS + (
    "Shape_i{k}(f(x, ...)) -> f's k-th size from its inputs' sizes (infer_shape), trusting "
    "that the inputs f would check agree; a size the type knows -> the constant"))
def shape_i_infer(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """Shape_i{k}(f(x, ...)) -> f's k-th output size from x's sizes (alloc(v, n, m).shape[0]
    -> n, (x ** 2).shape[0] -> Shape_i{0}(x)); a size the type knows -> the constant."""
    x, axis = node.inputs[0], node.op.i
    if x.type.shape[axis] is not None:
        return [constant(x.type.shape[axis], dtype="int64")]
    dim = inferred_dim(x, axis)
    if dim is None:
        return None
    owner = dim.owner
    if owner is not None and isinstance(owner.op, Shape_i) and owner.inputs[0] is x \
            and owner.op.i == axis:
        return None   # the op answered with the size itself
    return [dim]


@node_rule("fill_shape_from_input", tracks=("Elemwise:second",), doc=_TRUSTS + (
    "fill(f(x, ...), v) -> fill(x, v) where elementwise f's output has x's shape, so f is not "
    "computed (nor its inputs' shapes checked) only to give the fill its shape"))
def fill_shape_from_input(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """fill(f(x), v) -> fill(x, v) when elementwise f(x) has x's shape: the fill only needs
    the shape, so f (often exp of a gradient's forward value) is not computed for it."""
    model, value = node.inputs
    owner = model.owner
    if owner is None or type(owner.op) is not Elemwise:
        return None
    for var in owner.inputs:
        if var.type.broadcastable == model.type.broadcastable and var.ndim == model.ndim:
            return [T.second(var, value)]
    return None


def _leading_slice(node: Apply) -> tuple[int, int | None] | None:
    """``(start, stop)`` when ``node`` is ``x[start:stop]`` with one slice of constants
    start, stop >= 0 and step 1 (stop None for the end), else None."""
    if len(node.op.idx_list) != 1 or not isinstance(node.op.idx_list[0], SliceEntry):
        return None
    entry = node.op.idx_list[0]
    given = iter(node.inputs[1:])
    start, stop, step = (None if p is None else const_int(next(given)) for p in entry.parts())
    absent = [p is None for p in entry.parts()]
    if (not absent[0] and (start is None or start < 0)) \
            or (not absent[1] and (stop is None or stop < 0)) \
            or (not absent[2] and step != 1):
        return None
    return start or 0, stop


@node_rule("subtensor_merge", tracks=(Subtensor,))
def subtensor_merge(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """x[a:b][c:d] -> x[a + c : min(b, a + d)] for slices of constants >= 0 with step 1 on
    the leading axis (x[1:][1:] -> x[2:])."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, Subtensor):
        return None
    first, second = _leading_slice(inner), _leading_slice(node)
    if first is None or second is None:
        return None
    (a, b), (c, d) = first, second
    start = a + c
    stop = b if d is None else a + d if b is None else min(b, a + d)
    return [inner.inputs[0][start:stop]]


def _whole_axis(node: Apply, entry: object, given: list[TensorVariable], axis: int) -> bool:
    """Whether slice ``entry`` (its parts taken from ``given``) keeps all of ``axis``: start
    absent or 0, step absent or 1, stop absent or the axis length (Shape_i or static size)."""
    if not isinstance(entry, SliceEntry):
        return False
    x = node.inputs[0]
    start, stop, step = (None if p is None else given.pop(0) for p in entry.parts())
    if (start is not None and const_int(start) != 0) or (step is not None
                                                         and const_int(step) != 1):
        return False
    if stop is None:
        return True
    size = const_int(stop)
    if size is not None:   # a constant at least as long as the axis
        static = x.type.shape[axis]
        return static is not None and size >= static
    return any(_same_size(stop, d) for d in (dim_of(x, axis), inferred_dim(x, axis)))


def _same_size(a: TensorVariable, b: TensorVariable | None) -> bool:
    """Whether two size scalars are the same Shape_i of the same Variable."""
    if b is None or a.owner is None or b.owner is None:
        return False
    first, second = a.owner, b.owner
    return isinstance(first.op, Shape_i) and isinstance(second.op, Shape_i) \
        and first.op.i == second.op.i and first.inputs[0] is second.inputs[0]


@node_rule("useless_subtensor", tracks=(Subtensor,))
def useless_subtensor(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """x[:], x[0:], x[:x.shape[0]], x[:, ::1] -> x (slices that keep every element)."""
    given = list(node.inputs[1:])
    whole = [_whole_axis(node, e, given, k) for k, e in enumerate(node.op.idx_list)]
    return [node.inputs[0]] if all(whole) else None


@node_rule("make_vector_constant", tracks=(MakeVector,))
def make_vector_constant(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """MakeVector(c0, c1, ...) of constants -> one constant vector (alloc(v, 2, 3).shape, once
    shape inference has made its sizes constants; constant folding ran before)."""
    if not is_int(node.op.dtype):
        return None   # const_int would truncate float entries
    values = [const_int(v) for v in node.inputs]
    if not values or any(v is None for v in values):
        return None
    data = np.array(values, dtype=node.op.dtype)
    return [constant(data)]
