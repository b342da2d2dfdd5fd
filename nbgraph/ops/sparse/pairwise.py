"""Elementwise sums and products of two sparse matrices (sparse results) and the product of
a sparse matrix with a dense row vector (Theano's ``add_s_s``, ``mul_s_s``, ``mul_s_v``).
Python over ``scipy.sparse``; gradients structured (at each operand's stored positions)."""

from __future__ import annotations

from typing import Any

from ...core.graph import Apply
from ...core.op import Op
from ...core.types import upcast
from ...core.variable import as_tensor_variable, describe
from .basic import _scipy_matrix, _sparse_input, csm_data, sparse_like, values_at
from .type import SparseType, SparseVariable

__all__ = ["AddSS", "MulSS", "add_s_s", "mul_s_s", "mul_s_v"]


class _SparsePair(Op):
    """An elementwise op of two sparse matrices of one format, sparse result."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = _sparse_input(self, x), _sparse_input(self, y)
        if x.format != y.format:
            raise TypeError(f"{self}: formats differ ({x.type} and {y.type})")
        out = SparseType(x.format, upcast(x.dtype, y.dtype)).make_variable()
        return Apply(self, [x, y], [out])

    def check(self, node: Apply, x: Any, y: Any) -> None:
        if x.shape != y.shape:
            raise ValueError(f"{self} at node {node.uid}: shapes {x.shape} and {y.shape} "
                             f"differ")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]


class AddSS(_SparsePair):
    """``x + y`` of two sparse matrices (stored where either stores)."""

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        self.check(node, x, y)
        out = _scipy_matrix(x.format)(x + y)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x, y), (g,) = inputs, output_grads
        return [sparse_like(x, values_at(x, g)), sparse_like(y, values_at(y, g))]


class MulSS(_SparsePair):
    """``x * y`` elementwise of two sparse matrices (stored where both store)."""

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        self.check(node, x, y)
        out = _scipy_matrix(x.format)(x.multiply(y))
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # d(x*y)/dx = y at x's entries (0 where y stores nothing), and the reverse
        (x, y), (g,) = inputs, output_grads
        return [sparse_like(x, values_at(x, g) * values_at(x, y)),
                sparse_like(y, values_at(y, g) * values_at(y, x))]


def add_s_s(x: Any, y: Any) -> SparseVariable:
    """The sum of two sparse matrices, sparse."""
    return AddSS()(x, y)


def mul_s_s(x: Any, y: Any) -> SparseVariable:
    """The elementwise product of two sparse matrices, sparse."""
    return MulSS()(x, y)


def mul_s_v(x: Any, y: Any) -> SparseVariable:
    """Sparse ``x`` times dense vector ``y`` broadcast over the rows (column ``j`` scaled by
    ``y[j]``), sparse."""
    x, y = _sparse_input("mul_s_v", x), as_tensor_variable(y)
    if y.ndim != 1:
        raise TypeError(f"mul_s_v: needs a vector, got {describe(y)}")
    return sparse_like(x, csm_data(x) * values_at(x, y.dimshuffle("x", 0)))
