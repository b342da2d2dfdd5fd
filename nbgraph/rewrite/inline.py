"""Inlining ``OpFromGraph(..., inline=True)``: the node becomes a copy of its inner graph over
the node's inputs, so the other rewrites (and fusion) see through it, as in Theano."""

from __future__ import annotations

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorVariable
from ..ops.opfromgraph import OpFromGraph
from .engine import node_rule


@node_rule("inline_opfromgraph", tracks=(OpFromGraph,))
def inline_opfromgraph(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """OpFromGraph{inline}(a, b) -> its outputs, computed from a and b."""
    op = node.op
    if not op.inline:
        return None
    return op.expand(node.inputs)
