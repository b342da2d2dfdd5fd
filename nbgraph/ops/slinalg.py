"""Theano's ``slinalg``: Cholesky, Solve (general, triangular, symmetric), Eigvalsh, Expm and
kron. The ops call ``scipy.linalg`` (imported where they run) and run in Python; gradients are
Theano 1.0's: graphs for Cholesky and Solve, ops for Eigvalsh and Expm."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, upcast, upgrade_to_float
from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import diag
from .join import concatenate
from .linalg import dot, outer
from .shape import reshape
from .tensor_helpers import diagonal, tril, triu

__all__ = ["cholesky", "solve", "solve_lower_triangular", "solve_upper_triangular",
           "solve_symmetric", "eigvalsh", "expm", "kron", "Cholesky", "Solve", "Eigvalsh",
           "EigvalshGrad", "Expm", "ExpmGrad", "MATRIX_STRUCTURES"]

MATRIX_STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular",
                     "hermitian", "banded", "diagonal", "toeplitz")


def _matrix(op: Any, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{op}: needs a matrix, got {describe(x)}")
    return x


class Cholesky(Op):
    """The triangular factor ``L`` of a symmetric positive-definite ``x``: ``L L^T = x``
    (``lower``) or ``U^T U = x``. ``on_error='nan'`` returns NaNs for a matrix that is not
    positive definite instead of raising."""

    __props__ = ("lower", "on_error")

    def __init__(self, lower: bool = True, on_error: str = "raise"):
        if on_error not in ("raise", "nan"):
            raise ValueError(f"Cholesky: on_error must be 'raise' or 'nan', got {on_error!r}")
        self.lower = bool(lower)
        self.on_error = on_error

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self, x)
        out = TensorType(upgrade_to_float(x.dtype), shape=x.type.shape).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import linalg
        x = inputs[0]
        try:
            out = linalg.cholesky(x, lower=self.lower)
        except linalg.LinAlgError as err:
            if self.on_error == "raise":
                raise ValueError(f"{self} at node {node.uid}: the matrix is not positive "
                                 f"definite ({err})") from None
            out = np.full_like(x, np.nan, dtype=node.outputs[0].type.dtype)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # Murray (2016), as Theano 1.0: for lower L and gradient gL,
        # S = L^-T tril_half(L^T gL) L^-1, dA = tril(S + S^T) - diag(S)
        (chol,), (g,) = outputs, output_grads
        lower = chol if self.lower else chol.T
        g_lower = g if self.lower else g.T
        phi = lower.T.dot(g_lower)
        phi = tril(phi) - diag(diagonal(phi) / 2.0)
        inner = solve_upper_triangular(lower.T, solve_upper_triangular(lower.T, phi.T).T)
        grad = tril(inner + inner.T) - diag(diagonal(inner))
        return [grad if self.lower else grad.T]


class Solve(Op):
    """``x`` with ``A x = b`` (``b`` a vector or matrix). ``A_structure`` 'lower_triangular' or
    'upper_triangular' solves by substitution; other structures use a general solve."""

    __props__ = ("A_structure", "lower", "overwrite_A", "overwrite_b")

    def __init__(self, A_structure: str = "general", lower: bool = False,  # noqa: N803
                 overwrite_A: bool = False, overwrite_b: bool = False):  # noqa: N803
        if A_structure not in MATRIX_STRUCTURES:
            raise ValueError(f"Solve: A_structure must be one of {MATRIX_STRUCTURES}, got "
                             f"{A_structure!r}")
        self.A_structure = A_structure
        self.lower = bool(lower)
        self.overwrite_A = bool(overwrite_A)
        self.overwrite_b = bool(overwrite_b)

    def __str__(self) -> str:
        return f"Solve{{{self.A_structure}}}"

    def make_node(self, A: Any, b: Any) -> Apply:  # noqa: N803
        A, b = _matrix(self, A), as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise TypeError(f"{self}: b must be a vector or a matrix, got {describe(b)}")
        rows, k = A.type.shape[0], b.type.shape[0]
        if rows is not None and k is not None and rows != k:
            raise ValueError(f"{self}: A {describe(A)} and b {describe(b)} differ in rows")
        shape = (A.type.shape[1],) + b.type.shape[1:]
        out = TensorType(upgrade_to_float(upcast(A.dtype, b.dtype)), shape=shape)
        return Apply(self, [A, b], [out.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import linalg
        A, b = inputs
        if A.shape[0] != b.shape[0]:
            raise ValueError(f"{self} at node {node.uid}: A has shape {A.shape} but b has "
                             f"shape {b.shape}")
        if self.A_structure in ("lower_triangular", "upper_triangular"):
            out = linalg.solve_triangular(A, b, lower=self.A_structure == "lower_triangular")
        else:
            out = linalg.solve(A, b)
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        a_shape, b_shape = shapes
        return [(a_shape[1],) + tuple(b_shape[1:])]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # x = A^-1 b: gb = A^-T gx, gA = -gb x^T (kept on the triangle A was read from)
        A, _ = inputs
        (x,), (g,) = outputs, output_grads
        flipped = {"lower_triangular": "upper_triangular",
                   "upper_triangular": "lower_triangular"}
        transposed = Solve(flipped.get(self.A_structure, self.A_structure), not self.lower)
        gb = transposed(A.T, g)
        ga = -outer(gb, x) if x.ndim == 1 else -dot(gb, x.T)
        if self.A_structure == "lower_triangular":
            ga = tril(ga)
        elif self.A_structure == "upper_triangular":
            ga = triu(ga)
        return [ga, gb]


class Eigvalsh(Op):
    """Eigenvalues (ascending) of a symmetric ``a``, or of the generalized problem
    ``a v = w b v`` with ``b`` symmetric positive definite (``scipy.linalg.eigvalsh``)."""

    __props__ = ("lower",)

    def __init__(self, lower: bool = True):
        self.lower = bool(lower)

    def make_node(self, a: Any, b: Any = None) -> Apply:
        a = _matrix(self, a)
        inputs = [a] if b is None else [a, _matrix(self, b)]
        dtype = upgrade_to_float(upcast(*[v.dtype for v in inputs]))
        out = TensorType(dtype, shape=(a.type.shape[0],)).make_variable()
        return Apply(self, inputs, [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import linalg
        b = inputs[1] if len(inputs) == 2 else None
        w = linalg.eigvalsh(inputs[0], b, lower=self.lower)
        output_storage[0][0] = w.astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(shapes[0][0],)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        outs = EigvalshGrad(self.lower)(*inputs, output_grads[0])
        return outs if len(inputs) == 2 else [outs]


class EigvalshGrad(Op):
    """The gradient of ``Eigvalsh``: ``gA = V diag(gw) V^T``, ``gB = -V diag(gw w) V^T``
    (eigenvectors ``V`` normalized so ``V^T B V = I``), folded onto the triangle read."""

    __props__ = ("lower",)

    def __init__(self, lower: bool = True):
        self.lower = bool(lower)

    def make_node(self, *inputs: Any) -> Apply:
        mats = [as_tensor_variable(v) for v in inputs]
        return Apply(self, mats, [m.type.make_variable() for m in mats[:-1]])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import linalg
        a, *b, gw = inputs
        w, v = linalg.eigh(a, b[0] if b else None, lower=self.lower)
        grads = [v @ np.diag(gw) @ v.T, -(v @ np.diag(gw * w) @ v.T)]
        for cell, g, out in zip(output_storage, grads, node.outputs, strict=False):
            folded = (np.tril(g) + np.triu(g, 1).T if self.lower
                      else np.triu(g) + np.tril(g, -1).T)
            cell[0] = folded.astype(out.type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return list(shapes[:-1])


class Expm(Op):
    """The matrix exponential of a square matrix (``scipy.linalg.expm``)."""

    def make_node(self, A: Any) -> Apply:  # noqa: N803
        A = _matrix(self, A)
        out = TensorType(upgrade_to_float(A.dtype), shape=A.type.shape).make_variable()
        return Apply(self, [A], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import linalg
        output_storage[0][0] = linalg.expm(inputs[0]).astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [ExpmGrad()(inputs[0], output_grads[0])]


class ExpmGrad(Op):
    """The gradient of ``Expm``: the adjoint Fréchet derivative of ``expm`` at ``A`` applied
    to ``gA``, which is the Fréchet derivative at ``A^T`` (``scipy.linalg.expm_frechet``;
    Theano diagonalized ``A``, which fails for defective matrices)."""

    def make_node(self, A: Any, g: Any) -> Apply:  # noqa: N803
        A, g = as_tensor_variable(A), as_tensor_variable(g)
        return Apply(self, [A, g], [A.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import linalg
        A, g = inputs
        out = linalg.expm_frechet(A.T, g, compute_expm=False)
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]


def cholesky(x: Any, lower: bool = True) -> TensorVariable:
    """The Cholesky factor of a symmetric positive-definite matrix (lower by default).

    >>> L = T.slinalg.cholesky(T.dmatrix('a'))   # dot(L, L.T) == a
    """
    return Cholesky(lower)(x)


def solve(a: Any, b: Any, A_structure: str = "general", lower: bool = False  # noqa: N803
          ) -> TensorVariable:
    """``x`` with ``a x = b``; ``A_structure`` is Theano's hint ('general', 'symmetric',
    'lower_triangular', 'upper_triangular', ...).

    >>> x = T.slinalg.solve(T.dmatrix('a'), T.dvector('b'))
    """
    return Solve(A_structure, lower)(a, b)


def solve_lower_triangular(a: Any, b: Any) -> TensorVariable:
    """``x`` with ``a x = b`` for lower-triangular ``a`` (forward substitution)."""
    return Solve("lower_triangular", True)(a, b)


def solve_upper_triangular(a: Any, b: Any) -> TensorVariable:
    """``x`` with ``a x = b`` for upper-triangular ``a`` (back substitution)."""
    return Solve("upper_triangular", False)(a, b)


def solve_symmetric(a: Any, b: Any) -> TensorVariable:
    """``x`` with ``a x = b`` for symmetric ``a``."""
    return Solve("symmetric", False)(a, b)


def eigvalsh(a: Any, b: Any = None, lower: bool = True) -> TensorVariable:
    """Eigenvalues of symmetric ``a`` (generalized with ``b`` when given), ascending."""
    return Eigvalsh(lower)(a, b)


def expm(A: Any) -> TensorVariable:  # noqa: N803
    """The matrix exponential ``sum_k A^k / k!``."""
    return Expm()(A)


def kron(a: Any, b: Any) -> TensorVariable:
    """The Kronecker product (``numpy.kron`` for two matrices). As Theano's, it needs
    ``a.ndim + b.ndim >= 3`` and gives ``a.ndim + b.ndim - 2`` dimensions. Differentiable (a
    reshaped outer product).

    >>> T.slinalg.kron(T.dmatrix('a'), T.dmatrix('b'))
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim + b.ndim <= 2:
        raise TypeError(f"kron: the dimensions of {describe(a)} and {describe(b)} must sum "
                        f"to 3 or more")
    prod = reshape(outer(a, b), concatenate([a.shape, b.shape]), ndim=a.ndim + b.ndim)
    if prod.ndim == 3:       # a matrix with a vector, or the reverse: scipy flattens
        return prod.dimshuffle(1, 0, 2).flatten()
    moved = prod.dimshuffle(0, 2, 1, 3, *range(4, prod.ndim))
    shape = [prod.shape[0] * prod.shape[2], prod.shape[1] * prod.shape[3],
             *[prod.shape[i] for i in range(4, prod.ndim)]]
    return reshape(moved, shape, ndim=len(shape))
