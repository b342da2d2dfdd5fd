"""Python indexing to ops: ``getitem`` (what ``x[...]`` calls) and ``inc_subtensor`` /
``set_subtensor``. These build graph from the index only; the ops are in ``subtensor.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Variable
from ..core.op import Op
from ..core.types import is_int
from ..core.variable import TensorVariable, as_tensor_variable, constant, describe, int_scalar
from .elemwise import DimShuffle
from .shape import Shape, shape_i
from .subtensor import (
    ARRAY,
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
    Entry,
    IncSubtensor,
    SliceEntry,
    Subtensor,
    nonzero,
)

__all__ = ["getitem", "set_subtensor", "inc_subtensor"]


_NEWAXIS = "newaxis"


def _classify(entry: Any) -> tuple[str, Any]:
    """('newaxis'|'ellipsis'|'slice'|'int'|'array'|'mask', payload) for one index entry."""
    if entry is None:
        return _NEWAXIS, None
    if entry is Ellipsis:
        return "ellipsis", None
    if isinstance(entry, slice):
        return "slice", [None if p is None else int_scalar(p, "getitem", "a slice bound")
                         for p in (entry.start, entry.stop, entry.step)]
    if isinstance(entry, bool) or isinstance(entry, np.bool_):
        raise TypeError("getitem: a Python bool is not a valid index; use a boolean array")
    if isinstance(entry, (int, np.integer)):
        return "int", constant(int(entry), dtype="int64")
    symbolic = isinstance(entry, Variable) or (
        isinstance(entry, (list, tuple)) and any(isinstance(e, Variable) for e in entry))
    var = as_tensor_variable(entry if symbolic else np.asarray(entry))
    if isinstance(entry, (list, tuple)) and var.ndim == 1 and var.type.shape[0] == 0:
        var = constant(np.zeros(0, dtype="int64"))
    if var.dtype == "bool":
        if var.ndim == 0:
            raise TypeError("getitem: a 0-d boolean index is not supported")
        return "mask", var
    if not is_int(var.dtype):
        raise TypeError(f"getitem: index must be an integer, slice or boolean array, got "
                        f"{describe(var)}")
    return ("int", var) if var.ndim == 0 else ("array", var)


def _expand(x: TensorVariable, index: tuple) -> list[tuple[str, Any]]:
    """Classified entries with the Ellipsis expanded and masks turned into nonzero rows."""
    entries = [_classify(e) for e in index]
    if sum(kind == "ellipsis" for kind, _ in entries) > 1:
        raise IndexError("getitem: an index can only have a single ellipsis ('...')")
    used = sum(v.ndim if kind == "mask" else 1 for kind, v in entries
               if kind not in (_NEWAXIS, "ellipsis"))
    if used > x.ndim:
        raise IndexError(f"getitem: too many indices ({used}) for {describe(x)}")
    out: list[tuple[str, Any]] = []
    axis = 0
    for kind, value in entries:
        if kind == "ellipsis":
            out += [("slice", [None, None, None])] * (x.ndim - used)
            axis += x.ndim - used
        elif kind == "mask":
            for k, size in enumerate(value.type.shape):
                have = x.type.shape[axis + k]
                if size is not None and have is not None and size != have:
                    raise IndexError(f"getitem: boolean index {describe(value)} does not "
                                     f"match {describe(x)} at dimension {axis + k}")
            out += [("array", row) for row in nonzero(value)]
            axis += value.ndim
        else:
            out.append((kind, value))
            axis += kind != _NEWAXIS
    return out


def _entry_list(entries: list[tuple[str, Any]], advanced: bool
                ) -> tuple[tuple[Entry, ...], list[TensorVariable]]:
    idx_list: list[Entry] = []
    inputs: list[TensorVariable] = []
    for kind, value in entries:
        if kind == "slice":
            idx_list.append(SliceEntry(*[None if p is None else p.dtype for p in value]))
            inputs += [p for p in value if p is not None]
        else:
            idx_list.append(ARRAY if advanced else value.dtype)
            inputs.append(value)
    return tuple(idx_list), inputs


def _is_full(kind: str, value: Any) -> bool:
    return kind == "slice" and all(p is None for p in value)


def getitem(x: Any, index: Any) -> TensorVariable:
    """``x[index]`` with NumPy's semantics (what ``TensorVariable.__getitem__`` calls).

    >>> x = T.dmatrix('x'); x[1:, ::-1]      # basic: Subtensor (a view)
    >>> x[[0, 2]]; x[x > 0]                   # integer arrays and boolean masks: copies
    """
    x = as_tensor_variable(x)
    index = index if isinstance(index, tuple) else (index,)
    shape_of = x.owner.inputs[0] if x.owner is not None and isinstance(x.owner.op, Shape) \
        else None
    if shape_of is not None and len(index) == 1 and isinstance(index[0], (int, np.integer)):
        # x.shape[i] with a constant i: Shape_i (or a constant) rather than Subtensor(Shape)
        i = int(index[0])
        if not -shape_of.ndim <= i < shape_of.ndim:
            raise IndexError(f"getitem: index {i} is out of bounds for the shape of "
                             f"{describe(shape_of)}")
        return shape_i(shape_of, i % shape_of.ndim)
    entries = _expand(x, index)
    if any(kind == "array" for kind, _ in entries):
        return _advanced(x, entries)
    real = [(kind, v) for kind, v in entries if kind != _NEWAXIS]
    idx_list, inputs = _entry_list(real, advanced=False)
    out = Subtensor(idx_list)(x, *inputs)
    if len(real) == len(entries):
        return out
    # newaxis: insert broadcastable dimensions after slicing
    order: list[Any] = []
    dim = 0
    for kind, _ in entries:
        if kind == _NEWAXIS:
            order.append("x")
        elif kind == "slice":
            order.append(dim)
            dim += 1
    order += list(range(dim, out.ndim))
    return DimShuffle(out.broadcastable, order)(out)


def _advanced(x: TensorVariable, entries: list[tuple[str, Any]]) -> TensorVariable:
    if any(kind == _NEWAXIS for kind, _ in entries):
        raise IndexError("getitem: None/np.newaxis mixed with integer-array or boolean "
                         "indexing is not supported; use dimshuffle on the result")
    kind, first = entries[0]
    if kind == "array" and first.ndim == 1 and all(_is_full(k, v) for k, v in entries[1:]):
        return AdvancedSubtensor1()(x, first)
    idx_list, inputs = _entry_list(entries, advanced=True)
    return AdvancedSubtensor(idx_list)(x, *inputs)


# -- set_subtensor / inc_subtensor -------------------------------------------------------------
def inc_subtensor(x: Any, y: Any, inplace: bool = False, set_instead_of_inc: bool = False,
                  tolerate_inplace_aliasing: bool = False) -> TensorVariable:
    """The tensor that ``x`` indexes, with ``x`` incremented by ``y``.

    ``x`` must be the result of indexing (``a[idx]``); repeated integer indices accumulate.

    >>> a = T.dvector('a'); b = T.inc_subtensor(a[[0, 0, 2]], 1.0)  # b[0] = a[0] + 2
    """
    x = as_tensor_variable(x)
    node = x.owner
    op = node.op if node is not None else None
    if isinstance(op, Subtensor):
        inc: Op = IncSubtensor(op.idx_list, set_instead_of_inc=set_instead_of_inc)
        return inc(node.inputs[0], y, *node.inputs[1:])
    if isinstance(op, AdvancedSubtensor1):
        return AdvancedIncSubtensor1(set_instead_of_inc=set_instead_of_inc)(
            node.inputs[0], y, node.inputs[1])
    if isinstance(op, AdvancedSubtensor):
        inc = AdvancedIncSubtensor(op.idx_list, set_instead_of_inc=set_instead_of_inc)
        return inc(node.inputs[0], y, *node.inputs[1:])
    if isinstance(op, DimShuffle):  # x[None, idx] or x[idx].T: undo the shuffle on y
        return inc_subtensor(node.inputs[0], _unshuffle(op, x, y), inplace, set_instead_of_inc)
    kind = "not computed by an op" if op is None else f"computed by {op}"
    raise TypeError(f"inc_subtensor: the first argument must be an indexed tensor (a[idx]); "
                    f"{x} is {kind}")


def set_subtensor(x: Any, y: Any, inplace: bool = False,
                  tolerate_inplace_aliasing: bool = False) -> TensorVariable:
    """The tensor that ``x`` indexes, with ``x`` replaced by ``y``.

    >>> a = T.dmatrix('a'); b = T.set_subtensor(a[:, 0], 0.0)   # zero the first column
    """
    return inc_subtensor(x, y, inplace, set_instead_of_inc=True)


def _unshuffle(op: DimShuffle, shuffled: TensorVariable, y: Any) -> TensorVariable:
    """``y``, shaped like the DimShuffle's output, mapped back to the shape of its input."""
    y = as_tensor_variable(y)
    if y.ndim > shuffled.ndim:
        raise ValueError(f"inc_subtensor: value {describe(y)} has more dimensions than "
                         f"{describe(shuffled)}")
    if y.ndim < shuffled.ndim:
        y = DimShuffle(y.broadcastable, ["x"] * (shuffled.ndim - y.ndim)
                       + list(range(y.ndim)))(y)
    for i, o in enumerate(op.new_order):
        if o == "x" and not y.broadcastable[i]:
            raise ValueError(f"inc_subtensor: value {describe(y)} must have length 1 "
                             f"(broadcastable) in the inserted dimension {i}")
    order = [op.new_order.index(i) if i in op.new_order else "x"
             for i in range(len(op.input_broadcastable))]
    return DimShuffle(y.broadcastable, order)(y)
