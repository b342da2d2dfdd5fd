"""dce: nodes no output depends on are removed and reported."""

from __future__ import annotations

import nbgraph.tensor as T
from nbgraph.core.fgraph import FunctionGraph
from nbgraph.rewrite.pipeline import PIPELINE


def test_remove_dead_sweeps_unreachable_nodes():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(x) + 1])
    (add,) = [n for n in fgraph.toposort() if "add" in str(n.op)]
    fgraph.outputs[0] = add.inputs[0]  # bypass replace(): the add node is now dead
    trace = PIPELINE.only("dce").apply(fgraph)
    (event,) = trace.events()
    assert event.rule == "dce/remove_dead" and add.uid in event.removed
    assert add not in fgraph.apply_nodes


def test_replace_prunes_eagerly():
    x = T.dvector("x")
    fgraph = FunctionGraph([x], [T.exp(T.sin(x))])
    sin = fgraph.outputs[0].owner.inputs[0]
    fgraph.replace(fgraph.outputs[0], x, reason="test")
    assert fgraph.apply_nodes == {} and sin not in fgraph.variables
    assert PIPELINE.only("dce").apply(fgraph).events() == ()
