"""The rewrite trace (STYLE B6): plain, frozen records of each pass and each replacement.

Widgets read only these records (never a live FunctionGraph); they round-trip through JSON.
``TraceListener`` collects events; ``snapshot`` copies a graph into the ``core.records`` form
(``NodeRecord``/``Snapshot``, re-exported here as part of the trace) in O(nodes).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.graph import Apply
from ..core.records import NodeRecord, Snapshot, snapshot_of

if TYPE_CHECKING:
    from ..core.fgraph import FunctionGraph
from ..core.variable import TensorVariable

__all__ = ["NodeRecord", "PassRecord", "RewriteEvent", "Snapshot", "Trace", "TraceListener",
           "snapshot"]

TRACE_VERSION = 2   # 2: node records carry source and absorbed (and ports, a 9th field
#                     written only where a record has them: JSON without it still reads)


@dataclass(frozen=True, slots=True)
class RewriteEvent:
    """One replacement by rule ``pass/rule``: record uids it removed and added."""

    rule: str
    removed: tuple[int, ...]
    added: tuple[int, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class PassRecord:
    """One pass: the graph before and after, and the events in the order they happened."""

    name: str
    before: Snapshot
    after: Snapshot
    events: tuple[RewriteEvent, ...]
    seconds: float


@dataclass(frozen=True, slots=True)
class Trace:
    """Every pass a compile ran, in order. ``fn.trace`` is one of these."""

    passes: tuple[PassRecord, ...]

    def events(self) -> tuple[RewriteEvent, ...]:
        """All rewrite events of all passes, flattened in order."""
        return tuple(e for p in self.passes for e in p.events)

    def to_json(self) -> str:
        return json.dumps({"version": TRACE_VERSION,
                           "passes": [_pass_to_dict(p) for p in self.passes]})

    @classmethod
    def from_json(cls, text: str) -> Trace:
        data = json.loads(text)
        if data.get("version") != TRACE_VERSION:
            raise ValueError(f"trace JSON version {data.get('version')!r} is not "
                             f"{TRACE_VERSION}")
        return cls(tuple(_pass_from_dict(p) for p in data["passes"]))


# -- JSON ------------------------------------------------------------------------------------
def _node_to_list(n: NodeRecord) -> list[Any]:
    fields = [n.uid, n.label, list(n.inputs), n.type, n.name, n.origin, n.source,
              [list(a) for a in n.absorbed]]
    return fields + [list(n.ports)] if n.ports else fields  # ports: which output each reads


def _node_from_list(fields: list[Any]) -> NodeRecord:
    uid, label, inputs, type_, name, origin, source, absorbed = fields[:8]
    ports = tuple(fields[8]) if len(fields) > 8 else ()
    return NodeRecord(uid, label, tuple(inputs), type_, name, origin, source,
                      tuple(tuple(a) for a in absorbed), ports)


def _snapshot_to_dict(snap: Snapshot) -> dict[str, Any]:
    return {"nodes": [_node_to_list(n) for n in snap.nodes], "outputs": list(snap.outputs)}


def _snapshot_from_dict(data: dict[str, Any]) -> Snapshot:
    return Snapshot(tuple(_node_from_list(n) for n in data["nodes"]), tuple(data["outputs"]))


def _pass_to_dict(rec: PassRecord) -> dict[str, Any]:
    return {"name": rec.name, "seconds": rec.seconds,
            "before": _snapshot_to_dict(rec.before), "after": _snapshot_to_dict(rec.after),
            "events": [[e.rule, list(e.removed), list(e.added), e.seconds]
                       for e in rec.events]}


def _pass_from_dict(data: dict[str, Any]) -> PassRecord:
    events = tuple(RewriteEvent(rule, tuple(removed), tuple(added), seconds)
                   for rule, removed, added, seconds in data["events"])
    return PassRecord(data["name"], _snapshot_from_dict(data["before"]),
                      _snapshot_from_dict(data["after"]), events, data["seconds"])


# -- snapshots -------------------------------------------------------------------------------
def snapshot(fgraph: FunctionGraph) -> Snapshot:
    """Copy ``fgraph`` into plain records: inputs first, then nodes in topological order."""
    return snapshot_of(fgraph.outputs, fgraph.inputs, fgraph.forward_ops)


class TraceListener:
    """A FunctionGraph listener that turns ``replace(..., reason=rule)`` calls into events.

    The FunctionGraph reports each replacement as imports (nodes added), prunes (nodes
    dropped) and input changes, then calls ``on_replace_done``; the listener folds what it
    saw since the previous replacement into one ``RewriteEvent``.
    """

    def __init__(self) -> None:
        self.events: list[RewriteEvent] = []
        self._removed: list[int] = []
        self._added: list[int] = []
        self._changed = False
        self._started = time.perf_counter()

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self._started = time.perf_counter()

    def on_import(self, node: Apply, reason: str | None) -> None:
        if reason is not None:
            self._added.append(node.uid)

    def on_prune(self, node: Apply, reason: str | None) -> None:
        if reason is None:
            return
        if node.uid in self._added:
            self._added.remove(node.uid)    # made and dropped within one replacement
        else:
            self._removed.append(node.uid)

    def on_change_input(self, node: Apply | str, i: int, old: TensorVariable, new: TensorVariable,
                        reason: str | None) -> None:
        if reason is not None:
            self._changed = True

    def on_replace_done(self, reason: str | None) -> None:
        """Close the event for one ``replace``/``replace_all`` call (rule name ``reason``)."""
        now = time.perf_counter()
        if reason is not None and (self._removed or self._added or self._changed):
            self.events.append(RewriteEvent(reason, tuple(self._removed),
                                            tuple(self._added), now - self._started))
        self._removed, self._added, self._changed = [], [], False
        self._started = now

    def start(self) -> None:
        """Begin timing the next event (the driver calls this before running a rule)."""
        self._started = time.perf_counter()


def fused_pass(name: str, before: Snapshot, groups: dict[int, tuple[int, ...]],
               labels: dict[int, str], rule: str) -> PassRecord:
    """A pass done while linking, as a trace step: each group of records (its last uid ->
    its uids, first to last) becomes one record with that last uid, labelled ``labels[last]``
    and reading what the group reads from outside (each from the output it reads: the
    group's ``ports``, where its members had them); one ``rule`` event per group.

    >>> fused_pass("link", Snapshot((), ()), {}, {}, "link/fuse").events
    ()
    """
    member_of = {uid: last for last, members in groups.items() for uid in members}
    nodes = []
    for rec in before.nodes:
        last = member_of.get(rec.uid)
        if last is None:
            nodes.append(rec)
        elif last == rec.uid:
            inside = set(groups[last])
            members = [m for m in before.nodes if m.uid in inside]
            reads = dict.fromkeys((uid, port) for m in members
                                  for uid, port in zip(m.inputs, m.input_ports(), strict=True)
                                  if uid not in inside)
            typed = any(m.ports for m in members)  # else, as records do, no ports at all
            ports = tuple(-1 if p is None else p for _, p in reads) if typed else ()
            nodes.append(NodeRecord(rec.uid, labels.get(rec.uid, rec.label),
                                    tuple(u for u, _ in reads), rec.type, rec.name, rule,
                                    ports=ports))
    events = tuple(RewriteEvent(rule, members, (last,), 0.0) for last, members in groups.items())
    return PassRecord(name, before, Snapshot(tuple(nodes), before.outputs), events, 0.0)
