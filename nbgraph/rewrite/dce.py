"""dce: dead-code removal. FunctionGraph prunes on every replace, so this pass sweeps what is
left unreachable from the outputs (nodes kept by a listener-free change) and reports it."""

from __future__ import annotations

from ..core.fgraph import FunctionGraph
from ..core.variable import TensorVariable
from .engine import RuleSet, graph_rule


@graph_rule("remove_dead")
def remove_dead(fgraph: FunctionGraph) -> list[tuple[TensorVariable, TensorVariable]]:
    """Nodes no output depends on -> gone (traced as dce/remove_dead)."""
    fgraph.remove_unreachable(reason="dce/remove_dead")
    return []


DCE = RuleSet("dce", (remove_dead,))
