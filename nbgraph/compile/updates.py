"""Update pairs of ``function``: completing them with default updates and checking them.

An update target must be a shared variable, updated once, with a value of its own dtype and
rank; random streams bring their ``default_update`` unless the user gave one.
"""

from __future__ import annotations

from typing import Any

from ..core.graph import graph_inputs
from ..core.shared import SharedVariable
from ..core.variable import TensorVariable, as_tensor_variable


def add_default_updates(pairs: list[tuple[Any, Any]], outputs: list[TensorVariable]) -> None:
    """Shared variables with a ``default_update`` (random-stream states) get it, unless an
    explicit update is given; new update graphs may bring more such variables."""
    targets = {id(t) for t, _ in pairs}
    frontier = outputs + [as_tensor_variable(v) for _, v in pairs]
    while frontier:
        found = []
        for var in graph_inputs(frontier):
            update = getattr(var, "default_update", None)
            if update is not None and id(var) not in targets:
                targets.add(id(var))
                pairs.append((var, update))
                found.append(update)
        frontier = found


def check_targets(pairs: list[tuple[Any, Any]]) -> None:
    """``updates=`` targets are shared variables: any other Variable would silently become
    a hidden input (``In(x, value=..., update=...)`` updates an explicit input)."""
    for target, _ in pairs:
        if not isinstance(target, SharedVariable):
            raise TypeError(f"updates: {target} ({type(target).__name__}) is not a shared "
                            f"variable; only shared variables take updates (an input keeps "
                            f"state with In(x, value=..., update=...))")


def check_updates(pairs: list[tuple[Any, Any]]) -> None:
    seen = set()
    for target, value in pairs:
        if id(target) in seen:
            raise ValueError(f"updates: {target} is updated twice")
        seen.add(id(target))
        value = as_tensor_variable(value)
        if value.dtype != target.type.dtype or value.ndim != target.ndim:
            raise TypeError(f"updates: the update of {target} ({target.type.short()}) has "
                            f"type {value.type.short()}; an update must keep the shared "
                            f"variable's dtype and rank (cast it with .astype("
                            f"{target.type.dtype!r}))")
