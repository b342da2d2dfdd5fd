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
from ..core.variable import as_tensor_variable


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
        z, alpha, x, y, beta = (as_tensor_variable(v) for v in (z, alpha, x, y, beta))
        if z.ndim != 2 or x.ndim != 2 or y.ndim != 2:
            raise TypeError(f"gemm: z, x, y must be matrices, got {z.type.short()}, "
                            f"{x.type.short()}, {y.type.short()}")
        if alpha.ndim != 0 or beta.ndim != 0:
            raise TypeError(f"gemm: alpha and beta must be scalars, got {alpha.type.short()} "
                            f"and {beta.type.short()}")
        if upcast(z.dtype, x.dtype, y.dtype) != z.dtype:
            raise TypeError(f"gemm: z ({z.type.short()}) cannot hold dot({x.type.short()}, "
                            f"{y.type.short()})")
        kx, ky = x.type.shape[1], y.type.shape[0]
        if kx is not None and ky is not None and kx != ky:
            raise ValueError(f"gemm: dot shapes {x.type.short()} and {y.type.short()} are "
                             f"not aligned")
        shape = [zs if zs is not None else ds
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
        if self.inplace and out.shape == z.shape and out.dtype == z.dtype and z.flags.writeable:
            z[...] = out  # the destroy_map promise: the result lives in z's buffer
            out = z
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]


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
        y, alpha, A, x, beta = (as_tensor_variable(v) for v in (y, alpha, A, x, beta))
        if y.ndim != 1 or A.ndim != 2 or x.ndim != 1:
            raise TypeError(f"gemv: y, A, x must be a vector, a matrix and a vector, got "
                            f"{y.type.short()}, {A.type.short()}, {x.type.short()}")
        if alpha.ndim != 0 or beta.ndim != 0:
            raise TypeError(f"gemv: alpha and beta must be scalars, got {alpha.type.short()} "
                            f"and {beta.type.short()}")
        if upcast(y.dtype, A.dtype, x.dtype) != y.dtype:
            raise TypeError(f"gemv: y ({y.type.short()}) cannot hold dot({A.type.short()}, "
                            f"{x.type.short()})")
        kA, kx = A.type.shape[1], x.type.shape[0]
        if kA is not None and kx is not None and kA != kx:
            raise ValueError(f"gemv: dot shapes {A.type.short()} and {x.type.short()} are "
                             f"not aligned")
        rows = y.type.shape[0] if y.type.shape[0] is not None else A.type.shape[0]
        return Apply(self, [y, alpha, A, x, beta], [TensorType(y.dtype, shape=(rows,))()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        y, alpha, A, x, beta = inputs
        if A.shape[1] != x.shape[0] or y.shape[0] != A.shape[0]:
            raise ValueError(f"gemv at node {node.uid}: y has shape {y.shape}, A {A.shape}, "
                             f"x {x.shape}")
        dtype = node.outputs[0].type.dtype
        if self.inplace and beta == 0 and alpha == 1 and y.flags.c_contiguous \
                and y.flags.writeable and y.dtype == A.dtype == x.dtype == dtype:
            output_storage[0][0] = np.dot(A, x, out=y)   # BLAS gemv straight into y
            return
        product = np.dot(A, x)   # NumPy's BLAS gemv
        out = alpha * product if beta == 0 else beta * y + alpha * product
        out = np.asarray(out, dtype=dtype)
        if self.inplace and y.dtype == out.dtype and y.flags.writeable:
            y[...] = out  # the destroy_map promise: the result lives in y's buffer
            out = y
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]


gemv_no_inplace = Gemv()
gemv_inplace = Gemv(inplace=True)
