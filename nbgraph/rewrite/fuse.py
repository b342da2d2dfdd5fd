"""fuse_elemwise: a connected elementwise subgraph -> one ``Elemwise{Composite{...}}`` node.

A producer joins its reader's group only if every reader of its output is in the group, so
no value is computed twice and no intermediate has to leave the fused loop. One-element
constants are inlined into the expression; n-ary add/mul become chains of binary steps.
"""

from __future__ import annotations

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Constant, next_uid
from ..core.variable import TensorVariable
from ..ops.composite import Composite, Step
from ..ops.elemwise import DimShuffle, Elemwise
from ..ops.scalar import ScalarSpec
from .engine import RuleSet, node_rule
from .pattern import constant_value


def _fusable(node: Apply | None) -> bool:
    return (node is not None and isinstance(node.op, Elemwise)
            and isinstance(node.op.scalar_op, ScalarSpec) and not node.op.inplace_pattern
            and len(node.outputs) == 1)


def _group(fgraph: FunctionGraph, root: Apply) -> list[Apply]:
    """The root and every producer whose readers are all already in the group."""
    members: dict[Apply, None] = {root: None}
    grew = True
    while grew:
        grew = False
        for node in list(members):
            for var in node.inputs:
                producer = var.owner
                if producer in members or not _fusable(producer):
                    continue
                readers = fgraph.clients.get(var, [])
                if readers and all(r in members for r, _ in readers):
                    members[producer] = None  # type: ignore[index]
                    grew = True
    return list(members)


def _inlinable(var: TensorVariable) -> bool:
    """A one-element Constant (or a DimShuffle of one) becomes part of the formula.

    A fill or Alloc of a number is not inlined: it carries a run-time shape the Composite
    would lose, so it stays a group input.
    """
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    return isinstance(var, Constant) and np.asarray(var.data).size == 1


def _ordered(group: list[Apply]) -> list[Apply]:
    """The group in dependency order (producers before readers)."""
    inside = set(group)
    order: list[Apply] = []
    done: set[Apply] = set()

    def visit(node: Apply) -> None:
        stack = [(node, iter(node.inputs))]
        while stack:
            current, inputs = stack[-1]
            for var in inputs:
                if var.owner in inside and var.owner not in done:
                    stack.append((var.owner, iter(var.owner.inputs)))
                    break
            else:
                stack.pop()
                if current not in done:
                    done.add(current)
                    order.append(current)

    for node in group:
        visit(node)
    return order


def build_composite(group: list[Apply], root: Apply) -> tuple[Composite, list[TensorVariable]]:
    """The Composite computing ``root``'s output from the group's outside inputs."""
    order = _ordered(group)
    made = {node.outputs[0]: node for node in order}
    inputs: list[TensorVariable] = []
    stack, expanded = [root.outputs[0]], set()
    while stack:  # outside inputs numbered depth-first from the root, left to right
        var = stack.pop()
        if var in made:
            if var not in expanded:
                expanded.add(var)
                stack.extend(reversed(made[var].inputs))
        elif not _inlinable(var) and var not in inputs:
            inputs.append(var)
    refs: dict[TensorVariable, int] = {var: k for k, var in enumerate(inputs)}
    steps: list[Step] = []
    nin = len(inputs)

    def ref_of(var: TensorVariable) -> int:
        if var not in refs:  # an inlined scalar constant
            value = constant_value(var).reshape(-1)[0].item()  # type: ignore[union-attr]
            steps.append(Step(None, (), var.type.dtype, var.uid, value))
            refs[var] = nin + len(steps) - 1
        return refs[var]

    for node in order:
        spec = node.op.scalar_op
        args = [ref_of(v) for v in node.inputs]
        dtype = node.outputs[0].dtype
        while len(args) > 2 and spec.nin == 2:  # n-ary add/mul: a chain of binary steps
            steps.append(Step(spec, (args[0], args[1]), dtype, next_uid()))
            args = [nin + len(steps) - 1, *args[2:]]
        steps.append(Step(spec, tuple(args), dtype, node.uid))
        refs[node.outputs[0]] = nin + len(steps) - 1
    composite = Composite(nin, tuple(v.type.dtype for v in inputs), tuple(steps),
                          (refs[root.outputs[0]],))
    return composite, inputs


@node_rule("fuse_elemwise", tracks=(Elemwise,))
def fuse_elemwise(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """A connected elementwise subgraph ending at ``node`` -> one Elemwise{Composite} node."""
    if not _fusable(node):
        return None
    group = _group(fgraph, node)
    if len(group) < 2:
        return None
    composite, inputs = build_composite(group, node)
    if not inputs:
        return None  # all constants: constant folding's job
    return [Elemwise(composite)(*inputs)]


FUSE = RuleSet("fuse_elemwise", (fuse_elemwise,))
