"""constant_fold: a node whose inputs are all constants becomes the constant it computes.

Only small results are folded (a big constant bloats the graph and the trace), and never
ops that destroy inputs or draw random numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorConstant, TensorVariable
from .engine import RuleSet, node_rule

MAX_FOLD_SIZE = 100_000  # elements; larger results stay computed at run time


def _make_constant(var: TensorVariable, value: Any) -> TensorVariable:
    data = np.asarray(value)
    if data.dtype != var.type.dtype:
        data = data.astype(var.type.dtype)
    return TensorConstant(var.type, data)


@node_rule("fold_constants")
def fold_constants(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """op(c1, c2, ...) -> the constant value (computed by the op's NumPy ``perform``)."""
    op = node.op
    constants = [v for v in node.inputs if isinstance(v, TensorConstant)]
    if len(constants) != len(node.inputs) or not constants:
        return None
    if getattr(op, "destroy_map", None) or getattr(op, "no_fold", False):
        return None
    if any(not hasattr(v.type, "dtype") for v in node.outputs):
        return None
    storage: list[list[Any]] = [[None] for _ in node.outputs]
    try:
        with np.errstate(all="ignore"):
            op.perform(node, [np.array(v.data, copy=True) for v in constants], storage)
    except Exception:  # an error here must surface at run time with the node, not now
        return None
    values = [np.asarray(cell[0]) for cell in storage]
    if any(v.size > MAX_FOLD_SIZE for v in values):
        return None
    for var, value in zip(node.outputs, values, strict=True):
        if any(s is not None and s != n for s, n in zip(var.type.shape, value.shape,
                                                        strict=False)) \
                or value.ndim != var.type.ndim:
            return None
    return [_make_constant(var, value) for var, value in zip(node.outputs, values, strict=True)]


FOLD = RuleSet("constant_fold", (fold_constants,))
