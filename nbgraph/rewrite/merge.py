"""merge: common subexpressions become one node, equal constants one constant (made visible
as a traced pass, never hidden hash-consing; STYLE B3)."""

from __future__ import annotations

from collections.abc import Iterator

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorConstant, TensorVariable
from .engine import RuleSet, graph_rule, node_rule


def _constant_key(var: TensorConstant) -> tuple:
    return (type(var), var.signature())


@graph_rule("merge_constants")
def merge_constants(fgraph: FunctionGraph) -> Iterator[tuple[TensorVariable, TensorVariable]]:
    """Constants with equal type and bytes -> the first one met."""
    first: dict[tuple, TensorConstant] = {}
    for var in list(fgraph.variables):
        if not isinstance(var, TensorConstant) or var not in fgraph.variables:
            continue
        key = _constant_key(var)
        keep = first.setdefault(key, var)
        if keep is not var:
            yield var, keep


def _same_node(a: Apply, b: Apply) -> bool:
    return a.op == b.op and len(a.inputs) == len(b.inputs) and all(
        u is v for u, v in zip(a.inputs, b.inputs, strict=True))


@node_rule("merge_nodes")
def merge_nodes(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """Two nodes with equal ops on the same inputs -> the older one (smaller uid) survives."""
    if getattr(node.op, "destroy_map", None) or not node.inputs:
        return None  # nullary nodes (random draws) are independent, never merged
    for other, _ in fgraph.clients[node.inputs[0]]:
        if isinstance(other, Apply) and other is not node and other.uid < node.uid \
                and _same_node(node, other):
            return list(other.outputs)
    return None


MERGE = RuleSet("merge", (merge_constants, merge_nodes))
