"""Theano's test values: with ``config.compute_test_value`` other than ``'off'``, each node is
run on its inputs' ``tag.test_value`` as the graph is built, so a shape error is raised at the
line that builds the bad node, and every variable gets its ``tag.test_value``.

``'raise'``: an input without a test value is an error; ``'warn'``: it warns and skips the
node; ``'ignore'``: it skips silently. Constants and shared variables bring their values.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..config import config
from .graph import Apply, Constant, Variable

__all__ = ["compute_test_values", "get_test_value", "MISSING", "MODES"]

MODES = ("off", "ignore", "warn", "raise")
MISSING = object()


def get_test_value(var: Variable) -> Any:
    """``var``'s test value (a constant's data, a shared variable's value), or MISSING."""
    if isinstance(var, Constant):
        return var.data
    get_value = getattr(var, "get_value", None)
    if callable(get_value):
        return get_value(borrow=True, return_internal_type=True)
    value = getattr(var.tag, "test_value", MISSING)
    if value is MISSING:
        return value
    return np.asarray(value, dtype=getattr(var.type, "dtype", None))


def compute_test_values(node: Apply) -> None:
    """Run ``node`` on its inputs' test values and store its outputs' (see module doc)."""
    mode = config.compute_test_value
    if mode == "off":
        return
    if mode not in MODES:
        raise ValueError(f"config.compute_test_value is {mode!r}; choose one of {MODES}")
    values = []
    for k, var in enumerate(node.inputs):
        value = get_test_value(var)
        if value is MISSING:
            message = (f"Cannot compute test value: input {k} ({var}) of Op {node.op} missing "
                       f"default value (set {var}.tag.test_value)")
            if mode == "raise":
                raise ValueError(message)
            if mode == "warn":
                warnings.warn(message, stacklevel=4)
            return
        values.append(value)
    # an op that overwrites an input must not overwrite the test value it was given
    destroyed = {i for ins in getattr(node.op, "destroy_map", {}).values() for i in ins}
    in_cells = [[np.array(v, copy=True) if k in destroyed else v]
                for k, v in enumerate(values)]
    out_cells: list[list[Any]] = [[None] for _ in node.outputs]
    node.op.make_thunk(node, in_cells, out_cells)()
    for out, cell in zip(node.outputs, out_cells, strict=True):
        out.tag.test_value = cell[0]
