"""Thunks for ``dot`` and ``Gemm`` calling the BLAS NumPy links (``cblas_?gemm``) directly:
one call writing into a reused output buffer, ``beta * z`` folded into the call, transposed
operands passed as BLAS transposes. ``Gemv`` with ``beta == 0`` (what specialize makes of a
matrix-vector ``dot``) is NumPy's gemv into a reused buffer, ``y`` unread. Anything else runs
the op's ``perform``.
"""

from __future__ import annotations

import functools
import glob
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.graph import Apply, Constant
from ..ops.blas import Gemm, Gemv
from ..ops.linalg import Dot
from ._cffi_abi import ffi
from .vm import CELL_ONLY_REFS

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112
# NumPy's wheels bundle scipy-openblas with 64-bit integers and prefixed symbols
_LIBS = ("numpy.libs/libscipy_openblas64_*.so*", "numpy/.dylibs/libscipy_openblas64_*.dylib")


@functools.cache
def cblas() -> tuple[Any, Any, Any] | None:
    """(ffi, sgemm, dgemm) from the BLAS inside NumPy's wheel, or None (then NumPy runs)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    for pattern in _LIBS:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            try:
                lib = ffi.dlopen(path)
                return ffi, lib.scipy_cblas_sgemm64_, lib.scipy_cblas_dgemm64_
            except (OSError, AttributeError):
                continue
    return None


def _operand(a: np.ndarray, fb: Callable) -> tuple[Any, int, int]:
    """(pointer, transpose flag, leading dimension) of a C- or F-contiguous matrix."""
    if a.flags.c_contiguous:
        return fb(a), NO_TRANS, max(1, a.shape[1])
    return fb(a.T), TRANS, max(1, a.shape[0])  # raises ValueError unless F-contiguous


def _product_args(x: np.ndarray, y: np.ndarray, dt: np.dtype, fb: Callable) -> tuple | None:
    """(m, n, k, a, trans_a, lda, b, trans_b, ldb) for ``x @ y`` through cblas, or None when
    the operands do not fit it (shapes, dtype, empty, neither C- nor F-contiguous)."""
    m, k = x.shape
    n = y.shape[1]
    if y.shape[0] != k or not m * n * k or x.dtype != dt or y.dtype != dt:
        return None
    try:
        return (m, n, k, *_operand(x, fb), *_operand(y, fb))
    except ValueError:
        return None


def _reused(out_cell: list, dt: np.dtype) -> Callable[..., np.ndarray]:
    """``shape -> buffer``: the output cell's array again when only the cell holds it and the
    shape matches, else a new one (the VM's reuse rule, vm.CELL_ONLY_REFS)."""
    getrefcount = sys.getrefcount

    def buffer(*shape: int) -> np.ndarray:
        out = out_cell[0]
        if out is None or getrefcount(out) != CELL_ONLY_REFS or out.shape != shape:
            out = np.empty(shape, dt)
        return out
    return buffer


def blas_thunk(node: Apply, in_cells: list[list], out_cells: list[list]
               ) -> Callable[[], None] | None:
    """A BLAS thunk for a ``dot`` of matrices, a ``Gemm`` or a ``Gemv``, or None."""
    if isinstance(node.op, Gemv):
        return gemv_thunk(node, in_cells, out_cells)
    if isinstance(node.op, (Dot, Gemm)):
        return gemm_thunk(node, in_cells, out_cells, isinstance(node.op, Gemm))
    return None


def gemv_thunk(node: Apply, in_cells: list[list], out_cells: list[list]
               ) -> Callable[[], None] | None:
    """``alpha * dot(A, x)`` for a ``Gemv`` whose ``beta`` is the constant 0: ``y`` only
    gives the shape (BLAS's convention; specialize passes a constant of shape (1,)), so the
    product goes into a reused buffer. Else None (``perform``)."""
    beta = node.inputs[4]
    dtype = node.outputs[0].dtype
    if not isinstance(beta, Constant) or np.any(beta.data != 0) \
            or dtype not in ("float32", "float64") \
            or any(v.dtype != dtype for v in node.inputs[2:4]):
        return None
    y_cell, alpha_cell, a_cell, x_cell, _ = in_cells
    out_cell = out_cells[0]
    buffer = _reused(out_cell, np.dtype(dtype))
    slow = node.op.make_thunk(node, in_cells, out_cells)
    dot = np.dot

    def thunk() -> None:
        A, x = a_cell[0], x_cell[0]  # noqa: N806
        rows = A.shape[0]
        if A.shape[1] != x.shape[0] or y_cell[0].shape not in ((rows,), (1,)):
            return slow()  # perform's error, naming the shapes
        out = dot(A, x, out=buffer(rows))
        alpha = alpha_cell[0]
        if alpha != 1:
            out *= alpha
        out_cell[0] = out
    return thunk


def gemm_thunk(node: Apply, in_cells: list[list], out_cells: list[list],
               is_gemm: bool) -> Callable[[], None] | None:
    """A thunk for a matrix-matrix ``dot`` or a ``Gemm`` node in float32/float64, or None.

    ``Gemm{no_inplace}`` copies ``z`` into the output buffer (it may not overwrite its input)
    and asks BLAS for ``beta * out + alpha * x @ y`` there; ``Gemm{inplace}`` of a graph
    input (a shared variable it updates: the inplace pass checked that nothing reads the old
    value later) asks for it in ``z`` itself.
    """
    found = cblas()
    out_var = node.outputs[0]
    dtype = out_var.dtype
    xs = node.inputs[2:4] if is_gemm else node.inputs
    if found is None or dtype not in ("float32", "float64") or out_var.ndim != 2 \
            or any(v.ndim != 2 or v.dtype != dtype for v in xs):
        return None
    ffi, sgemm, dgemm = found
    call = sgemm if dtype == "float32" else dgemm
    fb = ffi.from_buffer
    dt = np.dtype(dtype)
    out_cell = out_cells[0]
    slow = node.op.make_thunk(node, in_cells, out_cells)
    buffer = _reused(out_cell, dt)

    if is_gemm:
        z_cell, alpha_cell, x_cell, y_cell, beta_cell = in_cells
        # an intermediate z keeps the copy (writing into it would make its producer allocate
        # a fresh buffer every call instead of reusing its own), unless its producer wrote
        # it in place too: the second gemm of an update's chain, z a shared variable's buffer
        z_owner = node.inputs[0].owner
        in_place = bool(node.op.destroy_map) and (
            z_owner is None or node.inputs[0].index in (z_owner.op.destroy_map or {}))

        def thunk() -> None:
            z = z_cell[0]
            args = _product_args(x_cell[0], y_cell[0], dt, fb)
            if args is None or z.shape != args[:2] or z.dtype != dt:
                return slow()
            m, n, k, pa, ta, lda, pb, tb, ldb = args
            if in_place and z.flags.c_contiguous and z.flags.writeable:
                out = z
            else:
                out = buffer(m, n)
                np.copyto(out, z)
            call(ROW_MAJOR, ta, tb, m, n, k, float(alpha_cell[0]), pa, lda, pb, ldb,
                 float(beta_cell[0]), fb(out), n)
            out_cell[0] = out
        return thunk

    x_cell, y_cell = in_cells

    def dot_thunk() -> None:
        args = _product_args(x_cell[0], y_cell[0], dt, fb)
        if args is None:
            return slow()
        m, n, k, pa, ta, lda, pb, tb, ldb = args
        out = buffer(m, n)
        call(ROW_MAJOR, ta, tb, m, n, k, 1.0, pa, lda, pb, ldb, 0.0, fb(out), n)
        out_cell[0] = out
    return dot_thunk

