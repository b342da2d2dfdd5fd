"""``specify_shape(x, shape)``: Theano's promise about a shape, checked when the function runs.

The output is ``x`` itself (a view); its type carries the sizes given as constants, and shape
inference answers ``specify_shape(x, s).shape`` with ``s`` without looking at ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType
from ..core.variable import (
    TensorConstant,
    TensorVariable,
    as_tensor_variable,
    const_int,
    describe,
    int_scalar,
)

__all__ = ["SpecifyShape", "specify_shape"]


class SpecifyShape(Op):
    """``x`` unchanged, after checking that ``x.shape`` equals the given sizes."""

    view_map = {0: [0]}

    def make_node(self, x: Any, *sizes: Any) -> Apply:
        x = as_tensor_variable(x)
        dims = [int_scalar(s, self, "a shape entry") for s in sizes]
        if len(dims) != x.ndim:
            raise ValueError(f"{self}: {describe(x)} has {x.ndim} dimensions but the shape "
                             f"has {len(dims)} entries")
        static = list(x.type.shape)
        for axis, dim in enumerate(dims):
            given = const_int(dim)
            if given is None:
                continue
            if given < 0 or static[axis] not in (None, given):
                raise ValueError(f"{self}: dimension {axis} of {describe(x)} cannot have "
                                 f"length {given}")
            static[axis] = given
        out = TensorType(x.dtype, shape=static).make_variable()
        return Apply(self, [x, *dims], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, *sizes = inputs
        wanted = tuple(int(s) for s in sizes)
        if np.shape(x) != wanted:
            # AssertionError, as Theano's SpecifyShape raises
            raise AssertionError(f"{self} at node {node.uid}: the input has shape "
                                 f"{np.shape(x)} but the shape specified is {wanted}")
        output_storage[0][0] = x

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [tuple(node.inputs[1:])]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        # the identity on values; the sizes have no gradient
        return [output_grads[0], *([None] * (len(inputs) - 1))]


def specify_shape(x: Any, shape: Sequence[Any] | TensorVariable) -> TensorVariable:
    """``x``, promised to have ``shape`` (ints or int scalars); checked when run.

    >>> x = T.dmatrix('x')
    >>> y = T.specify_shape(x, (2, 3))     # y.type.shape == (2, 3)
    >>> (y * 2).shape                       # inferred as (2, 3), not computed from x
    """
    if isinstance(shape, TensorVariable):
        if isinstance(shape, TensorConstant):
            entries: list[Any] = [int(s) for s in np.asarray(shape.data)]
        elif shape.ndim == 1 and shape.type.shape[0] is not None:
            entries = [shape[i] for i in range(shape.type.shape[0])]
        else:
            raise ValueError(f"specify_shape: the shape {describe(shape)} must have a known "
                             f"length")
    else:
        entries = list(shape)
    return SpecifyShape()(x, *entries)
