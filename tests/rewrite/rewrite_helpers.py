"""Helpers for rule tests (STYLE B10): op names after a rewrite, rules fired, references."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode


def op_names(fgraph: Any) -> list[str]:
    """Short op names in topological order: a table row's name, 'Composite', or str(op)."""
    names = []
    for node in fgraph.toposort():
        scalar = getattr(node.op, "scalar_op", None)
        if type(node.op).__name__ == "Elemwise":
            names.append("Composite" if str(scalar).startswith("Composite") else str(scalar))
        else:
            names.append(str(node.op))
    return names


def rules_fired(fn: Any) -> list[str]:
    return [e.rule for e in fn.trace.events()]


def reference(inputs: Sequence[Any], output: Any, values: Sequence[Any]) -> Any:
    """The graph's value with no rewrites: each op's NumPy perform, in float64."""
    return function(list(inputs), output, mode=Mode(optimizer=None))(*values)
