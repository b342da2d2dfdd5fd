"""Housekeeping of a sparse matrix's storage (``remove0``, ``ensure_sorted_indices``,
``clean``) and diagonals (``diag`` of a sparse matrix, ``square_diagonal`` from a vector).
Python over ``scipy.sparse``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.graph import Apply
from ...core.op import Op
from ...core.types import TensorType
from ...core.variable import TensorVariable, as_tensor_variable, describe
from ..alloc import ExtractDiag
from .basic import _sparse_input, sparse_like, values_at
from .type import SparseType, SparseVariable, is_sparse

__all__ = ["Remove0", "EnsureSortedIndices", "Diag", "SquareDiagonal", "remove0",
           "ensure_sorted_indices", "clean", "diag", "square_diagonal"]


class _Restored(Op):
    """An op whose output has the entries of its sparse input (some dropped or reordered):
    the gradient is the incoming one at the input's stored positions."""

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        return Apply(self, [x], [x.type.make_variable()])

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (g,) = inputs, output_grads
        return [sparse_like(x, values_at(x, g))]


class Remove0(_Restored):
    """A copy without the explicitly stored zeros."""

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        out = inputs[0].copy()
        out.eliminate_zeros()
        output_storage[0][0] = out


class EnsureSortedIndices(_Restored):
    """A copy whose indices are sorted within each row (CSR) or column (CSC)."""

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0].sorted_indices()


class Diag(Op):
    """The main diagonal of a square sparse matrix, as a dense vector."""

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        return Apply(self, [x], [TensorType(x.dtype, shape=(None,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        if x.shape[0] != x.shape[1]:
            raise ValueError(f"{self} at node {node.uid}: needs a square matrix, got shape "
                             f"{x.shape}")
        output_storage[0][0] = np.asarray(x.diagonal(), dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(shapes[0][0],)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (g,) = inputs, output_grads
        return [sparse_like(x, values_at(x, SquareDiagonal()(g)))]


class SquareDiagonal(Op):
    """A square sparse (CSC) matrix with vector ``diag`` on its main diagonal."""

    def make_node(self, diag: Any) -> Apply:
        diag = as_tensor_variable(diag)
        if diag.ndim != 1 or is_sparse(diag):
            raise TypeError(f"{self}: needs a dense vector, got {describe(diag)}")
        return Apply(self, [diag], [SparseType("csc", diag.dtype).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import sparse
        output_storage[0][0] = sparse.diags(inputs[0], format="csc")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        n = shapes[0][0]
        return [(n, n)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        g = output_grads[0]
        return [Diag()(g) if is_sparse(g) else ExtractDiag(0)(g)]


def remove0(x: Any) -> SparseVariable:
    """``x`` without explicitly stored zeros."""
    return Remove0()(x)


def ensure_sorted_indices(x: Any) -> SparseVariable:
    """``x`` with sorted indices."""
    return EnsureSortedIndices()(x)


def clean(x: Any) -> SparseVariable:
    """``x`` without stored zeros and with sorted indices."""
    return ensure_sorted_indices(remove0(x))


def diag(x: Any) -> TensorVariable:
    """The main diagonal of a square sparse matrix (dense vector)."""
    return Diag()(x)


def square_diagonal(diag: Any) -> SparseVariable:
    """A square sparse matrix with ``diag`` on its diagonal."""
    return SquareDiagonal()(diag)
