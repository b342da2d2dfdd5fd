"""inplace: let an Elemwise write its result into an input buffer nobody needs afterwards.

Never a graph input, a shared variable's value, a constant, a graph output, or a value (or a
view of one) that anything else reads. ``check_destroyers`` re-checks the finished graph.
"""

from __future__ import annotations

from ...core.elemwise import Elemwise
from ...core.graph import Apply, Constant, Variable
from ..fgraph import OUTPUT, FunctionGraph
from .engine import RuleSet, node_rule


class InplaceError(AssertionError):
    """A node destroys a value that is protected or still read elsewhere."""


def _sources(node: Apply, index: int) -> list[int]:
    views = dict(getattr(node.op, "view_map", {}) or {})
    views.update(getattr(node.op, "destroy_map", {}) or {})
    return list(views.get(index, []))


def why_not_destroyable(fgraph: FunctionGraph, var: Variable, reader: Apply) -> str | None:
    """None if ``reader`` may overwrite ``var``'s buffer; else the reason it may not."""
    inputs = {id(v) for v in fgraph.inputs}
    while True:
        if id(var) in inputs:
            return f"{var} is a graph input (or a shared variable's value)"
        if isinstance(var, Constant):
            return f"{var} is a constant"
        clients = fgraph.clients.get(var, [])
        if any(c == OUTPUT for c, _ in clients):
            return f"{var} is a graph output"
        if [c for c, _ in clients] != [reader]:
            return f"{var} is read by {len(clients)} nodes"
        owner = var.owner
        if owner is None:
            return f"{var} has no owner"
        sources = _sources(owner, var.index)
        if not sources:
            return None
        reader, var = owner, owner.inputs[sources[0]]  # a view: its base must be free too


@node_rule("elemwise_inplace", tracks=(Elemwise,))
def elemwise_inplace(fgraph: FunctionGraph, node: Apply) -> list[Variable] | None:
    """Elemwise{op,no_inplace}(a, b) -> Elemwise{op,inplace}(a, b), output in a's buffer."""
    op = node.op
    if op.inplace_pattern or len(node.outputs) != 1:
        return None
    out = node.outputs[0]
    for i, var in enumerate(node.inputs):
        if var.type != out.type or node.inputs.count(var) > 1:
            continue
        if why_not_destroyable(fgraph, var, node) is None:
            return [Elemwise(op.scalar_op, {0: i})(*node.inputs)]
    return None


def check_destroyers(fgraph: FunctionGraph) -> None:
    """Raise InplaceError if some node overwrites a protected or still-needed value."""
    for node in fgraph.apply_nodes:
        for out_index, sources in (getattr(node.op, "destroy_map", {}) or {}).items():
            for i in sources:
                reason = why_not_destroyable(fgraph, node.inputs[i], node)
                if reason is not None:
                    raise InplaceError(f"{node.op} at node {node.uid} overwrites input {i} "
                                       f"({node.inputs[i]}) for output {out_index}, but "
                                       f"{reason}")


INPLACE = RuleSet("inplace", (elemwise_inplace,))
