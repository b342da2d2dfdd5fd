"""Residuals: forward values the gradient loop reads, taken from the forward loop's stacks
instead of recomputed (JAX's scan transpose; Theano recomputed them).

``scan_grad`` builds the backward step from a clone of the forward step (the ``F`` nodes)
and the gradient nodes ``grad`` adds (the ``G`` nodes). Every ``F`` value a ``G`` node reads
is a residual: the forward loop stacks it as an extra mapped output (or already stacks it,
as an output) and the backward loop reads that stack, reversed, as a sequence, so no ``F``
node is left to run: the forward step's products (``x_t @ W``, ``h @ U``) and gates are
computed once. Not made residuals, so recomputed as before:

- values the same at every step (from non-sequences only): computed once outside anyway;
- views of the step's inputs (``x_t.T``): free to recompute, a copy to stack;
- values whose shape may change from step to step (a stack needs one shape).

A value read only for its shape (``zeros_like(pre)``, a slice's gradient) is a residual too:
a zeros stand-in built from the inputs' sizes would be a constant while tracing for JAX, which
then meets ``IncSubtensor`` as a NumPy array; the stack costs a copy a step (``pre``: no time
measured on the LSTM), and subtensor_join leaves the gradient step not reading it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...core.graph import Constant, Variable, clone_graph, toposort
from ...core.variable import TensorVariable, constant
from ..elemwise import CAReduce, DimShuffle, Elemwise
from ..linalg import Dot
from ..shape import Shape, Shape_i
from ..subtensor import Subtensor

Dims = tuple[TensorVariable | None, ...]


@dataclass
class Residuals:
    """What the backward step reads from the forward loop: ``values[k]`` (a backward clone)
    stands for the forward inner value ``forward[k]``."""

    values: list[TensorVariable]
    forward: list[TensorVariable]


def _dims(var: Any) -> Dims:
    return tuple(constant(s, dtype="int64") if s is not None else Shape_i(k)(var)
                 for k, s in enumerate(var.type.shape))


# ops whose output shape comes from their inputs' shapes alone (an unknown size stays unknown)
_SHAPE_FROM_SHAPES = (Elemwise, DimShuffle, CAReduce, Dot)


def step_shape(var: Variable, inputs: set[Variable], memo: dict[Variable, Dims | None],
               invariant: frozenset[Variable] = frozenset()) -> Dims | None:
    """``var``'s shape from the sizes of the step's ``inputs``, the values of those among
    them the same at every step (``invariant``: non-sequences) and constants alone (the
    ops' ``infer_shape``), so the same at every step: a size it cannot tell is None in the
    tuple; None where a varying value (an index, a computed size) may decide the shape."""
    if var in memo:
        return memo[var]
    node = var.owner
    result: Dims | None = None
    if node is None:
        result = _dims(var) if var in inputs or isinstance(var, Constant) else None
    else:
        infer = getattr(node.op, "infer_shape", None)
        shapes = [step_shape(v, inputs, memo, invariant) for v in node.inputs]
        if infer is not None and all(s is not None for s in shapes):
            try:
                entries = infer(node, shapes)[var.index]
            except (NotImplementedError, TypeError, ValueError, IndexError):
                entries = None
            result = _sizes(entries, invariant)
            pure = isinstance(node.op, _SHAPE_FROM_SHAPES) or (isinstance(node.op, Subtensor)
                                                               and all(_from_sizes(i, invariant)
                                                                       for i in node.inputs[1:]))
            if result is None and entries is not None and pure:
                result = tuple(_size(d, invariant) for d in entries)
    memo[var] = result
    return result


def _size(dim: object, invariant: frozenset[Variable]) -> TensorVariable | None:
    """An ``infer_shape`` entry as an int64 scalar the same at every step; None otherwise."""
    if isinstance(dim, (int, np.integer)):
        dim = constant(int(dim), dtype="int64")
    if isinstance(dim, TensorVariable) and dim.ndim == 0 and dim.dtype == "int64" \
            and _from_sizes(dim, invariant):
        return dim
    return None


def _sizes(entries: Sequence[object] | None, invariant: frozenset[Variable]) -> Dims | None:
    dims = None if entries is None else [_size(d, invariant) for d in entries]
    return None if dims is None or any(d is None for d in dims) else tuple(dims)


def _from_sizes(var: Variable, invariant: frozenset[Variable]) -> bool:
    """``var`` is computed from constants, ``invariant`` inputs and the sizes of graph
    inputs alone."""
    todo, seen = [var], set()
    while todo:
        var = todo.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        node = var.owner
        if node is None:
            if not isinstance(var, Constant) and var not in invariant:
                return False
        elif not (isinstance(node.op, (Shape, Shape_i)) and node.inputs[0].owner is None):
            todo.extend(node.inputs)
    return True


def _view_of_inputs(var: Variable, inputs: set[Variable]) -> bool:
    """``var`` is an inner input, or views of one (DimShuffle, constant Subtensor)."""
    while var not in inputs:
        node = var.owner
        if node is None or not isinstance(node.op, (DimShuffle, Subtensor)) \
                or any(not isinstance(i, Constant) for i in node.inputs[1:]):
            return False
        var = node.inputs[0]
    return True


def find_residuals(memo: dict[Variable, TensorVariable], forward_inputs: list[TensorVariable],
                   varying_inputs: list[TensorVariable], backward_inputs: list[TensorVariable],
                   invariant: list[TensorVariable], outputs: list[TensorVariable]
                   ) -> Residuals:
    """The residuals of the backward step computing ``outputs``: ``memo`` maps the forward
    step's Variables to their backward clones (``backward_inputs`` stand for
    ``forward_inputs``); values depending on none of ``varying_inputs`` (the sequence and
    recurrence taps) are left to be recomputed; ``invariant`` backward inputs are the same
    at every step (non-sequences)."""
    f_inputs: set[Variable] = set(forward_inputs)
    forward_of: dict[Variable, Any] = {new: old for old, new in memo.items()
                                       if new is not old and old not in f_inputs}
    varying: set[Variable] = set(varying_inputs)
    for node in toposort([v for v in memo if v not in f_inputs]):
        if any(v in varying for v in node.inputs):
            varying.update(node.outputs)
    b_inputs: set[Variable] = set(backward_inputs)
    read: dict[TensorVariable, None] = {}
    for node in toposort(outputs):
        if any(o in forward_of for o in node.outputs):
            continue   # an F node
        read.update((v, None) for v in node.inputs
                    if v in forward_of and forward_of[v] in varying
                    and not _view_of_inputs(v, b_inputs))
    read.update((v, None) for v in outputs if v in forward_of and forward_of[v] in varying)
    shapes: dict[Variable, Dims | None] = {}
    same = frozenset(invariant)
    values = [v for v in read if step_shape(v, b_inputs, shapes, same) is not None]
    return Residuals(values, [forward_of[v] for v in values])


def read_residuals(outputs: list[TensorVariable], res: Residuals,
                   steps: list[TensorVariable]) -> list[TensorVariable]:
    """``outputs`` rebuilt reading ``steps[k]`` (a backward input) for ``res.values[k]``."""
    memo = clone_graph(outputs, replace=dict(zip(res.values, steps, strict=True)),
                       share_unchanged=True)
    return [memo.get(v, v) for v in outputs]
