"""Indexing a sparse matrix: a block of rows and columns by slices (bounds symbolic or not,
step 1), or rows by an int vector (Theano's ``get_item_2d`` and ``get_item_list``, the minibatch
of a bag-of-words model). Python over ``scipy.sparse``; gradients structured."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.graph import Apply
from ...core.op import Op
from ...core.types import TensorType
from ...core.variable import TensorVariable, as_tensor_variable, describe, int_scalar
from .basic import _scipy_matrix, _sparse_input, sparse_like, values_at
from .type import SparseVariable

__all__ = ["GetItem2d", "GetItemList", "GetItemScalar", "PlaceBlock", "get_item_2d",
           "get_item_list", "get_item_scalar", "sparse_getitem"]


class GetItem2d(Op):
    """``x[r0:r1, c0:c1]``: the four bounds are int scalar inputs; ``open`` names the ones
    given as None (they read as the start or end of the axis)."""

    __props__ = ("open",)

    def __init__(self, open: tuple[bool, ...]):  # noqa: A002  (r0, r1, c0, c1 open?)
        self.open = tuple(bool(o) for o in open)

    def make_node(self, x: Any, *bounds: Any) -> Apply:
        x = _sparse_input(self, x)
        ints = [int_scalar(b, self, "a slice bound") for b in bounds]
        return Apply(self, [x, *ints], [x.type.make_variable()])

    def window(self, x: Any, bounds: list[Any]) -> tuple[slice, slice]:
        r0, r1, c0, c1 = (None if o else int(b) for o, b in zip(self.open, bounds, strict=True))
        return slice(r0, r1), slice(c0, c1)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, *bounds = inputs
        rows, cols = self.window(x, bounds)
        output_storage[0][0] = _scipy_matrix(x.format)(x[rows, cols])

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, *bounds = inputs
        placed = PlaceBlock(self.open)(x, output_grads[0], *bounds)
        return [sparse_like(x, values_at(x, placed)), *[None] * len(bounds)]


class PlaceBlock(Op):
    """A sparse matrix shaped like ``x``, holding ``g`` (sparse or dense) in the block
    ``GetItem2d`` with these bounds read (the adjoint of the slice)."""

    __props__ = ("open",)

    def __init__(self, open: tuple[bool, ...]):  # noqa: A002  (r0, r1, c0, c1 open?)
        self.open = tuple(bool(o) for o in open)

    def make_node(self, x: Any, g: Any, *bounds: Any) -> Apply:
        return Apply(self, [x, g, *bounds], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import sparse
        x, g, *bounds = inputs
        rows, cols = GetItem2d(self.open).window(x, bounds)
        r0 = range(x.shape[0])[rows].start if x.shape[0] else 0
        c0 = range(x.shape[1])[cols].start if x.shape[1] else 0
        coo = sparse.coo_matrix(g)
        placed = sparse.coo_matrix((coo.data, (coo.row + r0, coo.col + c0)), shape=x.shape)
        output_storage[0][0] = _scipy_matrix(x.format)(placed)


class GetItemList(Op):
    """``x[idx]``: the rows of ``x`` listed in the int vector ``idx`` (repeats allowed)."""

    def make_node(self, x: Any, idx: Any) -> Apply:
        x, idx = _sparse_input(self, x), as_tensor_variable(idx)
        if idx.ndim != 1 or not idx.dtype.startswith(("int", "uint")):
            raise TypeError(f"{self}: the rows must be an int vector, got {describe(idx)}")
        return Apply(self, [x, idx], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, idx = inputs
        if idx.size and (idx.max() >= x.shape[0] or idx.min() < -x.shape[0]):
            raise IndexError(f"{self} at node {node.uid}: row index out of range for "
                             f"{x.shape[0]} rows")
        output_storage[0][0] = _scipy_matrix(x.format)(x.tocsr()[idx])

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, idx = inputs
        gathered = GatherRowsAdjoint()(x, output_grads[0], idx)
        return [sparse_like(x, values_at(x, gathered)), None]


class GatherRowsAdjoint(Op):
    """``P^T g`` for the row selection ``P`` of ``GetItemList``: row ``k`` of ``g`` added to
    row ``idx[k]`` of a sparse matrix shaped like ``x``."""

    def make_node(self, x: Any, g: Any, idx: Any) -> Apply:
        return Apply(self, [x, g, idx], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import sparse
        x, g, idx = inputs
        rows = np.asarray(idx) % max(x.shape[0], 1)
        pick = sparse.csr_matrix((np.ones(len(rows)), (np.arange(len(rows)), rows)),
                                 shape=(len(rows), x.shape[0]))
        output_storage[0][0] = _scipy_matrix(x.format)(pick.T @ sparse.csr_matrix(g))


class GetItemScalar(Op):
    """``x[i, j]`` as a 0-d dense tensor (negative indices count from the end)."""

    def make_node(self, x: Any, i: Any, j: Any) -> Apply:
        x = _sparse_input(self, x)
        i, j = int_scalar(i, self, "the row"), int_scalar(j, self, "the column")
        return Apply(self, [x, i, j], [TensorType(x.dtype, shape=()).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, i, j = inputs
        if not (-x.shape[0] <= i < x.shape[0] and -x.shape[1] <= j < x.shape[1]):
            raise IndexError(f"{self} at node {node.uid}: index ({int(i)}, {int(j)}) out of "
                             f"range for shape {x.shape}")
        output_storage[0][0] = np.asarray(x[int(i), int(j)], dtype=node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # the one-entry block at (i, j), with negative indices made positive first
        x, i, j = inputs
        row, col = i % x.shape[0], j % x.shape[1]
        block = output_grads[0].dimshuffle("x", "x")
        placed = PlaceBlock((False,) * 4)(x, block, row, row + 1, col, col + 1)
        return [sparse_like(x, values_at(x, placed)), None, None]


def get_item_scalar(x: Any, i: Any, j: Any) -> TensorVariable:
    """The entry ``x[i, j]`` of a sparse matrix (0-d dense)."""
    return GetItemScalar()(x, i, j)


def get_item_2d(x: Any, rows: slice, cols: slice = slice(None)) -> SparseVariable:
    """``x[rows, cols]`` for slices of step 1 (bounds may be symbolic int scalars)."""
    for s in (rows, cols):
        if s.step not in (None, 1):
            raise ValueError(f"sparse indexing: only step 1 is supported, got {s}")
    raw = (rows.start, rows.stop, cols.start, cols.stop)
    open_ = tuple(b is None for b in raw)
    bounds = [np.int64(0) if b is None else b for b in raw]
    return GetItem2d(open_)(x, *bounds)


def get_item_list(x: Any, idx: Any) -> SparseVariable:
    """The rows of sparse ``x`` listed in ``idx``."""
    return GetItemList()(x, idx)


def sparse_getitem(x: SparseVariable, index: Any) -> TensorVariable:
    """``x[...]`` for a sparse matrix: a slice of rows, a pair of slices, a pair of ints (one
    entry), or a list/vector of rows."""
    if isinstance(index, slice):
        return get_item_2d(x, index)
    if isinstance(index, tuple) and len(index) == 2 and all(isinstance(i, slice)
                                                             for i in index):
        return get_item_2d(x, index[0], index[1])
    if isinstance(index, tuple) and len(index) == 2 and not any(
            isinstance(i, slice) for i in index):
        return get_item_scalar(x, index[0], index[1])
    if isinstance(index, (list, np.ndarray, TensorVariable)):
        return get_item_list(x, index)
    raise TypeError(f"sparse indexing: supports x[a:b], x[a:b, c:d], x[i, j] and "
                    f"x[int vector], got {index!r}")


