"""Linear algebra: Dot, TensorDot and BatchedDot (through the BLAS NumPy links), and the
matrix functions MatrixInverse, Det, Trace and Pinv (LAPACK through ``numpy.linalg``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, upcast, upgrade_to_float
from ..core.variable import TensorVariable, as_tensor_variable

__all__ = ["dot", "tensordot", "outer", "batched_dot", "Dot", "TensorDot", "BatchedDot"]


def _as_dtype(out: Any, dtype: str) -> np.ndarray:
    """``out`` as an ndarray of ``dtype`` (NumPy returns scalars for 0-d results)."""
    out = np.asarray(out)
    return out if out.dtype == dtype else out.astype(dtype)


def _check_dim(op: str, a: TensorVariable, b: TensorVariable, axis_a: int, axis_b: int) -> None:
    """Raise at build time when two contracted dimensions are known and differ."""
    ka, kb = a.type.shape[axis_a], b.type.shape[axis_b]
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"{op}: shapes {a.type.short()} and {b.type.short()} are not aligned "
                         f"(axis {axis_a} of the first is {ka}, axis {axis_b} of the second "
                         f"is {kb})")


class Dot(Op):
    """Matrix and vector products of 1-d and 2-d tensors (``np.dot`` semantics)."""

    def __str__(self) -> str:
        return "dot"

    def pp(self, node: Apply, args: list[str]) -> str:
        return f"({args[0]} \\dot {args[1]})"   # Theano's pp: x \dot w

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"dot: expects 1-d or 2-d inputs, got {x.type.short()} and "
                            f"{y.type.short()}")
        _check_dim("dot", x, y, x.ndim - 1, 0)
        shape = x.type.shape[:-1] + y.type.shape[1:]
        out = TensorType(upcast(x.dtype, y.dtype), shape=shape).make_variable()
        return Apply(self, [x, y], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"dot at node {node.uid}: shapes {x.shape} and {y.shape} are not "
                             f"aligned ({x.shape[-1]} != {y.shape[0]})")
        output_storage[0][0] = _as_dtype(np.dot(x, y), node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        x_shape, y_shape = shapes
        return [tuple(x_shape[:-1]) + tuple(y_shape[1:])]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, y = inputs
        g = output_grads[0]
        if x.ndim == 2 and y.ndim == 2:      # (m,k)(k,n)
            return [dot(g, y.T), dot(x.T, g)]
        if x.ndim == 1 and y.ndim == 2:      # (k)(k,n) -> (n)
            return [dot(y, g), outer(x, g)]
        if x.ndim == 2 and y.ndim == 1:      # (m,k)(k) -> (m)
            return [outer(g, y), dot(x.T, g)]
        return [g * y, g * x]                # (k)(k) -> ()


_DOT = Dot()


Axes = tuple[tuple[int, ...], tuple[int, ...]]


def _axis_group(ax: Any) -> tuple[int, ...]:
    """One side of a ``tensordot`` axes pair: a single axis or a sequence of them."""
    group: Iterable[Any] = [ax] if np.isscalar(ax) else ax
    return tuple(int(i) for i in group)


def _normalize_axes(axes: Any, a_ndim: int, b_ndim: int) -> Axes:
    """``axes`` of ``tensordot`` as ``((a axes...), (b axes...))``, non-negative."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a_ndim or n > b_ndim:
            raise ValueError(f"tensordot: axes={n} is out of range for {a_ndim}-d and "
                             f"{b_ndim}-d inputs")
        pair = (tuple(range(a_ndim - n, a_ndim)), tuple(range(n)))
    else:
        if len(axes) != 2:
            raise ValueError(f"tensordot: axes must be an int or a pair of sequences, got "
                             f"{axes!r}")
        pair = (_axis_group(axes[0]), _axis_group(axes[1]))
    if len(pair[0]) != len(pair[1]):
        raise ValueError(f"tensordot: axes {pair[0]} and {pair[1]} differ in length")
    return _normalize_side(pair[0], a_ndim), _normalize_side(pair[1], b_ndim)


