"""Theano's ``nlinalg`` beyond inverse/det/trace/pinv (which live in ``linalg.py``): eig, eigh
(with its gradient), svd, qr, lstsq, tensorinv and tensorsolve as ops over ``numpy.linalg``
(they run in Python: LAPACK through NumPy), and norm, matrix_power, matrix_dot as graphs of
existing ops (differentiable through them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, upgrade_to_float
from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import AllocDiag, ExtractDiag, diag, eye
from .linalg import dot, matrix_inverse
from .math import abs_, max, min, minimum, neq, sqrt
from .math import sum as tsum

__all__ = ["eig", "eigh", "svd", "qr", "lstsq", "tensorinv", "tensorsolve", "norm",
           "matrix_power", "matrix_dot", "diag", "extract_diag", "alloc_diag", "Eig", "Eigh",
           "EighGrad", "SVD", "QRFull", "Lstsq", "TensorInv", "TensorSolve", "AllocDiag",
           "ExtractDiag"]


def _matrix(op: Any, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{op}: needs a matrix, got {describe(x)}")
    return x


def _float_matrix(dtype: str, shape: tuple = (None, None)) -> TensorVariable:
    return TensorType(upgrade_to_float(dtype), shape=shape).make_variable()


def _square(shape: tuple[Any, ...]) -> Any:
    return shape[0] if shape[0] is not None else shape[1]


def _eigen_node(op: Op, x: Any) -> Apply:
    """``x`` (a square matrix) to eigenvalues ``w`` (n,) and eigenvectors (n, n), floats."""
    x = _matrix(op, x)
    n = _square(x.type.shape)
    w = TensorType(upgrade_to_float(x.dtype), shape=(n,)).make_variable()
    return Apply(op, [x], [w, _float_matrix(x.dtype, (n, n))])


class Eig(Op):
    """Eigenvalues ``w`` and right eigenvectors ``v`` (columns) of a square matrix, as
    ``numpy.linalg.eig``; as in Theano the outputs keep the input's float dtype (imaginary
    parts are dropped). No gradient (as in Theano)."""

    def make_node(self, x: Any) -> Apply:
        return _eigen_node(self, x)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        w, v = np.linalg.eig(inputs[0])
        for cell, value, out in zip(output_storage, (w, v), node.outputs, strict=True):
            cell[0] = np.real(value).astype(out.type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        n = shapes[0][0]
        return [(n,), (n, n)]


class Eigh(Op):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, reading
    its lower (``UPLO='L'``) or upper triangle (``numpy.linalg.eigh``). Differentiable
    (``EighGrad``); the gradient is defined for distinct eigenvalues."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L"):  # noqa: N803  (Theano's name)
        if UPLO not in ("L", "U"):
            raise ValueError(f"Eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        self.UPLO = UPLO

    def make_node(self, x: Any) -> Apply:
        return _eigen_node(self, x)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        w, v = np.linalg.eigh(inputs[0], self.UPLO)  # type: ignore[call-overload]
        output_storage[0][0] = w.astype(node.outputs[0].type.dtype)
        output_storage[1][0] = v.astype(node.outputs[1].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        n = shapes[0][0]
        return [(n,), (n, n)]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        (x,), (w, v) = inputs, outputs
        gw, gv = output_grads
        return [EighGrad(self.UPLO)(x, w, v, gw, gv)]


class EighGrad(Op):
    """The gradient of ``Eigh``: with ``A = V diag(w) V^T``,
    ``dA = V (diag(gw) + K) V^T`` where ``K[n, m] = (V^T gV)[m, n] / (w[n] - w[m])`` off the
    diagonal, then folded onto the triangle ``Eigh`` read (Theano's EighGrad)."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L"):  # noqa: N803
        self.UPLO = UPLO

    def make_node(self, x: Any, w: Any, v: Any, gw: Any, gv: Any) -> Apply:
        x, w, v, gw, gv = (as_tensor_variable(a) for a in (x, w, v, gw, gv))
        return Apply(self, [x, w, v, gw, gv], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        _, w, v, gw, gv = inputs
        gap = w[:, None] - w[None, :]             # w[n] - w[m]
        np.fill_diagonal(gap, np.inf)             # no self term
        k = (v.T @ gv).T / gap
        g = v @ (np.diag(gw) + k) @ v.T
        # eigh read one triangle: an entry off the diagonal stands for both of its places
        folded = np.tril(g) + np.triu(g, 1).T if self.UPLO == "L" else np.triu(g) + np.tril(g, -1).T
        output_storage[0][0] = folded.astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]


class SVD(Op):
    """``numpy.linalg.svd``: ``(U, s, V^T)`` when ``compute_uv``, else ``s``; ``s`` alone is
    differentiable (Theano 1.0 had no gradient)."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices: bool = True, compute_uv: bool = True):
        self.full_matrices = bool(full_matrices)
        self.compute_uv = bool(compute_uv)

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self, x)
        s = TensorType(upgrade_to_float(x.dtype), shape=(None,)).make_variable()
        if not self.compute_uv:
            return Apply(self, [x], [s])
        return Apply(self, [x], [_float_matrix(x.dtype), s, _float_matrix(x.dtype)])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        result = np.linalg.svd(inputs[0], self.full_matrices,  # type: ignore[call-overload]
                               self.compute_uv)
        values = tuple(result) if self.compute_uv else (result,)
        for cell, value, out in zip(output_storage, values, node.outputs, strict=True):
            cell[0] = np.asarray(value, dtype=out.type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        rows, cols = shapes[0]
        k = minimum(rows, cols)
        if not self.compute_uv:
            return [(k,)]
        if self.full_matrices:
            return [(rows, rows), (k,), (cols, cols)]
        return [(rows, k), (k,), (k, cols)]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[Any]:
        if self.compute_uv:
            raise NotImplementedError("svd: the gradient of U and V^T is not implemented; "
                                      "svd(a, compute_uv=False) differentiates the values")
        # distinct singular values: d s_i = u_i^T dA v_i, so dA = U diag(g) V^T (thin)
        u, _, vt = SVD(full_matrices=False)(inputs[0])
        return [dot(u * output_grads[0].dimshuffle("x", 0), vt)]


class QRFull(Op):
    """``numpy.linalg.qr(x, mode)``: ``(q, r)`` for 'reduced' and 'complete', ``r`` for 'r',
    ``(h, tau)`` for 'raw'. No gradient (as in Theano)."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "reduced"):
        if mode not in ("reduced", "complete", "r", "raw"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete', 'r' or 'raw', got "
                             f"{mode!r}")
        self.mode = mode

    def make_node(self, x: Any) -> Apply:
        x = _matrix(self, x)
        if self.mode == "r":
            return Apply(self, [x], [_float_matrix(x.dtype)])
        second = (TensorType(upgrade_to_float(x.dtype), shape=(None,)).make_variable()
                  if self.mode == "raw" else _float_matrix(x.dtype))
        return Apply(self, [x], [_float_matrix(x.dtype), second])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        result = np.linalg.qr(inputs[0], self.mode)  # type: ignore[call-overload]
        values = (result,) if self.mode == "r" else tuple(result)
        for cell, value, out in zip(output_storage, values, node.outputs, strict=True):
            cell[0] = np.asarray(value, dtype=out.type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        rows, cols = shapes[0]
        k = minimum(rows, cols)
        return {"reduced": [(rows, k), (k, cols)], "complete": [(rows, rows), (rows, cols)],
                "r": [(k, cols)], "raw": [(cols, rows), (k,)]}[self.mode]


class Lstsq(Op):
    """``numpy.linalg.lstsq(a, b, rcond)``: the solution, the residuals, the rank of ``a``
    and its singular values. No gradient (as in Theano)."""

    def make_node(self, a: Any, b: Any, rcond: Any) -> Apply:
        a, b = _matrix(self, a), as_tensor_variable(b)
        rcond = as_tensor_variable(rcond)
        dtype = upgrade_to_float(a.dtype)
        outs = [TensorType(dtype, shape=(None,) * b.ndim).make_variable(),
                TensorType(dtype, shape=(None,)).make_variable(),
                TensorType("int64", shape=()).make_variable(),
                TensorType(dtype, shape=(None,)).make_variable()]
        return Apply(self, [a, b, rcond], outs)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, b, rcond = inputs
        values = np.linalg.lstsq(a, b, rcond=None if rcond is None or rcond < 0 else rcond)
        for cell, value, out in zip(output_storage, values, node.outputs, strict=True):
            cell[0] = np.asarray(value, dtype=out.type.dtype)


class TensorInv(Op):
    """``numpy.linalg.tensorinv(a, ind)``. No gradient (as in Theano)."""

    __props__ = ("ind",)

    def __init__(self, ind: int = 2):
        self.ind = int(ind)

    def make_node(self, a: Any) -> Apply:
        a = as_tensor_variable(a)
        shape = a.type.shape[self.ind:] + a.type.shape[:self.ind]
        out = TensorType(upgrade_to_float(a.dtype), shape=shape).make_variable()
        return Apply(self, [a], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        out = np.linalg.tensorinv(inputs[0], self.ind)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [tuple(shapes[0][self.ind:]) + tuple(shapes[0][:self.ind])]


class TensorSolve(Op):
    """``numpy.linalg.tensorsolve(a, b, axes)``. No gradient (as in Theano)."""

    __props__ = ("axes",)

    def __init__(self, axes: Any = None):
        self.axes = None if axes is None else tuple(int(a) for a in axes)

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim < b.ndim:
            raise ValueError(f"{self}: a ({describe(a)}) needs at least the dimensions of b "
                             f"({describe(b)})")
        out = TensorType(upgrade_to_float(a.dtype), shape=(None,) * (a.ndim - b.ndim))
        return Apply(self, [a, b], [out.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        out = np.linalg.tensorsolve(inputs[0], inputs[1], self.axes)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple] | None:
        if self.axes is not None:
            return None   # a's axes move first: the result is a.shape[b.ndim:] after the move
        a_shape, b_shape = shapes
        return [tuple(a_shape[len(b_shape):])]


def eig(a: Any) -> list[TensorVariable]:
    """``[w, v]``: eigenvalues and eigenvectors (columns) of a square matrix."""
    return Eig()(a)


def eigh(a: Any, UPLO: str = "L") -> list[TensorVariable]:  # noqa: N803
    """``[w, v]``: eigenvalues (ascending) and eigenvectors of a symmetric matrix.

    >>> w, v = T.nlinalg.eigh(T.dmatrix('a'))
    """
    return Eigh(UPLO)(a)


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition: ``[U, s, V^T]`` (or ``s`` alone without ``compute_uv``)."""
    return SVD(full_matrices, compute_uv)(a)


def qr(a: Any, mode: str = "reduced") -> Any:
    """QR decomposition: ``[q, r]`` (or ``r`` for mode 'r', ``[h, tau]`` for 'raw')."""
    return QRFull(mode)(a)


def lstsq(a: Any, b: Any, rcond: Any = -1) -> list[TensorVariable]:
    """Least squares ``[x, residuals, rank, s]`` of ``a x = b`` (``rcond < 0``: NumPy's
    default cut-off)."""
    return Lstsq()(a, b, rcond)


def tensorinv(a: Any, ind: int = 2) -> TensorVariable:
    """The inverse of ``a`` for ``tensordot`` over its first ``ind`` axes."""
    return TensorInv(ind)(a)


def tensorsolve(a: Any, b: Any, axes: Any = None) -> TensorVariable:
    """``x`` with ``tensordot(a, x, x.ndim) == b``."""
    return TensorSolve(axes)(a, b)


def extract_diag(x: Any) -> TensorVariable:
    """The main diagonal of a matrix (Theano's ``nlinalg.extract_diag``)."""
    return ExtractDiag(0)(x)


def alloc_diag(v: Any) -> TensorVariable:
    """A square matrix with vector ``v`` on its diagonal (``nlinalg.alloc_diag``)."""
    return AllocDiag(0)(v)


def matrix_dot(*args: Any) -> TensorVariable:
    """``dot(dot(a, b), c) ...``: the product of a chain of matrices."""
    if not args:
        raise TypeError("matrix_dot: needs at least one matrix")
    result = as_tensor_variable(args[0])
    for arg in args[1:]:
        result = dot(result, arg)
    return result


def matrix_power(M: Any, n: int) -> TensorVariable:  # noqa: N803  (Theano's name)
    """``M`` to the integer power ``n`` by repeated squaring (a negative ``n`` inverts ``M``
    first; ``n == 0`` gives the identity).

    >>> T.nlinalg.matrix_power(T.dmatrix('m'), 3)
    """
    M = _matrix("matrix_power", M)
    if int(n) != n:
        raise TypeError(f"matrix_power: n must be an integer, got {n!r}")
    n = int(n)
    if n < 0:
        M, n = matrix_inverse(M), -n
    if n == 0:
        return eye(M.shape[0], dtype=M.dtype)
    result: TensorVariable | None = None
    square = M
    while n:
        if n & 1:
            result = square if result is None else dot(result, square)
        n >>= 1
        if n:
            square = dot(square, square)
    assert result is not None
    return result


def norm(x: Any, ord: Any = None) -> TensorVariable:  # noqa: A002  (NumPy's name)
    """The vector or matrix norm of ``numpy.linalg.norm``: vectors take ``ord`` None (2), an
    int or float ``p``, ``'inf'``/``np.inf``, ``'-inf'``, 0 (the count of non-zeros); matrices
    take None/'fro', 1, -1, 'inf', '-inf'. Differentiable (it is built from sums and maxima).

    >>> T.nlinalg.norm(T.dvector('v'), 1)
    """
    x = as_tensor_variable(x)
    kind = {np.inf: "inf", -np.inf: "-inf"}.get(ord, ord) if not isinstance(ord, str) else ord
    if x.ndim == 1:
        if kind is None:
            return sqrt(tsum(x * x))
        if kind == "inf":
            return max(abs_(x))
        if kind == "-inf":
            return min(abs_(x))
        if kind == 0:
            return tsum(neq(x, 0))
        if isinstance(kind, (int, float)):
            return tsum(abs_(x) ** kind) ** (1.0 / kind)
        raise ValueError(f"norm: invalid order {ord!r} for vectors")
    if x.ndim == 2:
        if kind in (None, "fro"):
            return sqrt(tsum(x * x))
        if kind in ("inf", "-inf"):
            rows = tsum(abs_(x), axis=1)
            return max(rows) if kind == "inf" else min(rows)
        if kind in (1, -1):
            cols = tsum(abs_(x), axis=0)
            return max(cols) if kind == 1 else min(cols)
        raise ValueError(f"norm: invalid order {ord!r} for matrices")
    raise NotImplementedError(f"norm: {describe(x)} has more than 2 dimensions (as in Theano)")
