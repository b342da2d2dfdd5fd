"""``nonzero``: the positions of the nonzero elements (Theano's ``Nonzero``), which boolean-mask
indexing goes through; ``flatnonzero`` and ``nonzero_values`` build on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType
from ..core.variable import TensorVariable, as_tensor_variable, describe

__all__ = ["Nonzero", "nonzero", "flatnonzero", "nonzero_values"]


class Nonzero(Op):
    """The indices of the nonzero elements of ``a`` as an int64 matrix, one row per axis."""

    def make_node(self, a: Any) -> Apply:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"{self}: needs an array of at least one dimension, got "
                             f"{describe(a)}")
        out = TensorType("int64", shape=(a.ndim, None)).make_variable()
        return Apply(self, [a], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a = inputs[0]
        output_storage[0][0] = np.array(np.nonzero(a), dtype="int64").reshape(a.ndim, -1)

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return [None]  # integer positions: piecewise constant


def nonzero(a: Any, return_matrix: bool = False
            ) -> TensorVariable | tuple[TensorVariable, ...]:
    """Indices of the nonzero elements: a tuple of int64 vectors, one per axis.

    >>> m = T.dmatrix('m'); rows, cols = T.nonzero(m)
    >>> T.nonzero(m, return_matrix=True)   # one (ndim, nnz) matrix instead
    """
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[i] for i in range(matrix.type.shape[0]))


def flatnonzero(a: Any) -> TensorVariable:
    """Indices of the nonzero elements of the flattened ``a``."""
    a = as_tensor_variable(a)
    return nonzero(a.flatten(), return_matrix=True)[0]


def nonzero_values(a: Any) -> TensorVariable:
    """The nonzero elements of ``a``, flattened: ``a.flatten()[flatnonzero(a)]``."""
    a = as_tensor_variable(a)
    return a.flatten()[flatnonzero(a)]
