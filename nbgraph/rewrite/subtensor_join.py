"""subtensor_join: a tensor of zeros filled slice by slice, rebuilt as one ``Join``.

The gradient of ``pre[:, :n]``, ``pre[:, n:2n]``, ... (the LSTM's gates) is a sum of
``inc_subtensor(zeros, g_k, slice_k)``: every step of the gradient loop fills a fresh
``zeros(B, 4n)`` four times. When the slices are constant, lie along one axis, do not
overlap and tile it from 0 to the end, the result is exactly ``join(axis, g_1, ..., g_k)``
(in slice order), one op instead of an Alloc and k copies, and the elementwise work that
computes the ``g_k`` can fuse across it. Anything else (a slice left uncovered, an overlap,
a base that is not zeros, a value that would broadcast) stays as it is.
"""

from __future__ import annotations

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorVariable
from ..ops.elemwise import Elemwise
from ..ops.join import join
from ..ops.subtensor import IncSubtensor, SliceEntry, _split_parts
from .engine import RuleSet, node_rule
from .pattern import constant_value, is_constant_value

Piece = tuple[int, int | None, TensorVariable]   # (start, stop or None: to the end, value)


def _slice_of(node: Apply) -> tuple[int, int, int | None] | None:
    """(axis, start, stop) when ``node`` updates ``x[..., start:stop, ...]`` with constant
    non-negative bounds, step 1 and every other axis whole; else None."""
    op = node.op
    found = None
    grouped = _split_parts(op.idx_list, list(node.inputs[2:]))
    for axis, (entry, parts) in enumerate(zip(op.idx_list, grouped, strict=True)):
        if not isinstance(entry, SliceEntry):
            return None
        assert isinstance(parts, list)
        if all(p is None for p in parts):
            continue
        start, stop, step = [None if p is None else constant_value(p) for p in parts]
        if found is not None or (step is not None and int(step) != 1) \
                or any(p is not None and v is None for p, v in zip(parts, (start, stop, step),
                                                                  strict=True)) \
                or any(v is not None and (v.ndim or int(v) < 0) for v in (start, stop)):
            return None
        found = (axis, 0 if start is None else int(start), None if stop is None else int(stop))
    return found


def _pieces(var: TensorVariable, axis: list[int]) -> list[Piece] | None:
    """The slices of zeros that ``var`` fills, with their values, when ``var`` is zeros
    updated slice by slice along one axis (``axis`` holds it once known); else None."""
    pieces: list[Piece] = []
    while True:
        if is_constant_value(var, 0):
            return pieces
        node = var.owner
        if node is None or type(node.op) is not IncSubtensor or node.op.inplace:
            return None
        where = _slice_of(node)
        value = node.inputs[1]
        x = node.inputs[0]
        # the value must be the region itself: no broadcasting, no cast (a length-1 value
        # along a length-1 axis could also be broadcast into an empty slice of it)
        if where is None or value.type.broadcastable != x.type.broadcastable \
                or x.type.broadcastable[where[0]] \
                or value.dtype != x.dtype or (axis and axis[0] != where[0]):
            return None
        axis[:] = [where[0]]
        pieces.append((where[1], where[2], value))
        var = x


def _tiled(pieces: list[Piece]) -> list[TensorVariable] | None:
    """The values in axis order when the slices cover the axis once from 0 to the end."""
    ordered = sorted(pieces, key=lambda p: (p[0], p[1] is None, p[1] or 0))
    at: int | None = 0
    for start, stop, _ in ordered:
        if at is None or start != at or (stop is not None and stop <= start):
            return None
        at = stop
    return [v for _, _, v in ordered] if at is None else None


@node_rule("zeros_slices_to_join", tracks=(IncSubtensor, "Elemwise:add"))
def zeros_slices_to_join(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """inc_subtensor(inc_subtensor(zeros, a, [:, :n]), b, [:, n:]) and
    inc_subtensor(zeros, a, [:, :n]) + inc_subtensor(zeros, b, [:, n:]) -> join(1, a, b)
    when the constant slices tile the axis without overlapping."""
    out = node.outputs[0]
    axis: list[int] = []
    if isinstance(node.op, Elemwise):
        if node.op.inplace_pattern:
            return None
        pieces: list[Piece] = []
        for term in node.inputs:
            found = _pieces(term, axis) if term.type == out.type else None
            if found is None:
                return None
            pieces += found
    else:
        found = _pieces(out, axis)
        if found is None:
            return None
        pieces = found
    values = _tiled(pieces) if len(pieces) > 1 else None
    if values is None:
        return None
    joined = join(axis[0], *values).owner
    assert joined is not None
    # keep the old output type: the pieces' static shapes may say more than it did, and a
    # replacement may not be more specific than the value it stands for (core/fgraph.py)
    return [Apply(joined.op, joined.inputs, [out.type.make_variable()]).outputs[0]]


SUBTENSOR_JOIN = RuleSet("subtensor_join", (zeros_slices_to_join,))
