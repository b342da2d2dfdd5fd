"""merge: common subexpressions become one node, equal constants one constant (made visible
as a traced pass, never hidden hash-consing; STYLE B3).

``merge_sub_loops`` is the same idea for loops: a Scan that is another's with fewer mapped
outputs (the forward loop, and the same loop with the residuals its gradient reads added:
``ops/scan/residuals.py``) reads that one's outputs, so the loop runs once. It is here, not
in scan_pushout, so that every mode that merges (FAST_COMPILE too) runs the loop once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorConstant, TensorVariable
from ..ops.scan.op import Scan
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


def _sub_loop(small: Apply, big: Apply) -> list[TensorVariable] | None:
    """``big``'s outputs standing for ``small``'s when ``small`` runs the same loop with some
    of its mapped outputs: the same inner graph (its inputs and recurrences the same
    Variables), the same outer inputs, the same structure but for the mapped outputs."""
    a, b = small.op, big.op
    if a is b or a.mode is not b.mode or len(a.inner_inputs) != len(b.inner_inputs) \
            or any(x is not y for x, y in zip(a.inner_inputs, b.inner_inputs, strict=True)) \
            or dataclasses.replace(a.info, n_nitsot=0) != dataclasses.replace(b.info, n_nitsot=0):
        return None
    n_recs, until = a.info.n_recs, a.info.until
    mapped_b = b.inner_outputs[n_recs:]
    found = []
    for k, out in enumerate(a.inner_outputs):
        if k < n_recs:
            at = k if b.inner_outputs[k] is out else None
        elif until and k == len(a.inner_outputs) - 1:   # the stop conditions, both last
            at = len(b.inner_outputs) - 1 if b.inner_outputs[-1] is out else None
        else:
            at = next((n_recs + m for m, o in enumerate(mapped_b) if o is out), None)
        if at is None:
            return None
        found.append(big.outputs[at])
    return found


@graph_rule("merge_sub_loops")
def merge_sub_loops(fgraph: FunctionGraph) -> list[tuple[TensorVariable, TensorVariable]]:
    """loop(outputs A) and loop(outputs A + B) on the same inputs -> the second alone (the
    gradient's loop with residual outputs, next to the forward loop it extends)."""
    if not any(isinstance(n.op, Scan) for n in fgraph.apply_nodes):
        return []   # the common case: no toposort for graphs without loops
    loops: dict[tuple[int, ...], list[Apply]] = {}
    for node in fgraph.toposort():
        if isinstance(node.op, Scan):
            loops.setdefault(tuple(id(v) for v in node.inputs), []).append(node)
    pairs: list[tuple[TensorVariable, TensorVariable]] = []
    for nodes in loops.values():
        nodes.sort(key=lambda n: -len(n.outputs))
        merged: set[Apply] = set()
        for k, small in enumerate(nodes):
            for big in nodes[:k]:
                found = None if big in merged else _sub_loop(small, big)
                if found is not None:
                    pairs += [(o, n) for o, n in zip(small.outputs, found, strict=True)
                              if o in fgraph.variables]
                    merged.add(small)
                    break
    return pairs


MERGE = RuleSet("merge", (merge_constants, merge_nodes, merge_sub_loops))
