"""Dot and Gemm on the device through cuBLAS (CuPy's ``matmul``), on CuPy arrays only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.graph import Apply
from ..ops.blas import Gemm
from ..ops.linalg import Dot
from .device import require_cupy, to_device


def handles(node: Apply) -> bool:
    """Whether ``node`` is a BLAS op with a cuBLAS thunk (float dtypes only: cuBLAS has no
    integer GEMM, and NumPy's integer dot is exact)."""
    if not isinstance(node.op, (Dot, Gemm)):
        return False
    return all(v.dtype in ("float32", "float64") for v in (*node.inputs, *node.outputs))


def dot(x: Any, y: Any, out_dtype: str) -> Any:
    """``np.dot`` semantics for 1-d and 2-d device arrays: one cuBLAS GEMM/GEMV call."""
    cupy = require_cupy("dot on the GPU")
    if x.shape[-1] != y.shape[0]:
        raise ValueError(f"dot: shapes {x.shape} and {y.shape} are not aligned "
                         f"({x.shape[-1]} != {y.shape[0]})")
    result = cupy.matmul(x, y) if x.ndim and y.ndim else x * y
    return result if result.dtype == out_dtype else result.astype(out_dtype)


def gemm(z: Any, alpha: Any, x: Any, y: Any, beta: Any, out_dtype: str) -> Any:
    """``beta * z + alpha * dot(x, y)`` with one GEMM writing a fresh output (z is kept)."""
    cupy = require_cupy("gemm on the GPU")
    product = cupy.matmul(x, y)
    if product.shape != z.shape and z.shape != (1, 1):
        raise ValueError(f"gemm: z has shape {z.shape}, dot(x, y) has shape {product.shape}")
    out = product
    out *= alpha.astype(product.dtype)      # in place on the fresh product: no temporaries
    out += beta.astype(product.dtype) * z
    return out if out.dtype == out_dtype else out.astype(out_dtype)


def make_thunk(node: Apply, in_cells: list[list], out_cells: list[list]) -> Callable[[], None]:
    """A thunk running ``node`` (Dot or Gemm) on device values."""
    out_dtype = node.outputs[0].dtype
    dtypes = [v.dtype for v in node.inputs]
    cell = out_cells[0]
    if isinstance(node.op, Gemm):
        def thunk() -> None:
            z, alpha, x, y, beta = (to_device(c[0], d) for c, d in zip(in_cells, dtypes,
                                                                       strict=True))
            cell[0] = gemm(z, alpha, x, y, beta, out_dtype)
    else:
        def thunk() -> None:
            x, y = (to_device(c[0], d) for c, d in zip(in_cells, dtypes, strict=True))
            cell[0] = dot(x, y, out_dtype)
    return thunk
