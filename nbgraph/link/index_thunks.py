"""Indexing thunks for the C linker: ``Subtensor`` (a view), ``IncSubtensor`` and
``set_subtensor``, and integer-array reads, each one generated NumPy indexing statement with
constant indices written in (``x[:, 4:8, ...]``) instead of ``perform``'s index building.

Anything the statement refuses (an index out of bounds, a value that only broadcasts, another
type) goes to ``perform``, which raises the op's own errors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Constant, Variable
from ..ops.subtensor import (
    ARRAY,
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
    src = ["def make(cells, o, slow, asarray):", f"    {names}= cells", "    def thunk():",
           "        try:", *[f"            {line}" for line in lines],
           "            return", "        except (IndexError, TypeError, ValueError):",
           "            pass", "        slow()", "    return thunk"]
    scope: dict[str, Any] = {}
    exec_generated("\n".join(src) + "\n", scope, f"{type(node.op).__name__} thunk")
    return scope["make"](in_cells, out_cells[0], slow, np.asarray)


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
                       "if view.shape != y.shape and y.ndim:", "    raise ValueError",
                       update, "o[0] = out"], node, in_cells, out_cells)
    return None
