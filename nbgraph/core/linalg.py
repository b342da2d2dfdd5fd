"""Linear algebra: Dot (through the BLAS NumPy links), and its relatives."""

from __future__ import annotations

from typing import Any

import numpy as np

from .graph import Apply
from .op import Op
from .types import TensorType, upcast
from .variable import as_tensor_variable

__all__ = ["dot", "Dot"]


class Dot(Op):
    """Matrix and vector products of 1-d and 2-d tensors (``np.dot`` semantics)."""

    def __str__(self) -> str:
        return "dot"

    def make_node(self, x: Any, y: Any) -> Apply:
        x, y = as_tensor_variable(x), as_tensor_variable(y)
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"dot: expects 1-d or 2-d inputs, got {x.type.short()} and "
                            f"{y.type.short()}")
        kx, ky = x.type.shape[-1], y.type.shape[0]
        if kx is not None and ky is not None and kx != ky:
            raise ValueError(f"dot: shapes {x.type.short()} and {y.type.short()} are not "
                             f"aligned ({kx} != {ky})")
        shape = x.type.shape[:-1] + y.type.shape[1:]
        out = TensorType(upcast(x.dtype, y.dtype), shape=shape).make_variable()
        return Apply(self, [x, y], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y = inputs
        if x.shape[-1] != y.shape[0]:
            raise ValueError(f"dot at node {node.uid}: shapes {x.shape} and {y.shape} are not "
                             f"aligned ({x.shape[-1]} != {y.shape[0]})")
        out = np.dot(x, y)
        dtype = node.outputs[0].dtype
        output_storage[0][0] = np.asarray(out, dtype=dtype) if np.ndim(out) == 0 or \
            out.dtype != dtype else out

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, y = inputs
        g = output_grads[0]
        if x.ndim == 2 and y.ndim == 2:      # (m,k)(k,n)
            return [dot(g, y.T), dot(x.T, g)]
        if x.ndim == 1 and y.ndim == 2:      # (k)(k,n) -> (n)
            return [dot(y, g), _outer(x, g)]
        if x.ndim == 2 and y.ndim == 1:      # (m,k)(k) -> (m)
            return [_outer(g, y), dot(x.T, g)]
        return [g * y, g * x]                # (k)(k) -> ()


def _outer(a: Any, b: Any) -> Any:
    return a.dimshuffle(0, "x") * b.dimshuffle("x", 0)


_DOT = Dot()


def dot(a: Any, b: Any) -> Any:
    """``a @ b`` for vectors and matrices; higher ranks contract a's last axis with b's
    second-to-last, as ``np.dot``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if a.ndim <= 2 and b.ndim <= 2:
        return _DOT(a, b)
    from . import linalg_more  # tensordot lives with the higher-rank products
    return linalg_more.nd_dot(a, b)
