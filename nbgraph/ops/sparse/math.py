"""Arithmetic on sparse matrices (Theano's ``theano.sparse`` math): products with dense
matrices and their structured gradients, sums, elementwise functions of the stored values,
and sparse-dense elementwise products and sums. They run in Python over ``scipy.sparse``.

"Structured" means the zeros stay zeros: a function of the stored values only, and a
gradient with respect to a sparse input only at its stored positions (Theano's default).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...core.gradient import grad
from ...core.graph import Apply
from ...core.op import Op
from ...core.types import TensorType, upcast
from ...core.variable import TensorVariable, as_tensor_variable, describe
from .. import math as M
from ..linalg import dot as dense_dot
from .basic import (
    _sparse_input,
    csm_data,
    dense_from_sparse,
    sparse_like,
    transpose,
    values_at,
)
from .pairwise import add_s_s, mul_s_s, mul_s_v
from .type import SparseType, SparseVariable, is_sparse

__all__ = ["StructuredDot", "StructuredDotGradValues", "SpSum", "StructuredUnary",
           "structured_dot", "dot", "true_dot", "sp_sum", "mul", "add", "sub", "neg",
           "sp_ones_like", "structured_sigmoid", "structured_exp", "structured_log",
           "structured_pow", "structured_add", "sqr", "sqrt", "abs_", "sin", "tan", "tanh",
           "arcsin", "arctan", "sinh", "arcsinh", "arctanh", "expm1", "log1p", "floor", "ceil",
           "trunc", "rint", "sgn", "deg2rad", "rad2deg", "TrueDot", "sampling_dot",
           "structured_minimum", "structured_maximum", "structured_add_s_v", "mul_s_d",
           "add_s_d", "sp_zeros_like", "row_scale", "col_scale", "cast", "fcast", "dcast",
           "icast", "lcast", "zcast", "ccast", "wcast"]


class StructuredDot(Op):
    """``a @ b`` for sparse ``a`` and dense ``b`` (a matrix or a vector), dense result; the
    gradient with respect to ``a`` is structured (only at ``a``'s stored positions)."""

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = _sparse_input(self, a), as_tensor_variable(b)
        if b.ndim not in (1, 2) or is_sparse(b):
            raise TypeError(f"structured_dot: the second operand must be a dense vector or "
                            f"matrix, got {describe(b)}")
        shape = (None,) * b.ndim
        return Apply(self, [a, b], [TensorType(upcast(a.dtype, b.dtype), shape=shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, b = inputs
        if a.shape[1] != b.shape[0]:
            raise ValueError(f"structured_dot at node {node.uid}: shapes {a.shape} and "
                             f"{b.shape} are not aligned")
        out = np.asarray(a @ b, dtype=node.outputs[0].type.dtype)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(shapes[0][0], *shapes[1][1:])]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # out = a b: ga[r, c] = g[r] . b[c] at a's entries; gb = a^T g
        a, b = inputs
        (g,) = output_grads
        ga = sparse_like(a, StructuredDotGradValues()(a, b, g))
        return [ga, structured_dot(transpose(a), g)]


class StructuredDotGradValues(Op):
    """``v[k] = g[row_k] . b[col_k]`` over the stored entries of ``a``: the values of the
    gradient of ``a @ b`` with respect to ``a`` (never forms the dense ``g b^T``)."""

    def make_node(self, a: Any, b: Any, g: Any) -> Apply:
        a, b, g = _sparse_input(self, a), as_tensor_variable(b), as_tensor_variable(g)
        return Apply(self, [a, b, g],
                     [TensorType(upcast(b.dtype, g.dtype), shape=(None,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, b, g = inputs
        coo = a.tocoo()                      # entries in a's storage order
        if b.ndim == 1:
            values = g[coo.row] * b[coo.col]
        else:
            values = np.einsum("ij,ij->i", g[coo.row], b[coo.col])
        output_storage[0][0] = np.asarray(values, dtype=node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # v[k] = g[row_k] . b[col_k]: with S the matrix of a's pattern holding gv,
        # gb = S^T g and gg = S b (the structure of a carries no gradient)
        a, b, g = inputs
        spread = sparse_like(a, output_grads[0])
        return [None, structured_dot(transpose(spread), g), structured_dot(spread, b)]


def structured_dot(a: Any, b: Any) -> TensorVariable:
    """``a @ b`` for sparse ``a`` and dense ``b``; dense result.

    >>> y = nbgraph.sparse.structured_dot(nbgraph.sparse.csr_matrix('x'), T.dmatrix('w'))
    """
    return StructuredDot()(a, b)


def dot(x: Any, y: Any) -> TensorVariable:
    """The matrix product with a sparse operand (sparse @ dense, dense @ sparse) as a dense
    matrix; two sparse operands give a sparse product (``true_dot``).

    >>> y = nbgraph.sparse.dot(x_sparse, w)       # x @ w
    """
    if is_sparse(x) and is_sparse(y):
        return true_dot(x, y)
    if is_sparse(x):
        return structured_dot(x, y)
    if is_sparse(y):
        x = as_tensor_variable(x)
        # x @ y = (y^T @ x^T)^T; a vector x needs no transposes
        if x.ndim == 1:
            return structured_dot(transpose(y), x)
        return structured_dot(transpose(y), x.T).T
    return dense_dot(x, y)


class TrueDot(Op):
    """The product of two sparse matrices, sparse (CSR). No gradient."""

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = _sparse_input(self, x), _sparse_input(self, y)
        return Apply(self, [x, y], [SparseType("csr", upcast(x.dtype, y.dtype))()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        out = (x @ y).tocsr().astype(node.outputs[0].type.dtype)
        output_storage[0][0] = out


def true_dot(x: Any, y: Any) -> SparseVariable:
    """The product of two sparse matrices as a sparse CSR matrix (not differentiable)."""
    return TrueDot()(x, y)


class SpSum(Op):
    """The sum of a sparse matrix's entries, over ``axis`` (None: all, 0: columns, 1: rows);
    dense result. The gradient is structured."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None = None):
        if axis not in (None, 0, 1):
            raise ValueError(f"sp_sum: axis must be None, 0 or 1, got {axis!r}")
        self.axis = axis

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        shape = () if self.axis is None else (None,)
        return Apply(self, [x], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        total = np.asarray(inputs[0].sum(axis=self.axis))   # numpy.matrix for an axis
        out = total if self.axis is None else total.ravel()
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [()] if self.axis is None else [(shapes[0][1 - self.axis],)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (g,) = inputs, output_grads
        # every stored entry moved its row's (axis=1), column's (axis=0) or the total's sum
        spread = g if self.axis is None else (g.dimshuffle("x", 0) if self.axis == 0
                                               else g.dimshuffle(0, "x"))
        return [sparse_like(x, values_at(x, spread))]


def sp_sum(x: Any, axis: int | None = None, sparse_grad: bool = False) -> TensorVariable:
    """Sum of a sparse matrix over ``axis`` (None, 0 or 1); ``sparse_grad`` is accepted for
    Theano's signature (the gradient is always structured).

    >>> total = nbgraph.sparse.sp_sum(x, axis=1)
    """
    return SpSum(axis)(x)


class StructuredUnary(Op):
    """A function of a sparse matrix's stored values (``x.data``), the stored positions
    kept: ``name`` is the tensor function applied to the data, its NumPy twin computes."""

    __props__ = ("name",)

    def __init__(self, name: str):
        if name not in STRUCTURED:
            raise ValueError(f"StructuredUnary: unknown function {name!r}")
        self.name = name

    def __str__(self) -> str:
        return f"Structured{{{self.name}}}"

    def make_node(self, x: Any) -> Apply:
        x = _sparse_input(self, x)
        numpy_fn, _ = STRUCTURED[self.name]
        dtype = str(np.asarray(numpy_fn(np.ones(1, dtype=x.dtype))).dtype)
        return Apply(self, [x], [SparseType(x.format, dtype).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        out = x.copy().astype(node.outputs[0].type.dtype)
        out.data = np.asarray(STRUCTURED[self.name][0](x.data), dtype=out.dtype)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (g,) = inputs, output_grads
        data = csm_data(x)
        tensor_fn = STRUCTURED[self.name][1]
        # the derivative at each stored value: the gradient graph of sum(fn(data)), which
        # is fn' elementwise (fn is elementwise)
        slope = grad(M.sum(tensor_fn(data)), data)
        return [sparse_like(x, values_at(x, g) * slope)]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    from scipy.special import expit
    return expit(x)


# name: (NumPy on the stored values, the tensor function whose gradient is the rule)
STRUCTURED: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sigmoid": (_sigmoid, M.sigmoid), "exp": (np.exp, M.exp), "log": (np.log, M.log),
    "sqr": (np.square, M.sqr), "sqrt": (np.sqrt, M.sqrt), "abs_": (np.abs, M.abs_),
    "neg": (np.negative, M.neg), "sin": (np.sin, M.sin), "tan": (np.tan, M.tan),
    "tanh": (np.tanh, M.tanh), "arcsin": (np.arcsin, M.arcsin),
    "arctan": (np.arctan, M.arctan), "sinh": (np.sinh, M.sinh),
    "arcsinh": (np.arcsinh, M.arcsinh), "arctanh": (np.arctanh, M.arctanh),
    "expm1": (np.expm1, M.expm1), "log1p": (np.log1p, M.log1p),
    "floor": (np.floor, M.floor), "ceil": (np.ceil, M.ceil), "trunc": (np.trunc, M.trunc),
    "rint": (np.rint, M.round_half_to_even), "sgn": (np.sign, M.sgn),
    "deg2rad": (np.deg2rad, lambda v: v * (np.pi / 180.0)),
    "rad2deg": (np.rad2deg, lambda v: v * (180.0 / np.pi)),
}


def _structured(name: str) -> Callable[[Any], SparseVariable]:
    def apply(x: Any) -> SparseVariable:
        return StructuredUnary(name)(x)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = f"``{name}`` of the stored values of a sparse matrix (zeros stay zeros)."
    return apply


structured_sigmoid = _structured("sigmoid")
structured_exp = _structured("exp")
structured_log = _structured("log")
sqr = _structured("sqr")
sqrt = _structured("sqrt")
abs_ = _structured("abs_")
neg = _structured("neg")
sin = _structured("sin")
tan = _structured("tan")
tanh = _structured("tanh")
arcsin = _structured("arcsin")
arctan = _structured("arctan")
sinh = _structured("sinh")
arcsinh = _structured("arcsinh")
arctanh = _structured("arctanh")
expm1 = _structured("expm1")
log1p = _structured("log1p")
floor = _structured("floor")
ceil = _structured("ceil")
trunc = _structured("trunc")
rint = _structured("rint")
sgn = _structured("sgn")
deg2rad = _structured("deg2rad")
rad2deg = _structured("rad2deg")


def structured_pow(x: Any, y: Any) -> SparseVariable:
    """The stored values of ``x`` to the power ``y`` (a scalar), zeros kept."""
    x = _sparse_input("structured_pow", x)
    return sparse_like(x, csm_data(x) ** y)


def structured_add(x: Any, y: Any) -> SparseVariable:
    """``y`` added to each stored value of ``x``, zeros kept: a scalar (Theano's
    ``structured_add(x, 2)``) or a vector over the columns, ``y[col]`` (``structured_add_s_v``)."""
    x = _sparse_input("structured_add", x)
    y = as_tensor_variable(y)
    if y.ndim == 0:
        return sparse_like(x, csm_data(x) + y)
    return sparse_like(x, csm_data(x) + values_at(x, y.dimshuffle("x", 0)))


def sp_ones_like(x: Any) -> SparseVariable:
    """Ones at the stored positions of ``x``."""
    x = _sparse_input("sp_ones_like", x)
    return sparse_like(x, M.ones_like(csm_data(x)))


def mul(x: Any, y: Any) -> Any:
    """Elementwise product with a sparse operand, sparse: by a scalar, a dense matrix, a
    dense vector (broadcast over the rows) or another sparse matrix.

    >>> z = nbgraph.sparse.mul(x_sparse, w)       # x * w, sparse
    """
    if is_sparse(x) and is_sparse(y):
        return mul_s_s(x, y)
    if is_sparse(y):
        x, y = y, x
    x = _sparse_input("sparse.mul", x)
    y = as_tensor_variable(y)
    if y.ndim == 0:
        return sparse_like(x, csm_data(x) * y)
    if y.ndim == 1:
        return mul_s_v(x, y)
    if y.ndim != 2:
        raise TypeError(f"sparse.mul: the dense operand must be a scalar, a vector or a "
                        f"matrix, got {describe(y)}")
    return sparse_like(x, csm_data(x) * values_at(x, y))


def add(x: Any, y: Any) -> Any:
    """Sparse plus sparse (sparse, as Theano's ``add_s_s``), or plus dense (dense)."""
    if is_sparse(x) and is_sparse(y):
        return add_s_s(x, y)
    parts = [dense_from_sparse(v) if is_sparse(v) else as_tensor_variable(v) for v in (x, y)]
    return parts[0] + parts[1]


def sub(x: Any, y: Any) -> Any:
    """``x - y`` with a sparse operand: sparse for two sparse matrices, else dense."""
    if is_sparse(x) and is_sparse(y):
        return add_s_s(x, neg(y))
    parts = [dense_from_sparse(v) if is_sparse(v) else as_tensor_variable(v) for v in (x, y)]
    return parts[0] - parts[1]


def sampling_dot(x: Any, y: Any, p: Any) -> SparseVariable:
    """``p * (x @ y.T)`` computed only at the stored positions of sparse ``p`` (dense ``x``
    and ``y``; Theano's ``sampling_dot``). Differentiable in ``x``, ``y`` and ``p``'s values."""
    p = _sparse_input("sampling_dot", p)
    products = StructuredDotGradValues()(p, as_tensor_variable(y), as_tensor_variable(x))
    return sparse_like(p, csm_data(p) * products)


def structured_minimum(x: Any, y: Any) -> SparseVariable:
    """The minimum of each stored value and the scalar ``y``, zeros kept."""
    x = _sparse_input("structured_minimum", x)
    return sparse_like(x, M.minimum(csm_data(x), y))


def structured_maximum(x: Any, y: Any) -> SparseVariable:
    """The maximum of each stored value and the scalar ``y``, zeros kept."""
    x = _sparse_input("structured_maximum", x)
    return sparse_like(x, M.maximum(csm_data(x), y))


def sp_zeros_like(x: Any) -> SparseVariable:
    """A matrix shaped like ``x`` with the same stored positions, all zero."""
    x = _sparse_input("sp_zeros_like", x)
    return sparse_like(x, M.zeros_like(csm_data(x)))


def row_scale(x: Any, s: Any) -> SparseVariable:
    """Row ``i`` of sparse ``x`` times ``s[i]``."""
    x = _sparse_input("row_scale", x)
    return sparse_like(x, csm_data(x) * values_at(x, as_tensor_variable(s).dimshuffle(0, "x")))


def col_scale(x: Any, s: Any) -> SparseVariable:
    """Column ``j`` of sparse ``x`` times ``s[j]``."""
    x = _sparse_input("col_scale", x)
    return sparse_like(x, csm_data(x) * values_at(x, as_tensor_variable(s).dimshuffle("x", 0)))


def cast(x: Any, dtype: str) -> SparseVariable:
    """A sparse matrix with its stored values cast to ``dtype``."""
    x = _sparse_input("sparse.cast", x)
    return sparse_like(x, M.cast(csm_data(x), dtype))


def _caster(dtype: str) -> Callable[[Any], SparseVariable]:
    def apply(x: Any) -> SparseVariable:
        return cast(x, dtype)

    apply.__doc__ = f"The stored values of a sparse matrix as {dtype}."
    return apply


fcast, dcast = _caster("float32"), _caster("float64")
icast, lcast = _caster("int32"), _caster("int64")
wcast = _caster("int16")
ccast, zcast = _caster("complex64"), _caster("complex128")

# Theano's names for the sparse-vector and sparse-dense forms
structured_add_s_v = structured_add
mul_s_d = mul
add_s_d = add
