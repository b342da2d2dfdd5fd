"""Finding one's way in a big graph: name-scope boxes, collapsing them, and search.

``with nbgraph.name_scope("layer1"):`` tags the nodes built inside (``node.tag.scope``);
``scope_clusters`` boxes each scope's nodes, ``collapse_scopes`` draws chosen scopes as one
node each (what they read from outside in, what others read from them out), and ``find``
picks the records a search names by uid (``#12``) or by text in the label or the name.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from ..core.graph import Apply
from ..core.records import NodeRecord, Snapshot
from ..rewrite.trace import fused_pass
from .inner import Cluster

SCOPE = "scope "  # the label prefix of a scope's box


def scope_clusters(nodes: Iterable[Apply], drawn: Collection[int]) -> list[Cluster]:
    """One box per name scope among ``nodes`` (those of their uids that are ``drawn``)."""
    members: dict[str, list[int]] = {}
    for node in nodes:
        scope = getattr(node.tag, "scope", None)
        if scope is not None and node.uid in drawn:
            members.setdefault(scope, []).append(node.uid)
    return [(SCOPE + scope, frozenset(uids)) for scope, uids in sorted(members.items())]


def scope_names(clusters: Iterable[Cluster]) -> list[str]:
    return [label[len(SCOPE):] for label, _ in clusters if label.startswith(SCOPE)]


def collapse_scopes(snap: Snapshot, clusters: list[Cluster], names: Collection[str]
                    ) -> tuple[Snapshot, list[Cluster]]:
    """``snap`` with each scope in ``names`` drawn as one node (its last record's uid),
    labelled ``layer1 (12 ops)``; edges into and out of the scope are kept."""
    order = {rec.uid: k for k, rec in enumerate(snap.nodes)}
    groups: dict[int, tuple[int, ...]] = {}
    labels: dict[int, str] = {}
    kept = []
    for label, uids in clusters:
        name = label[len(SCOPE):] if label.startswith(SCOPE) else None
        if name not in names or not uids:
            kept.append((label, uids))
            continue
        members = tuple(sorted(uids, key=order.__getitem__))
        groups[members[-1]] = members
        labels[members[-1]] = f"{name} ({len(members)} ops)"
    if not groups:
        return snap, clusters
    merged = fused_pass("collapse", snap, groups, labels, "scope").after
    stands = {uid: last for last, members in groups.items() for uid in members}
    nodes = tuple(_reading_collapsed(rec, stands) for rec in merged.nodes)
    outputs = tuple(stands.get(u, u) for u in snap.outputs)
    return Snapshot(nodes, outputs), kept


def _reading_collapsed(rec: NodeRecord, stands: dict[int, int]) -> NodeRecord:
    """``rec`` reading each collapsed scope's node for any of its members, once; which output
    it reads stays known only where it reads outside every collapsed scope."""
    reads = dict.fromkeys((stands.get(uid, uid), None if uid in stands else port)
                          for uid, port in zip(rec.inputs, rec.input_ports(), strict=True)
                          if stands.get(uid, uid) != rec.uid)
    ports = tuple(-1 if port is None else port for _, port in reads) if rec.ports else ()
    return replace(rec, inputs=tuple(uid for uid, _ in reads), ports=ports)


def find(snap: Snapshot, query: str) -> list[int]:
    """Uids of the records ``query`` names: ``#12`` or ``12`` by uid, else every record whose
    label or name contains it (case-insensitive)."""
    text = query.strip().lower()
    if not text:
        return []
    if text.lstrip("#").isdigit():
        uid = int(text.lstrip("#"))
        return [rec.uid for rec in snap.nodes if rec.uid == uid]
    return [rec.uid for rec in snap.nodes
            if text in rec.label.lower() or text in (rec.name or "").lower()]
