"""Kernel planning: which nodes of a graph become kernels, and which elementwise prologues fold
into the reduction that reads them. The C and CUDA linkers run the same plan; nothing here
renders or loads code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Variable
from ..ops.elemwise import DimShuffle, Elemwise
from ..ops.subtensor import Subtensor
from .kernel import Kernel, NotCompilable, lower_elemwise, lower_reduce, reduce_kind


def _fusable_prologue(node: Apply, kernels: dict[Apply, Kernel], fgraph: FunctionGraph
                      ) -> Apply | None:
    """The elementwise kernel node computing the reduction ``node``'s input, if the reduction
    can compute it instead: its only output, read by ``node`` alone (a graph output has the
    graph as a client too)."""
    x = node.inputs[0]
    pro = x.owner
    if (pro is not None and pro in kernels and len(pro.outputs) == 1
            and len(fgraph.clients.get(x, ())) == 1):
        return pro
    return None


def _is_view(var: Variable) -> bool:
    """Whether ``var`` is a slice or a transpose made in the graph (strided at run time)."""
    op = getattr(var.owner, "op", None)
    if isinstance(op, Subtensor):
        return True
    return isinstance(op, DimShuffle) and op.perm != tuple(sorted(op.perm))


def plan(fgraph: FunctionGraph, nodes: Sequence[Apply]
         ) -> tuple[dict[Apply, Kernel], dict[Apply, Apply]]:
    """Kernels for the nodes that have one, and the elementwise prologues fused into a
    reduction (prologue node -> reduction node).

    Parameters
    ----------
    fgraph : FunctionGraph
        The graph (its outputs are never fused away).
    nodes : sequence of Apply
        Its nodes in execution order.

    Returns
    -------
    kernels : dict
        Node -> ``Kernel`` named ``k0, k1, ...`` in ``nodes`` order (a fused prologue has
        none: its reduction's kernel computes it).
    absorbed : dict
        Fused prologue node -> the reduction node that computes it.

    >>> kernels, absorbed = plan(fgraph, fgraph.toposort())   # max(exp(m)): one kernel
    """
    kernels: dict[Apply, Kernel] = {}
    absorbed: dict[Apply, Apply] = {}
    prologue_inputs: dict[Apply, list[Variable]] = {}
    for node in nodes:
        name = f"k{len(kernels)}"
        try:
            if isinstance(node.op, Elemwise):
                kernels[node] = lower_elemwise(node, name)
                continue
            reduce_kind(node)
        except NotCompilable:
            continue
        pro = _fusable_prologue(node, kernels, fgraph)
        try:
            kernels[node] = lower_reduce(node, name, pro)
        except NotCompilable:
            continue
        if pro is not None:
            del kernels[pro]
            absorbed[pro] = node
            prologue_inputs[node] = list(pro.inputs)
    # names follow the final order, so the module text depends only on the graph
    renamed = {}
    for k, (node, kern) in enumerate(kernels.items()):
        reads = (prologue_inputs.get(node) or node.inputs)
        renamed[node] = dataclasses.replace(kern, name=f"k{k}",
                                            reads_views=any(map(_is_view, reads)))
    return renamed, absorbed
