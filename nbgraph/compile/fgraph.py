"""FunctionGraph: the mutable graph that rewrites work on (minimal; rewrites extend it)."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.graph import Apply, Variable, clone_graph, toposort


class FunctionGraph:
    """A copy of the graph from ``inputs`` to ``outputs`` that rewrites may change."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 clone: bool = True):
        if clone:
            memo = clone_graph(outputs, keep_inputs=True)
            outputs = [memo[o] for o in outputs]
        self.inputs = list(inputs)
        self.outputs = list(outputs)

    def toposort(self) -> list[Apply]:
        return toposort(self.outputs)
