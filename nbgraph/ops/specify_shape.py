"""``specify_shape`` (Theano's ``SpecifyShape``): ``x`` unchanged, with a shape the graph may
rely on, checked when the function runs. Runs in Python."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import TensorVariable, as_tensor_variable, const_int, describe
from .shape import MakeVector, make_vector

__all__ = ["specify_shape", "SpecifyShape"]


class SpecifyShape(Op):
    """Pass ``x`` through after checking that its shape is ``shape`` (an int vector with one
    entry per dimension); constant entries become static in the output type."""

    view_map = {0: [0]}

    def make_node(self, x: Any, shape: Any) -> Apply:
        x = as_tensor_variable(x)
        if isinstance(shape, (list, tuple)):
            entries = [np.int64(s) if isinstance(s, int) else s for s in shape]
            shape = make_vector([as_tensor_variable(s) for s in entries]) if entries \
                else as_tensor_variable(np.zeros(0, dtype="int64"))
        shape = as_tensor_variable(shape)
        if shape.ndim != 1 or not is_int(shape.dtype):
            raise TypeError(f"{self}: shape must be an int vector, got {describe(shape)}")
        static = _static_entries(shape)
        if static is not None and len(static) != x.ndim:
            raise ValueError(f"{self}: {len(static)} sizes given for {describe(x)}")
        out_shape = tuple(s if s is not None else x.type.shape[i]
                          for i, s in enumerate(static or [None] * x.ndim))
        return Apply(self, [x, shape], [TensorType(x.dtype, shape=out_shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, shape = inputs
        if x.shape != tuple(int(s) for s in shape):
            raise ValueError(f"{self} at node {node.uid}: {describe(node.inputs[0])} has shape "
                             f"{x.shape}, specified {tuple(int(s) for s in shape)}")
        output_storage[0][0] = x

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        shape = node.inputs[1]
        return [tuple(shape[i] for i in range(node.inputs[0].ndim))]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [output_grads[0], None]


def _static_entries(shape: TensorVariable) -> list[int | None] | None:
    """The entries of a shape vector known at build time (None for an unknown one), or
    None when even its length is unknown."""
    if hasattr(shape, "data"):
        return [int(v) for v in np.asarray(shape.data)]
    if shape.owner is not None and isinstance(shape.owner.op, MakeVector):
        return [const_int(v) for v in shape.owner.inputs]
    return None if shape.type.shape[0] is None else [None] * shape.type.shape[0]


def specify_shape(x: Any, shape: Any) -> TensorVariable:
    """``x``, promised to have ``shape`` (checked at run time).

    >>> x = T.specify_shape(T.dmatrix('x'), (3, 4))      # x.type: float64[3,4]
    """
    return SpecifyShape()(x, shape)