def _normalize_side(side: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """The axes ``side`` of an ``ndim``-d input, checked and made non-negative."""
    if any(not -ndim <= i < ndim for i in side):
        raise ValueError(f"tensordot: axes {side} out of range for a {ndim}-d input")
    norm = tuple(i % ndim for i in side)
    if len(set(norm)) != len(norm):
        raise ValueError(f"tensordot: repeated axis in {side}")
    return norm


class TensorDot(Op):
    """``np.tensordot(a, b, axes)``: sum over ``axes[0]`` of ``a`` paired with ``axes[1]`` of
    ``b``; the result has ``a``'s free axes, then ``b``'s."""

    __props__ = ("axes",)

    def __init__(self, axes: Axes):
        self.axes = (tuple(axes[0]), tuple(axes[1]))

    def __str__(self) -> str:
        return f"TensorDot{{axes={[list(a) for a in self.axes]}}}"

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        ax_a, ax_b = self.axes
        if max(ax_a, default=-1) >= a.ndim or max(ax_b, default=-1) >= b.ndim:
            raise ValueError(f"{self}: axes out of range for {a.type.short()} and "
                             f"{b.type.short()}")
        for i, j in zip(ax_a, ax_b, strict=True):
            _check_dim(str(self), a, b, i, j)
        shape = ([s for i, s in enumerate(a.type.shape) if i not in ax_a]
                 + [s for j, s in enumerate(b.type.shape) if j not in ax_b])
        out = TensorType(upcast(a.dtype, b.dtype), shape=shape).make_variable()
        return Apply(self, [a, b], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, b = inputs
        for i, j in zip(*self.axes, strict=True):
            if a.shape[i] != b.shape[j]:
                raise ValueError(f"{self} at node {node.uid}: shapes {a.shape} and {b.shape} "
                                 f"are not aligned (axis {i}: {a.shape[i]}, axis {j}: "
                                 f"{b.shape[j]})")
        out = np.tensordot(a, b, self.axes)  # reshapes to one gemm: BLAS
        output_storage[0][0] = _as_dtype(out, node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # out[free_a, free_b] = sum_k a[free_a, k] b[k, free_b]; g is shaped like out.
        a, b = inputs
        (g,) = output_grads
        ax_a, ax_b = self.axes
        free_a = [i for i in range(a.ndim) if i not in ax_a]
        free_b = [j for j in range(b.ndim) if j not in ax_b]
        na = len(free_a)
        # ga = g . b over b's free axes; b's remaining (summed) axes come in increasing
        # order, each standing for the axis of a it was paired with
        ga = tensordot(g, b, (list(range(na, g.ndim)), free_b))
        ga_axes = free_a + [ax_a[ax_b.index(j)] for j in sorted(ax_b)]
        ga = ga.dimshuffle(*np.argsort(ga_axes).tolist())
        # gb = a . g over a's free axes, likewise
        gb = tensordot(a, g, (free_a, list(range(na))))
        gb_axes = [ax_b[ax_a.index(i)] for i in sorted(ax_a)] + free_b
        gb = gb.dimshuffle(*np.argsort(gb_axes).tolist())
        return [ga, gb]


def tensordot(a: Any, b: Any, axes: Any = 2) -> TensorVariable:
    """Sum products over the given axes, as ``np.tensordot``.

    ``axes`` is an int ``n`` (the last ``n`` axes of ``a`` with the first ``n`` of ``b``) or a
    pair of axis lists.

    >>> a, b = T.tensor3('a'), T.matrix('b')
    >>> c = T.tensordot(a, b, axes=[[2], [0]])   # shape (a0, a1, b1)
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    pair = _normalize_axes(axes, a.ndim, b.ndim)
    if a.ndim <= 2 and b.ndim <= 2 and a.ndim and b.ndim and pair == ((a.ndim - 1,), (0,)):
        return _DOT(a, b)  # the plain matrix product: keep it visible to gemm rewrites
    return TensorDot(pair)(a, b)


def dot(a: Any, b: Any) -> TensorVariable:
    """Product of two tensors with ``np.dot`` semantics (``a @ b`` for vectors and matrices).

    For higher ranks, ``a``'s last axis is contracted with ``b``'s second-to-last (its only
    axis when ``b`` is a vector). Scalars multiply elementwise.

    >>> x, w = T.matrix('x'), T.matrix('w')
    >>> y = T.dot(x, w)
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return _DOT(a, b)
    return TensorDot(((a.ndim - 1,), (max(b.ndim - 2, 0),)))(a, b)


def outer(x: Any, y: Any) -> TensorVariable:
    """Outer product of two vectors (inputs of higher rank are flattened first).

    >>> u, v = T.vector('u'), T.vector('v')
    >>> m = T.outer(u, v)     # m[i, j] = u[i] * v[j]
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return _DOT(x.dimshuffle(0, "x"), y.dimshuffle("x", 0))


class BatchedDot(Op):
    """``out[i] = np.dot(a[i], b[i])`` for 2-d or 3-d inputs sharing the first (batch) axis."""

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        if a.ndim not in (2, 3) or b.ndim not in (2, 3):
            raise TypeError(f"BatchedDot: expects 2-d or 3-d inputs, got {a.type.short()} "
                            f"and {b.type.short()}")
        _check_dim("BatchedDot", a, b, 0, 0)
        _check_dim("BatchedDot", a, b, a.ndim - 1, 1)
        batch = a.type.shape[0] if a.type.shape[0] is not None else b.type.shape[0]
        shape = (batch,) + a.type.shape[1:-1] + b.type.shape[2:]
        out = TensorType(upcast(a.dtype, b.dtype), shape=shape).make_variable()
        return Apply(self, [a, b], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, b = inputs
        if a.shape[0] != b.shape[0] or a.shape[-1] != b.shape[1]:
            raise ValueError(f"BatchedDot at node {node.uid}: shapes {a.shape} and {b.shape} "
                             f"do not match (batch and contracted axes must agree)")
        # matmul on stacks of matrices calls BLAS once per batch entry
        a3 = a if a.ndim == 3 else a[:, None, :]
        b3 = b if b.ndim == 3 else b[:, :, None]
        out = np.matmul(a3, b3)
        if b.ndim == 2:
            out = out[..., 0]
        if a.ndim == 2:
            out = out[:, 0]
        output_storage[0][0] = _as_dtype(out, node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        a, b = inputs
        (g,) = output_grads
        if a.ndim == 3 and b.ndim == 3:      # (B,n,m)(B,m,k) -> (B,n,k)
            return [batched_dot(g, b.dimshuffle(0, 2, 1)), batched_dot(a.dimshuffle(0, 2, 1), g)]
        if a.ndim == 3:                      # (B,n,m)(B,m) -> (B,n)
            return [g.dimshuffle(0, 1, "x") * b.dimshuffle(0, "x", 1),
                    batched_dot(a.dimshuffle(0, 2, 1), g)]
        if b.ndim == 3:                      # (B,m)(B,m,k) -> (B,k)
            return [batched_dot(b, g), a.dimshuffle(0, 1, "x") * g.dimshuffle(0, "x", 1)]
        return [g.dimshuffle(0, "x") * b, g.dimshuffle(0, "x") * a]   # (B,m)(B,m) -> (B)


def batched_dot(a: Any, b: Any) -> TensorVariable:
    """One ``dot`` per entry of the leading (batch) axis: ``out[i] = dot(a[i], b[i])``.

    >>> a, b = T.tensor3('a'), T.tensor3('b')     # (B, n, m) and (B, m, k)
    >>> c = T.batched_dot(a, b)                   # (B, n, k)
    """
    return BatchedDot()(a, b)


# -- matrix functions (exposed as nbgraph.tensor.nlinalg) ---------------------------------
def _square_matrix(op: str, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{op}: expects a matrix, got {x.type.short()}")
    rows, cols = x.type.shape
    if rows is not None and cols is not None and rows != cols:
        raise ValueError(f"{op}: expects a square matrix, got {x.type.short()} "
                         f"({rows} rows, {cols} columns)")
    return x


class MatrixInverse(Op):
    """The inverse of a square matrix (``np.linalg.inv``)."""

    def make_node(self, x: Any) -> Apply:
        x = _square_matrix("MatrixInverse", x)
        n = x.type.shape[0] if x.type.shape[0] is not None else x.type.shape[1]
        out = TensorType(upgrade_to_float(x.dtype), shape=(n, n)).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = _as_dtype(np.linalg.inv(inputs[0]), node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # d(A^-1) = -A^-1 dA A^-1, so dcost/dA = -A^-T g A^-T
        (z,) = outputs
        (g,) = output_grads
        return [-dot(dot(z.T, g), z.T)]


class Det(Op):
    """The determinant of a square matrix (``np.linalg.det``)."""

    def make_node(self, x: Any) -> Apply:
        x = _square_matrix("Det", x)
        out = TensorType(upgrade_to_float(x.dtype), shape=()).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = _as_dtype(np.linalg.det(inputs[0]), node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [()]

    def L_op(self, inputs: list[Any], outputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # Jacobi's formula: d det(A) = det(A) tr(A^-1 dA), so dcost/dA = g det(A) A^-T
        (x,) = inputs
        (z,) = outputs
        (g,) = output_grads
        return [(g * z) * matrix_inverse(x).T]


class Trace(Op):
    """The sum of the main diagonal of a matrix (``np.trace``)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 2:
            raise TypeError(f"Trace: expects a matrix, got {x.type.short()}")
        return Apply(self, [x], [TensorType(x.dtype, shape=()).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = _as_dtype(np.trace(inputs[0]), node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [()]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # d tr(A) / dA = I (shaped like A, ones on the main diagonal)
        (x,) = inputs
        (g,) = output_grads
        return [g * EyeLike()(x)]


class EyeLike(Op):
    """A matrix shaped like ``x`` with ones on the main diagonal (the gradient of Trace)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 2:
            raise TypeError(f"EyeLike: expects a matrix, got {x.type.short()}")
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        rows, cols = inputs[0].shape
        output_storage[0][0] = np.eye(rows, cols, dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None]  # depends on x's shape only


class Pinv(Op):
    """The Moore-Penrose pseudo-inverse (``np.linalg.pinv``), differentiable where the rank
    does not change (as Theano 1.0's ``MatrixPinv``)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 2:
            raise TypeError(f"Pinv: expects a matrix, got {x.type.short()}")
        rows, cols = x.type.shape
        out = TensorType(upgrade_to_float(x.dtype), shape=(cols, rows)).make_variable()
        return Apply(self, [x], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = _as_dtype(np.linalg.pinv(inputs[0]), node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        rows, cols = shapes[0]
        return [(cols, rows)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # Golub & Pereyra (1973), where the rank is locally constant: dP = -P dA P
        # + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P, transposed onto dA
        a, g, p = inputs[0], output_grads[0], self(inputs[0])
        left = g.T - dot(dot(a, p), g.T)      # (I - A P) G^T
        right = g.T - dot(g.T, dot(p, a))     # G^T (I - P A)
        return [-dot(dot(p.T, g), p.T) + dot(left, dot(p, p.T)) + dot(dot(p.T, p), right)]


def matrix_inverse(x: Any) -> TensorVariable:
    """The inverse of a square matrix.

    >>> a = T.dmatrix('a')
    >>> ainv = T.nlinalg.matrix_inverse(a)    # dot(a, ainv) == I
    """
    return MatrixInverse()(x)


def det(x: Any) -> TensorVariable:
    """The determinant of a square matrix.

    >>> a = T.dmatrix('a')
    >>> d = T.nlinalg.det(a)
    """
    return Det()(x)


def trace(x: Any) -> TensorVariable:
    """The sum of the main diagonal of a matrix.

    >>> a = T.dmatrix('a')
    >>> t = T.nlinalg.trace(a)
    """
    return Trace()(x)


def pinv(x: Any) -> TensorVariable:
    """The Moore-Penrose pseudo-inverse of a matrix (differentiable at constant rank).

    >>> a = T.dmatrix('a')
    >>> p = T.nlinalg.pinv(a)
    """
    return Pinv()(x)
