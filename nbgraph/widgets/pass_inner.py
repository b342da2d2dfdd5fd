"""Which nodes the Passes view opens as inner graphs, in every pass.

The compiled graph's scans, ifelses and OpFromGraphs are at hand; one that a rewrite removed
before the end (an inlined OpFromGraph, a scan merged away) exists only in the trace's
records, which keep no ops. For those the compile is replayed once
(``replay.inner_graph_nodes``), the first time a drawn pass shows one. Each node is handed to
``inner.expand_inner`` as the drawn record names it: its uid and its inputs' uids in that
pass (a rewrite may have re-pointed its inputs since).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..compile.replay import inner_graph_nodes
from ..core.graph import Apply
from ..core.inner_graph import InnerGraphOp
from ..core.printing import inner_graphs
from ..core.records import NodeRecord, Snapshot, record_uid
from ..core.variable import TensorVariable


def _kinds(cls: type[Any] = InnerGraphOp) -> set[str]:
    """Class names of every op with inner graphs (they print as ``Kind{name}``)."""
    found = {cls.__name__}
    for sub in cls.__subclasses__():
        found |= _kinds(sub)
    return found


def stand_in(node: Apply, rec: NodeRecord) -> Apply:
    """``node`` itself if it is what ``rec`` names, else its op applied to ownerless inputs
    named by ``rec``'s input uids, under ``rec``'s uid: what ``expand_inner`` reads to wire
    the inner graph into that drawing. (Only then: a stand-in takes uids from the counter.)"""
    same = node.uid == rec.uid and tuple(record_uid(v) for v in node.inputs) == rec.inputs
    if same or len(node.inputs) != len(rec.inputs):
        return node
    inputs = []
    for var, uid in zip(node.inputs, rec.inputs, strict=True):
        outer = TensorVariable(var.type, name=var.name)
        outer.uid = uid
        inputs.append(outer)
    copy = Apply(node.op, inputs, [TensorVariable(out.type) for out in node.outputs])
    copy.uid = rec.uid
    return copy


class InnerNodes:
    """The nodes with inner graphs that a drawn snapshot holds (``for_snapshot``): from the
    compiled graph's ``nodes`` and, once one is missing, from a replay of ``fn``."""

    def __init__(self, nodes: Sequence[Apply] = (), fn: Any = None):
        self.known = {node.uid: node for node in nodes if inner_graphs(node)}
        self.fn = fn
        self.replayed = fn is None

    def _missing(self, snap: Snapshot) -> bool:
        kinds = _kinds()
        return any(rec.inputs and rec.label.split("{")[0] in kinds
                   and rec.uid not in self.known for rec in snap.nodes)

    def for_snapshot(self, snap: Snapshot) -> list[Apply]:
        if not self.replayed and self._missing(snap):
            self.replayed = True     # one replay, whatever it finds
            try:
                self.known = inner_graph_nodes(self.fn) | self.known
            except ValueError:       # compiled without rewrites: nothing to replay
                pass
        return [stand_in(self.known[rec.uid], rec) for rec in snap.nodes
                if rec.uid in self.known]
