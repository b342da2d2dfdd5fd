"""Building, taking apart and converting sparse matrices: ``CSM`` (from data, indices,
indptr, shape), ``CSMProperties`` (the reverse), dense <-> sparse, transpose, and
``ValuesAt`` (a matrix's entries at another matrix's stored positions), the piece every
structured gradient is made of. All run in Python over ``scipy.sparse``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...core.graph import Apply
from ...core.op import Op
from ...core.types import TensorType, is_int
from ...core.variable import TensorVariable, as_tensor_variable, describe
from .type import FORMATS, SparseType, SparseVariable, is_sparse

__all__ = ["CSM", "CSMProperties", "DenseFromSparse", "SparseFromDense", "Transpose",
           "ValuesAt", "CSR", "CSC", "csm_properties", "csm_data", "csm_indices",
           "csm_indptr", "csm_shape", "dense_from_sparse", "csr_from_dense", "csc_from_dense",
           "transpose", "values_at", "as_sparse_variable", "as_sparse_or_tensor_variable",
           "csr_matrix", "csc_matrix", "sparse_like", "as_sparse", "constant"]


def _scipy_matrix(format: str) -> Any:  # noqa: A002
    from scipy import sparse
    return sparse.csr_matrix if format == "csr" else sparse.csc_matrix


def as_sparse_variable(x: Any, name: str | None = None) -> SparseVariable:
    """``x`` as a symbolic sparse matrix: sparse Variables pass through; a scipy matrix
    becomes a constant."""
    if is_sparse(x):
        return x
    from scipy import sparse
    if sparse.issparse(x):
        fmt = x.format if x.format in FORMATS else "csr"
        return csm_from_value(_scipy_matrix(fmt)(x), name)
    raise TypeError(f"expected a sparse matrix, got {getattr(x, 'type', type(x).__name__)}")


as_sparse = as_sparse_variable


def as_sparse_or_tensor_variable(x: Any, name: str | None = None) -> TensorVariable:
    """Sparse inputs as sparse Variables, anything else as a tensor Variable."""
    from scipy import sparse
    if is_sparse(x) or sparse.issparse(x):
        return as_sparse_variable(x, name)
    return as_tensor_variable(x, name)


def csm_from_value(matrix: Any, name: str | None = None) -> SparseVariable:
    """A constant sparse matrix, built from constant parts by ``CSM``."""
    parts = [np.asarray(matrix.data), matrix.indices.astype("int32"),
             matrix.indptr.astype("int32"), np.asarray(matrix.shape, dtype="int32")]
    out = CSM(matrix.format)(*parts)
    out.name = name
    return out


def constant(x: Any, name: str | None = None) -> SparseVariable:
    """A constant sparse matrix holding the scipy matrix ``x`` (Theano's
    ``sparse.constant``)."""
    from scipy import sparse
    if not sparse.issparse(x):
        raise TypeError(f"sparse.constant: expected a scipy sparse matrix, got "
                        f"{type(x).__name__}")
    fmt = x.format if x.format in FORMATS else "csr"
    return csm_from_value(_scipy_matrix(fmt)(x), name)


def csr_matrix(name: str | None = None, dtype: str = "floatX") -> SparseVariable:
    """A symbolic CSR matrix input (Theano's ``sparse.csr_matrix``)."""
    return SparseType("csr", dtype)(name)


def csc_matrix(name: str | None = None, dtype: str = "floatX") -> SparseVariable:
    """A symbolic CSC matrix input (Theano's ``sparse.csc_matrix``)."""
    return SparseType("csc", dtype)(name)


def _sparse_input(op: Any, x: Any) -> SparseVariable:
    try:
        return as_sparse_variable(x)
    except TypeError:
        got = describe(x) if hasattr(x, "type") else type(x).__name__
        raise TypeError(f"{op}: needs a sparse matrix, got {got}") from None


class CSM(Op):
    """A sparse matrix of ``format`` from its parts: ``data`` (values), ``indices`` (column
    indices for CSR, row indices for CSC), ``indptr`` and ``shape`` (2 ints). Differentiable
    in ``data``."""

    __props__ = ("format",)

    def __init__(self, format: str):  # noqa: A002
        if format not in FORMATS:
            raise ValueError(f"CSM: format must be one of {FORMATS}, got {format!r}")
        self.format = format

    def make_node(self, data: Any, indices: Any, indptr: Any, shape: Any) -> Apply:
        data = as_tensor_variable(data)
        ints = [as_tensor_variable(v) for v in (indices, indptr, shape)]
        if data.ndim != 1:
            raise TypeError(f"{self}: data must be a vector, got {describe(data)}")
        for what, var in zip(("indices", "indptr", "shape"), ints, strict=True):
            if var.ndim != 1 or not is_int(var.dtype):
                raise TypeError(f"{self}: {what} must be an int vector, got {describe(var)}")
        out = SparseType(self.format, data.dtype).make_variable()
        return Apply(self, [data, *ints], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        data, indices, indptr, shape = inputs
        if len(shape) != 2 or len(indices) != len(data):
            raise ValueError(f"{self} at node {node.uid}: {len(data)} values with "
                             f"{len(indices)} indices, shape {tuple(shape)}")
        matrix = _scipy_matrix(self.format)((data, indices, indptr), shape=tuple(shape))
        output_storage[0][0] = matrix

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # each stored value moves only its own entry
        return [values_at(outputs[0], output_grads[0]), None, None, None]


CSR = CSM("csr")
CSC = CSM("csc")


class CSMProperties(Op):
    """``(data, indices, indptr, shape)`` of a sparse matrix (``shape`` as int32, the
    others as scipy stores them, indices int32)."""

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        outs = [TensorType(x.dtype, shape=(None,)).make_variable(),
                *[TensorType("int32", shape=(None,)).make_variable() for _ in range(2)],
                TensorType("int32", shape=(2,)).make_variable()]
        return Apply(self, [x], outs)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        values = (x.data, x.indices.astype("int32"), x.indptr.astype("int32"),
                  np.asarray(x.shape, dtype="int32"))
        for cell, value in zip(output_storage, values, strict=True):
            cell[0] = np.asarray(value)

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (_, indices, indptr, shape) = inputs, outputs
        return [CSM(x.format)(output_grads[0], indices, indptr, shape)]


def csm_properties(x: Any) -> list[TensorVariable]:
    """``[data, indices, indptr, shape]`` of sparse matrix ``x``."""
    return CSMProperties()(x)


def csm_data(x: Any) -> TensorVariable:
    return csm_properties(x)[0]


def csm_indices(x: Any) -> TensorVariable:
    return csm_properties(x)[1]


def csm_indptr(x: Any) -> TensorVariable:
    return csm_properties(x)[2]


def csm_shape(x: Any) -> TensorVariable:
    return csm_properties(x)[3]


def sparse_like(x: SparseVariable, data: Any) -> SparseVariable:
    """A matrix with the stored positions of ``x`` and the values ``data`` (a vector)."""
    _, indices, indptr, shape = csm_properties(x)
    return CSM(x.format)(data, indices, indptr, shape)


class ValuesAt(Op):
    """``out[k] = g[row_k, col_k]`` over the stored entries ``k`` of the sparse ``pattern``:
    ``g`` is sparse of the same shape or dense (broadcasting to it)."""

    def make_node(self, pattern: Any, g: Any) -> Apply:
        pattern = _sparse_input(self, pattern)
        g = g if is_sparse(g) else as_tensor_variable(g)
        return Apply(self, [pattern, g], [TensorType(g.dtype, shape=(None,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        pattern, g = inputs
        coo = pattern.tocoo()
        if hasattr(g, "tocsr"):
            values = np.asarray(g.tocsr()[coo.row, coo.col]).ravel()
        else:
            values = np.broadcast_to(g, pattern.shape)[coo.row, coo.col]
        # tocoo() lists the entries in the order the data is stored (csr or csc)
        output_storage[0][0] = np.ascontiguousarray(values, dtype=node.outputs[0].type.dtype)

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        pattern, g = inputs
        scattered = sparse_like(pattern, output_grads[0])
        return [None, scattered if is_sparse(g) else dense_from_sparse(scattered)]


def values_at(pattern: Any, g: Any) -> TensorVariable:
    """The entries of ``g`` at the stored positions of sparse ``pattern``, in its storage
    order (a vector as long as ``pattern``'s data)."""
    return ValuesAt()(pattern, g)


class DenseFromSparse(Op):
    """``x.toarray()``; the gradient keeps only the stored positions (Theano's default
    structured gradient)."""

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        return Apply(self, [x], [TensorType(x.dtype, shape=(None, None)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0].toarray()

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (g,) = inputs, output_grads
        return [sparse_like(x, values_at(x, g))]


class SparseFromDense(Op):
    """A dense matrix in sparse ``format`` (its non-zeros stored)."""

    __props__ = ("format",)

    def __init__(self, format: str):  # noqa: A002
        if format not in FORMATS:
            raise ValueError(f"SparseFromDense: format must be one of {FORMATS}, got "
                             f"{format!r}")
        self.format = format

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 2:
            raise TypeError(f"{self}: needs a matrix, got {describe(x)}")
        return Apply(self, [x], [SparseType(self.format, x.dtype).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = _scipy_matrix(self.format)(inputs[0])

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        g = output_grads[0]
        return [dense_from_sparse(g) if is_sparse(g) else g]


class Transpose(Op):
    """The transpose: a CSR matrix becomes CSC (the same arrays) and back."""

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        flipped = "csc" if x.format == "csr" else "csr"
        return Apply(self, [x], [SparseType(flipped, x.dtype).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0].transpose()

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        rows, cols = shapes[0]
        return [(cols, rows)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        g = output_grads[0]
        return [transpose(g) if is_sparse(g) else g.T]


def dense_from_sparse(x: Any) -> TensorVariable:
    """``x`` as a dense matrix."""
    return DenseFromSparse()(x)


def csr_from_dense(x: Any) -> SparseVariable:
    """A dense matrix as CSR (its non-zeros).

    >>> s = nbgraph.sparse.csr_from_dense(T.dmatrix('x'))
    """
    return SparseFromDense("csr")(x)


def csc_from_dense(x: Any) -> SparseVariable:
    """A dense matrix as CSC (its non-zeros)."""
    return SparseFromDense("csc")(x)


def transpose(x: Any) -> SparseVariable:
    """The transpose of a sparse matrix (CSR <-> CSC)."""
    return Transpose()(x)
