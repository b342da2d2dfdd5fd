"""BLAS-shaped ops the specialize pass produces: Gemm (``beta*z + alpha*dot(x, y)``) and
Gemv (``beta*y + alpha*dot(A, x)``, matrix times vector).

Users write ``dot`` and ``+``; ``compile/rewrite/specialize.py`` turns them into Gemm so a
backend can make one BLAS call. The NumPy ``perform`` is the reference semantics.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, upcast
from ..core.variable import TensorVariable, as_tensor_variable


def _checked(name: str, names: tuple[str, str, str], shapes: str, ndims: tuple[int, int, int],
             *args: Any) -> tuple[TensorVariable, ...]:
    """Gemm's and Gemv's inputs ``(out, alpha, a, b, beta)`` as tensors, checked: the
    dimensions ``ndims`` of out, a and b, 0-d alpha and beta, ``out``'s dtype able to hold
    ``dot(a, b)``, and the product's inner sizes equal where known."""
    out, alpha, a, b, beta = (as_tensor_variable(v) for v in args)
    if (out.ndim, a.ndim, b.ndim) != ndims:
        raise TypeError(f"{name}: {', '.join(names)} {shapes}, got {out.type.short()}, "
                        f"{a.type.short()}, {b.type.short()}")
    if alpha.ndim != 0 or beta.ndim != 0:
        raise TypeError(f"{name}: alpha and beta must be scalars, got {alpha.type.short()} "
                        f"and {beta.type.short()}")
    if upcast(out.dtype, a.dtype, b.dtype) != out.dtype:
        raise TypeError(f"{name}: {names[0]} ({out.type.short()}) cannot hold "
                        f"dot({a.type.short()}, {b.type.short()})")
    ka, kb = a.type.shape[1], b.type.shape[0]
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"{name}: dot shapes {a.type.short()} and {b.type.short()} are "
                         f"not aligned")
    return out, alpha, a, b, beta


class Gemm(Op):
    """``gemm(z, alpha, x, y, beta) = beta * z + alpha * dot(x, y)`` on matrices.

    ``alpha`` and ``beta`` are 0-d; ``z`` fixes the output type. Not differentiable: it only
    appears after rewriting, when gradients have been built already. ``Gemm(inplace=True)``
    (the inplace pass's) writes the result into ``z``'s buffer.
    """

    __props__ = ("inplace",)

    def __init__(self, inplace: bool = False):
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self) -> str:
        return "Gemm{inplace}" if self.inplace else "Gemm{no_inplace}"

    def make_node(self, z: Any, alpha: Any, x: Any, y: Any, beta: Any) -> Apply:
        z, alpha, x, y, beta = _checked("gemm", ("z", "x", "y"), "must be matrices", (2, 2, 2),
                                        z, alpha, x, y, beta)
        # z's known lengths, except a 1 that dot(x, y) broadcasts it to (z of shape (1, 1))
        shape = [zs if zs not in (None, 1) else ds
                 for zs, ds in zip(z.type.shape, (x.type.shape[0], y.type.shape[1]),
                                   strict=True)]
        return Apply(self, [z, alpha, x, y, beta], [TensorType(z.dtype, shape=shape)()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        z, alpha, x, y, beta = inputs
        product = np.dot(x, y)
        if product.shape != z.shape and z.shape != (1, 1):
            raise ValueError(f"gemm at node {node.uid}: z has shape {z.shape}, dot(x, y) has "
                             f"shape {product.shape}")
        out = np.asarray(beta * z + alpha * product, dtype=node.outputs[0].type.dtype)
        output_storage[0][0] = _kept_in(z, out) if self.inplace else out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # dot(x, y)'s shape: a z of shape (1, 1) is broadcast (and unread when beta is 0)
        return [(shapes[2][0], shapes[3][1])]


def _kept_in(buffer: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` written into ``buffer`` where it fits (the destroy_map promise of an in-place
    Gemm/Gemv: the result lives in the destroyed input's buffer), else ``out`` itself."""
    if buffer.shape == out.shape and buffer.dtype == out.dtype and buffer.flags.writeable:
        buffer[...] = out
        return buffer
    return out


gemm_no_inplace = Gemm()
gemm_inplace = Gemm(inplace=True)


class Gemv(Op):
    """``gemv(y, alpha, A, x, beta) = beta * y + alpha * dot(A, x)``: matrix ``A`` times
    vector ``x`` (Theano's ``Gemv``, which code written for Theano looks for in
    ``fgraph.toposort()``). With ``beta == 0``, ``y`` only gives the output its buffer and
    shape: its values are never read (BLAS's convention, so a NaN there cannot leak).
    ``Gemv(inplace=True)`` writes the result into ``y``'s buffer.
    """

    __props__ = ("inplace",)

    def __init__(self, inplace: bool = False):
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self) -> str:
        return "Gemv{inplace}" if self.inplace else "Gemv{no_inplace}"

    def make_node(self, y: Any, alpha: Any, A: Any, x: Any, beta: Any) -> Apply:  # noqa: N803
        y, alpha, A, x, beta = _checked("gemv", ("y", "A", "x"),  # noqa: N806
                                        "must be a vector, a matrix and a vector", (1, 2, 1),
                                        y, alpha, A, x, beta)
        rows = y.type.shape[0] if y.type.shape[0] not in (None, 1) else A.type.shape[0]
        return Apply(self, [y, alpha, A, x, beta], [TensorType(y.dtype, shape=(rows,))()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        y, alpha, A, x, beta = inputs
        if A.shape[1] != x.shape[0] or y.shape[0] != A.shape[0] and y.shape != (1,):
            raise ValueError(f"gemv at node {node.uid}: y has shape {y.shape}, A {A.shape}, "
                             f"x {x.shape}")
        dtype = node.outputs[0].type.dtype
        if self.inplace and beta == 0 and alpha == 1 and y.shape == (A.shape[0],) \
                and y.flags.c_contiguous \
                and y.flags.writeable and y.dtype == A.dtype == x.dtype == dtype:
            output_storage[0][0] = np.dot(A, x, out=y)   # BLAS gemv straight into y
            return
        product = np.dot(A, x)   # NumPy's BLAS gemv
        if beta != 0:
            product = beta * y + alpha * product
        elif alpha != 1:
            product = alpha * product
        out = np.asarray(product, dtype=dtype)
        output_storage[0][0] = _kept_in(y, out) if self.inplace else out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # A's rows: a y of shape (1,) only lends its buffer when beta is 0
        return [(shapes[2][0],)]


gemv_no_inplace = Gemv()
gemv_inplace = Gemv(inplace=True)
