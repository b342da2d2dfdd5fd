"""Indexing thunks for the C linker: ``Subtensor`` (a view), ``IncSubtensor`` and
``set_subtensor``, integer-array reads, and integer-array updates (``AdvancedIncSubtensor1``,
``AdvancedIncSubtensor`` of arrays and ints: ``np.add.at``, so repeated indices accumulate, or
an assignment), each one generated NumPy indexing statement with constant indices written in
(``x[:, 4:8, ...]``) instead of ``perform``'s index building.

Anything the statement refuses (an index out of bounds, a value that does not fit the region
as its type allows, another type) goes to ``perform``, which raises the op's own errors;
NumPy checks every index before it writes, so an in-place update is never applied twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Constant, Variable
from ..core.types import is_int
from ..ops.subtensor import (
    ARRAY,
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    IncSubtensor,
    SliceEntry,
    Subtensor,
)
from .generated import exec_generated

Thunk = Callable[[], None]


def _value(var: Variable, cell: int) -> str:
    """An index input as source: a constant's value written in, else its cell read."""
    if isinstance(var, Constant):
        return str(int(var.data))
    return f"int(c{cell}[0])"


def index_source(idx_list: Sequence[Any], inputs: Sequence[Variable], first: int) -> str:
    """The text between the brackets of ``x[...]`` for an op's ``idx_list`` whose index
    inputs are ``inputs``, read from cells ``c<first>``, ``c<first + 1>``, ..."""
    parts, k = [], first
    for entry in idx_list:
        if isinstance(entry, SliceEntry):
            bounds = []
            for p in entry.parts():
                if p is None:
                    bounds.append("")
                else:
                    bounds.append(_value(inputs[k - first], k))
                    k += 1
            parts.append(":".join(bounds) if bounds[2] else ":".join(bounds[:2]))
        elif entry == ARRAY:
            parts.append(f"c{k}[0]")
            k += 1
        else:
            parts.append(_value(inputs[k - first], k))
            k += 1
    return ", ".join(parts)


def _build(lines: list[str], node: Apply, in_cells: list[list], out_cells: list[list]
           ) -> Thunk:
    """Compile the thunk body ``lines`` (reading ``c<k>``, writing ``o``) with ``perform``
    as the fallback."""
    slow = node.op.make_thunk(node, in_cells, out_cells)
    names = "".join(f"c{k}, " for k in range(len(in_cells)))
    src = ["def make(cells, o, slow, asarray, add_at, bshape):", f"    {names}= cells",
           "    def thunk():",
           "        try:", *[f"            {line}" for line in lines],
           "            return", "        except (IndexError, TypeError, ValueError):",
           "            pass", "        slow()", "    return thunk"]
    scope: dict[str, Any] = {}
    exec_generated("\n".join(src) + "\n", scope, f"{type(node.op).__name__} thunk")
    return scope["make"](in_cells, out_cells[0], slow, np.asarray, np.add.at,
                         np.broadcast_shapes)


def _fits(y_var: Variable, region: str) -> list[str]:
    """Lines raising ValueError unless the value ``y`` fits the region whose shape the
    source ``region`` gives, a length-1 axis broadcasting only where ``y``'s type allows
    (``perform``'s rule, whose message the fallback then gives)."""
    checks = []
    for axis, broadcastable in enumerate(y_var.type.broadcastable):
        same = f"y.shape[{axis}] == r[lead + {axis}]"
        checks.append(f"({same} or y.shape[{axis}] == 1)" if broadcastable else same)
    if not checks:
        return []
    return [f"r = {region}", "lead = len(r) - y.ndim", f"if not ({' and '.join(checks)}):",
            "    raise ValueError"]


def _update(node: Apply, index: str, region: str, in_cells: list[list],
            out_cells: list[list]) -> Thunk:
    """The thunk of an integer-array update of ``x[index]`` by ``y`` (cells 0 and 1)."""
    op = node.op
    write = f"out[{index}] = y" if op.set_instead_of_inc else f"add_at(out, ({index},), y)"
    return _build(["x = c0[0]", "y = c1[0]", *_fits(node.inputs[1], region),
                   "out = x" if op.inplace else "out = x.copy()", write, "o[0] = out"],
                  node, in_cells, out_cells)


def _advanced_update(node: Apply, in_cells: list[list], out_cells: list[list]
                     ) -> Thunk | None:
    """``AdvancedIncSubtensor`` of integer arrays and ints only (``x[arange(n), y]``): the
    region is the arrays' broadcast shape, then ``x``'s remaining axes; slices: None."""
    op, indices = node.op, node.inputs[2:]
    if any(isinstance(e, SliceEntry) for e in op.idx_list) \
            or any(not is_int(v.dtype) or v.dtype == "bool" for v in indices):
        return None
    arrays = [f"c{k + 2}[0].shape" for k, e in enumerate(op.idx_list) if e == ARRAY]
    shape = arrays[0] if len(arrays) == 1 else f"bshape({', '.join(arrays)})"
    region = f"(*{shape}, *x.shape[{len(op.idx_list)}:])"
    return _update(node, index_source(op.idx_list, indices, 2), region, in_cells, out_cells)


def index_thunk(node: Apply, in_cells: list[list], out_cells: list[list]) -> Thunk | None:
    """A generated thunk for an indexing node, or None for other ops."""
    op = node.op
    kind = type(op)
    if kind is Subtensor:  # the trailing Ellipsis keeps a 0-d result a view
        index = index_source(op.idx_list, node.inputs[1:], 1)
        return _build([f"o[0] = c0[0][{index}{', ' if index else ''}...]"], node, in_cells,
                      out_cells)
    if kind is AdvancedSubtensor1:
        return _build(["o[0] = c0[0][c1[0]]"], node, in_cells, out_cells)
    if kind is AdvancedSubtensor:
        index = index_source(op.idx_list, node.inputs[1:], 1)
        return _build([f"o[0] = asarray(c0[0][{index},])"], node, in_cells, out_cells)
    if kind is IncSubtensor:
        index = index_source(op.idx_list, node.inputs[2:], 2)
        # a value that only broadcasts goes to perform, which checks it against its type
        update = "view[...] = y" if op.set_instead_of_inc else "view += y"
        return _build(["x = c0[0]", "y = c1[0]",
                       "out = x" if op.inplace else "out = x.copy()",
                       f"view = out[{index}{', ' if index else ''}...]",
                       *_fits(node.inputs[1], "view.shape"),
                       update, "o[0] = out"], node, in_cells, out_cells)
    if kind is AdvancedIncSubtensor1:
        return _update(node, "c2[0]", "(len(c2[0]), *x.shape[1:])", in_cells, out_cells)
    if kind is AdvancedIncSubtensor:
        return _advanced_update(node, in_cells, out_cells)
    return None
