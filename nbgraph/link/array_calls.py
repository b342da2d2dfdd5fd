"""Thunks calling a kernel's entry point over NumPy arrays (``codegen.arrays``): per call, the
Python side checks types and dtypes, picks (or reuses) the output and passes the arrays'
addresses; C reads pointers, shapes and strides, so strided, transposed, negative-stride and
broadcast operands cost what contiguous ones do (about a microsecond a call).

``LAYOUT_OK`` says whether the C declaration of NumPy's array fields reads what NumPy reports
in this process; the C linker uses these thunks only then.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..codegen.arrays import NPY_WRITEABLE
from ..core.graph import Apply
from . import _cffi_abi
from .generated import exec_generated
from .vm import CELL_ONLY_REFS

FFI = _cffi_abi.ffi
HEAD = object.__basicsize__  # the object header NumPy's fields follow


def _reads_like_numpy(a: np.ndarray) -> bool:
    view = FFI.cast("nbg_pyarray *", id(a) + HEAD)
    return (int(FFI.cast("intptr_t", view.data)) == a.__array_interface__["data"][0]
            and view.nd == a.ndim
            and tuple(view.dims[d] for d in range(a.ndim)) == a.shape
            and tuple(view.strides[d] for d in range(a.ndim)) == a.strides
            and bool(view.flags & NPY_WRITEABLE) == a.flags.writeable
            and bool(view.flags & 1) == a.flags.c_contiguous)


def _layout_ok() -> bool:
    """Read a few arrays (a strided view, a 0-d array, a read-only broadcast) both ways."""
    probes = [np.arange(24.0).reshape(2, 3, 4)[::-1, :, 1:3].transpose(2, 0, 1),
              np.zeros((), np.int8), np.broadcast_to(np.ones(3, np.float32), (5, 3))]
    return all(_reads_like_numpy(a) for a in probes)


LAYOUT_OK = _layout_ok()


def shape_source(out_bcast: Sequence[bool], in_bcasts: Sequence[Sequence[bool]]) -> str:
    """A Python expression for the output shape from operands ``a0, a1, ...``: an operand's
    shape when its pattern is the output's, else each dimension from the first operand that
    does not broadcast there (the C side checks that all agree)."""
    for j, bcast in enumerate(in_bcasts):
        if tuple(bcast) == tuple(out_bcast):
            return f"a{j}.shape"
    dims = []
    for d, ob in enumerate(out_bcast):
        src = next((j for j, b in enumerate(in_bcasts) if not b[d]), None)
        dims.append("1" if ob or src is None else f"a{src}.shape[{d}]")
    return "(" + "".join(f"{x}, " for x in dims) + ")"


def _source(nin: int, nout: int, shape: str, into: dict[int, int], reduce: bool,
            held: Sequence[int] = ()) -> str:
    """The thunk's Python source, specialised to the arity (no loops on the hot path). Return
    codes of the C entry point: 0 done, 1 the general path must run (it raises the errors),
    2 the strided entry point must be loaded first (``load``, once).

    Inputs in ``held`` (graph inputs: their cells keep the array until the next call anyway)
    store their address only for a new array object. Others are not held: a reference kept
    here would stop their producer from reusing its output buffer."""
    ins = ", ".join(f"c{j}" for j in range(nin))
    outs = ", ".join(f"o{j}" for j in range(nout))
    checks = " and ".join(f"type(a{j}) is ndarray and a{j}.dtype is idt{j}" for j in range(nin))
    lines = ["def make(in_cells, out_cells, fn, objs, empty, dts, idts, general, refs, base,"
             " ndarray, addr, load):",
             f"    {ins}, = in_cells", f"    {outs}, = out_cells",
             "    " + "".join(f"dt{j}, " for j in range(nout)) + "= dts",
             "    " + "".join(f"idt{j}, " for j in range(nin)) + "= idts",
             *[f"    h{j} = None" for j in held],
             "    def thunk():",
             "        nonlocal " + ", ".join(["fn", *[f"h{j}" for j in held]]),
             "        " + "; ".join(f"a{j} = c{j}[0]" for j in range(nin)),
             f"        if {checks}:",
             f"            shape = {shape}"]
    for j in range(nout):
        if j in into:  # computed over the input it replaces (same shape and dtype)
            lines += [f"            r{j} = a{into[j]}",
                      f"            if r{j}.dtype is not dt{j} or r{j}.shape != shape:",
                      "                return general()"]
        else:
            lines += [f"            r{j} = o{j}[0]",
                      f"            if r{j} is None or refs(r{j}) != base or r{j}.shape != shape:",
                      f"                r{j} = empty(shape, dt{j})"]
    for j in range(nin):
        if j in held:
            lines += [f"            if a{j} is not h{j}:",
                      f"                objs[{j}] = addr(a{j})",
                      f"                h{j} = a{j}"]
        else:
            lines.append(f"            objs[{j}] = addr(a{j})")
    lines += ["            " + "; ".join(f"objs[{nin + j}] = addr(r{j})" for j in range(nout)),
              "            rc = fn(objs)"]
    if not reduce:
        lines += ["            if rc == 2:", "                fn = load()",
                  "                rc = fn(objs)"]
    lines += ["            if rc == 0:",
              "                " + "; ".join(f"o{j}[0] = r{j}" for j in range(nout)),
              "                return", "        general()", "    return thunk"]
    return "\n".join(lines) + "\n"


def arrays_thunk(node: Apply, fn: Any, in_cells: list[list], out_cells: list[list],
                 in_dtypes: Sequence[str | np.dtype], out_dtypes: Sequence[str | np.dtype],
                 general: Callable[[], None], load: Callable[[], Any] | None = None,
                 into: dict[int, int] | None = None, kept: Sequence[int] | None = None,
                 held: Sequence[int] = ()) -> Callable[[], None]:
    """A thunk calling entry point ``fn`` (``nbg_arrays_t``) of ``node``'s kernel over the
    arrays in ``in_cells``; ``general`` runs where it cannot (other types or dtypes, shapes
    that do not broadcast: it raises the errors). ``load`` gives the entry point that also
    handles strided operands; ``into`` maps an output to the input it overwrites; ``kept``
    (reductions) lists the axes of the (broadcast) input the output keeps."""
    nin, nout = len(in_cells), len(out_cells)
    in_bcasts = [v.type.broadcastable for v in node.inputs]
    if kept is None:
        out_bcast = node.outputs[0].type.broadcastable
        shape = shape_source(out_bcast, in_bcasts)
    else:  # a reduction: the kept axes of its input's (prologue's operands') shape
        full = [all(b[d] for b in in_bcasts) for d in range(len(in_bcasts[0]))]
        picked = shape_source(full, in_bcasts)
        shape = "(" + "".join(f"{picked}[{d}], " for d in kept) + ")" if kept else "()"
    src = _source(nin, nout, shape, into or {}, kept is not None, held)
    scope: dict[str, Any] = {}
    exec_generated(src, scope, "kernel call")  # from integers only
    objs = FFI.new(f"intptr_t[{nin + nout}]")
    return scope["make"](in_cells, out_cells, fn, objs, np.empty,
                         [np.dtype(d) for d in out_dtypes], [np.dtype(d) for d in in_dtypes],
                         general, sys.getrefcount, CELL_ONLY_REFS, np.ndarray, id, load)
