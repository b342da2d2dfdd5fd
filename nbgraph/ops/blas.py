"""BLAS-shaped ops the specialize pass produces: Gemm (``beta*z + alpha*dot(x, y)``).

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
