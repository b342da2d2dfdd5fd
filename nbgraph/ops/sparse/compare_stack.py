"""Comparisons with a sparse operand (Theano's ``eq neq lt gt le ge`` of ``theano.sparse``) and
``hstack``/``vstack`` of sparse blocks. Python over ``scipy.sparse``: sparse-sparse comparisons
give a sparse uint8 matrix, sparse-dense ones a dense uint8 matrix (as Theano)."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...core.graph import Apply
from ...core.op import Op
from ...core.types import TensorType, upcast
from ...core.variable import as_tensor_variable, describe
from .basic import _scipy_matrix, _sparse_input
from .type import FORMATS, SparseType, SparseVariable, is_sparse

__all__ = ["SparseComparison", "eq", "neq", "lt", "gt", "le", "ge", "equal_s_s",
           "equal_s_d", "not_equal_s_s", "not_equal_s_d", "less_than_s_s", "less_than_s_d",
           "greater_than_s_s", "greater_than_s_d", "less_equal_s_s", "less_equal_s_d",
           "greater_equal_s_s", "greater_equal_s_d", "SparseStack", "hstack", "vstack"]

COMPARISONS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "neq": operator.ne, "lt": operator.lt, "gt": operator.gt,
    "le": operator.le, "ge": operator.ge}
MIRRORED = {"eq": "eq", "neq": "neq", "lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}


class SparseComparison(Op):
    """``x <op> y`` for sparse ``x`` and sparse or dense ``y`` of the same shape."""

    __props__ = ("name",)

    def __init__(self, name: str):
        if name not in COMPARISONS:
            raise ValueError(f"SparseComparison: unknown comparison {name!r}")
        self.name = name

    def __str__(self) -> str:
        return f"SparseComparison{{{self.name}}}"

    def make_node(self, x: Any, y: Any) -> Apply:
        x = _sparse_input(self, x)
        if is_sparse(y):
            if y.format != x.format:
                raise TypeError(f"{self}: formats differ ({x.type} and {y.type})")
            return Apply(self, [x, y], [SparseType(x.format, "uint8").make_variable()])
        y = as_tensor_variable(y)
        if y.ndim != 2:
            raise TypeError(f"{self}: the dense operand must be a matrix, got {describe(y)}")
        return Apply(self, [x, y], [TensorType("uint8", shape=(None, None)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        if x.shape != y.shape:
            raise ValueError(f"{self} at node {node.uid}: shapes {x.shape} and {y.shape} "
                             f"differ")
        with warnings.catch_warnings():   # == <= >= of two sparse matrices fill the zeros in;
            warnings.simplefilter("ignore")  # scipy warns so, but that is what was asked
            out = COMPARISONS[self.name](x, y)
        if is_sparse(node.outputs[0]):
            output_storage[0][0] = _scipy_matrix(x.format)(out).astype("uint8")
        else:
            dense = out.toarray() if hasattr(out, "toarray") else np.asarray(out)
            output_storage[0][0] = dense.astype("uint8")

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None, None]   # piecewise constant


def _compare(name: str) -> Callable[[Any, Any], Any]:
    def apply(x: Any, y: Any) -> Any:
        if not is_sparse(x):      # dense <op> sparse: the mirrored comparison
            return SparseComparison(MIRRORED[name])(y, x)
        return SparseComparison(name)(x, y)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = (f"``x {name} y`` with a sparse operand: sparse uint8 for two sparse "
                     f"matrices, dense uint8 with a dense one.")
    return apply


eq, neq, lt, gt, le, ge = (_compare(n) for n in ("eq", "neq", "lt", "gt", "le", "ge"))
# Theano's op instances for the sparse-sparse and sparse-dense forms
equal_s_s = equal_s_d = SparseComparison("eq")
not_equal_s_s = not_equal_s_d = SparseComparison("neq")
less_than_s_s = less_than_s_d = SparseComparison("lt")
greater_than_s_s = greater_than_s_d = SparseComparison("gt")
less_equal_s_s = less_equal_s_d = SparseComparison("le")
greater_equal_s_s = greater_equal_s_d = SparseComparison("ge")


class SparseStack(Op):
    """Sparse blocks side by side (``axis=1``, hstack) or stacked (``axis=0``, vstack), as
    ``scipy.sparse.hstack``/``vstack``, in ``format`` (default csc for hstack, csr for
    vstack, as Theano)."""

    __props__ = ("axis", "format", "dtype")

    def __init__(self, axis: int, format: str | None = None,  # noqa: A002
                 dtype: str | None = None):
        self.axis = int(axis)
        self.format = format or ("csc" if self.axis == 1 else "csr")
        if self.format not in FORMATS:
            raise ValueError(f"sparse stack: format must be one of {FORMATS}, got {format!r}")
        self.dtype = dtype

    def make_node(self, *blocks: Any) -> Apply:
        if not blocks:
            raise ValueError(f"{self}: needs at least one block")
        blocks = tuple(_sparse_input(self, b) for b in blocks)
        dtype = self.dtype or upcast(*[b.dtype for b in blocks])
        return Apply(self, list(blocks), [SparseType(self.format, dtype).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import sparse
        join = sparse.hstack if self.axis == 1 else sparse.vstack
        try:
            out = join(inputs, format=self.format, dtype=node.outputs[0].type.dtype)
        except ValueError as err:
            shapes = [b.shape for b in inputs]
            raise ValueError(f"{self} at node {node.uid}: blocks of shapes {shapes} do not "
                             f"stack ({err})") from None
        output_storage[0][0] = out

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        g = output_grads[0]
        return [StackGradPiece(self.axis, k)(g, *inputs) for k in range(len(inputs))]


class StackGradPiece(Op):
    """Block ``index`` of a stacked gradient ``g``: the rows (vstack) or columns (hstack) that
    block ``index`` of ``blocks`` occupied, in that block's format."""

    __props__ = ("axis", "index")

    def __init__(self, axis: int, index: int):
        self.axis = int(axis)
        self.index = int(index)

    def make_node(self, g: Any, *blocks: Any) -> Apply:
        block = blocks[self.index]
        return Apply(self, [g, *blocks], [block.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        g, *blocks = inputs
        sizes = [b.shape[self.axis] for b in blocks]
        start = sum(sizes[:self.index])
        window = slice(start, start + sizes[self.index])
        rows_cols = (slice(None), window) if self.axis == 1 else (window, slice(None))
        matrix = g.tocsr() if hasattr(g, "tocsr") else g
        piece = _scipy_matrix(blocks[self.index].format)(matrix[rows_cols])
        output_storage[0][0] = piece.astype(node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None] * len(inputs)


def hstack(blocks: Sequence[Any], format: str | None = None,  # noqa: A002
           dtype: str | None = None) -> SparseVariable:
    """Sparse blocks side by side (``scipy.sparse.hstack``); differentiable."""
    return SparseStack(1, format, dtype)(*blocks)


def vstack(blocks: Sequence[Any], format: str | None = None,  # noqa: A002
           dtype: str | None = None) -> SparseVariable:
    """Sparse blocks one above the other (``scipy.sparse.vstack``); differentiable."""
    return SparseStack(0, format, dtype)(*blocks)


