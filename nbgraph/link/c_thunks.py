"""The C linker's kernel thunks: each calls its kernel's entry point over NumPy arrays
(``array_calls``), and keeps a general path for what that declines (other types or dtypes,
more dimensions than a kernel takes, shapes that do not broadcast: it raises the errors).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..codegen.kernel import Kernel, reduce_layout
from ..config import NbgraphWarning
from ..core.graph import Apply
from ..ops.elemwise import broadcast_shape
from . import _cffi_abi
from .array_calls import LAYOUT_OK, arrays_thunk

FFI = _cffi_abi.ffi
MAXDIM = 32
_WARNED: list[bool] = []


def _warn_layout() -> None:
    if not _WARNED:
        _WARNED.append(True)
        warnings.warn("NumPy's array fields do not read as expected in C: kernels are called "
                      "through the slower general path", NbgraphWarning, stacklevel=4)


def _pointer(a: np.ndarray) -> Any:
    return FFI.cast("char *", a.__array_interface__["data"][0])


def _int64s(values: Sequence[int]) -> Any:
    return FFI.new("int64_t[]", list(values))


def call_strided(fn: Any, arrays: Sequence[np.ndarray], shape: tuple[int, ...]) -> None:
    """Run a strided kernel on ``arrays`` (already broadcast to ``shape``)."""
    if not shape:
        shape, strides = (1,), [0] * len(arrays)
    else:
        strides = [s for a in arrays for s in a.strides]
    ptrs = FFI.new("char *[]", [_pointer(a) for a in arrays])
    fn(len(shape), _int64s(shape), ptrs, _int64s(strides))


def _as_dtypes(values: list[Any], dtypes: Sequence[str | np.dtype]) -> list[np.ndarray]:
    out = []
    for v, d in zip(values, dtypes, strict=True):
        v = np.asarray(v)
        out.append(v if v.dtype == d else v.astype(d))
    return out


class StridedEntry:
    """A kernel's entry points that take strided operands (``strided(k)``: the function over
    arrays, ``raw(k)``: the one over pointers and strides), from a module built on first
    need by ``load`` (most graphs only ever see contiguous operands)."""

    def __init__(self, load: Callable[[], Any]):
        self.load, self.lib = load, None

    def _lib(self) -> Any:
        if self.lib is None:
            self.lib = self.load()
        return self.lib

    def arrays(self, k: int) -> Any:
        return FFI.cast("nbg_arrays_t", self._lib().nbg_lookup(k, 4))

    def raw(self, k: int) -> Any:
        return FFI.cast("nbg_strided_t", self._lib().nbg_lookup(k, 1))


def elemwise_thunk(node: Apply, kern: Kernel, lib: Any, k: int, in_cells: list[list],
                   out_cells: list[list], strided: StridedEntry) -> Callable[[], None]:
    """A thunk running kernel ``k`` of ``lib`` for ``node``: C picks the contiguous, rows or
    strided loop from the arrays themselves. An output array is reused when nothing but its
    storage cell still refers to it; an output the inplace pass lets overwrite a graph input
    (every other reader ordered first) is computed over it."""
    in_dtypes = [a.dtype for a in kern.inputs]
    out_dtypes = [o.dtype for o in kern.outputs]
    objs = FFI.new(f"intptr_t[{len(in_cells) + len(out_cells)}]")

    def general() -> None:
        vals = _as_dtypes([c[0] for c in in_cells], in_dtypes)
        shape = broadcast_shape(node, vals)
        outs = [np.empty(shape, d) for d in out_dtypes]
        if len(shape) > MAXDIM:  # beyond what a kernel walks
            node.op.perform(node, vals, out_cells)
            outs = [np.ascontiguousarray(c[0], dtype=d)
                    for c, d in zip(out_cells, out_dtypes, strict=True)]
        elif LAYOUT_OK:
            for j, a in enumerate(vals + outs):
                objs[j] = id(a)
            if strided.arrays(k)(objs) != 0:
                raise ValueError(f"{node.op} at node {node.uid}: operands of shapes "
                                 f"{[v.shape for v in vals]} do not fit output {shape}")
        else:
            call_strided(strided.raw(k), [np.broadcast_to(v, shape) for v in vals] + outs,
                         shape)
        for cell, out in zip(out_cells, outs, strict=True):
            cell[0] = out

    if not LAYOUT_OK:
        _warn_layout()
        return general
    held = [j for j, v in enumerate(node.inputs) if v.owner is None and not hasattr(v, "data")]
    into = {o: i for o, (i, *_) in (getattr(node.op, "destroy_map", {}) or {}).items()
            if i in held and kern.inputs[i].role == "full"}
    fast = FFI.cast("nbg_arrays_t", lib.nbg_lookup(k, 4))
    return arrays_thunk(node, fast, in_cells, out_cells, in_dtypes, out_dtypes, general,
                        lambda: strided.arrays(k), into, held=held)


def reduce_thunk(node: Apply, prologue: Apply | None, kern: Kernel, lib: Any, k: int,
                 in_cells: list[list], out_cells: list[list]) -> Callable[[], None]:
    """A thunk running reduction kernel ``k``: C moves the reduced axes last (strides only,
    no copies) from the arrays themselves; the general path does the same in Python."""
    fn = FFI.cast("nbg_reduce_t", lib.nbg_lookup(k, 2))
    red = kern.reduce
    assert red is not None
    in_dtypes = [np.dtype(a.dtype) for a in kern.inputs]
    out_dtype = np.dtype(kern.outputs[0].dtype)
    out_cell = out_cells[0]

    def general() -> None:
        vals = _as_dtypes([c[0] for c in in_cells], in_dtypes)
        if prologue is not None:  # the error naming the node, also for unbroadcastable shapes
            broadcast_shape(prologue, vals)
        shape, keep, perm = reduce_layout(node, prologue, red, vals)
        if len(shape) + 1 > MAXDIM:
            raise ValueError(f"{node.op}: more than {MAXDIM - 1} dimensions")
        views = [np.broadcast_to(v, shape).transpose(perm) for v in vals]
        full = [shape[d] for d in perm]
        strides = [list(v.strides) for v in views]
        nr = len(red.axes)
        if nr == 0:  # nothing reduced: one step of size 1
            full.append(1)
            strides = [s + [0] for s in strides]
            nr = 1
        out = np.empty([shape[d] for d in keep], out_dtype)
        ptrs = FFI.new("char *[]", [_pointer(v) for v in views] + [_pointer(out)])
        fn(len(keep), nr, _int64s(full), ptrs, _int64s([s for row in strides for s in row]))
        out_cell[0] = out

    if not LAYOUT_OK:
        _warn_layout()
        return general
    keep = [d for d in range(red.ndim) if d not in red.axes]
    fast = FFI.cast("nbg_arrays_t", lib.nbg_lookup(k, 4))
    return arrays_thunk(prologue or node, fast, in_cells, out_cells, in_dtypes, [out_dtype],
                        general, kept=keep)
