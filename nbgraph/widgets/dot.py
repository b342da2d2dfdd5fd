"""DOT text for the views: a snapshot drawn Theano-style, with highlights as DOT attributes.

Inputs are green boxes, constants grey dashed boxes, ops rounded boxes, outputs framed blue;
edges carry the producer's type. Every node's tooltip gives its provenance. No rendering here
(``render.py`` turns DOT into SVG).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..compile.rewrite.trace import NodeRecord, Snapshot
from .graphdata import node_kind, short_label

BIG_GRAPH = 250  # above this many drawn nodes: straight edges, no edge labels, cheap layout
REMOVED = ("#fecaca", "#dc2626")  # (fill, border)
ADDED = ("#bbf7d0", "#16a34a")
ERROR = ("#fca5a5", "#b91c1c")
GRADIENT = ("#ffedd5", "#ea580c")
# The palette of printing.to_dot (Theano's pydotprint): inputs green, outputs framed blue.
OUTPUT_PEN = "#1f5fbf"
KIND_ATTRS = {
    "input": 'shape=box, style=filled, fillcolor="#c7e9c0", color="#41ab5d"',
    "constant": 'shape=box, style="filled,dashed", fillcolor="#eeeeee", color="#9ca3af", '
                "fontsize=8",
    "op": 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#374151"',
}


@dataclass
class Style:
    """How to draw particular nodes: colours, classes, an extra label line, one cluster.

    ``mark`` maps a uid to ``(fill, border, css_class)``; ``fill`` only recolours (profile
    heat). ``cluster`` puts its uids in a labelled box (the gradient part).
    """

    mark: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    fill: dict[int, str] = field(default_factory=dict)
    note: dict[int, str] = field(default_factory=dict)
    tooltip: dict[int, str] = field(default_factory=dict)
    cluster: tuple[str, frozenset[int]] | None = None
    title: str | None = None

    def highlight(self, uids: object, colours: tuple[str, str], css: str) -> Style:
        for uid in uids:  # type: ignore[attr-defined]
            self.mark[uid] = (colours[0], colours[1], css)
        return self


def quote(text: str) -> str:
    """A DOT double-quoted string (backslashes, quotes and newlines escaped)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def provenance(rec: NodeRecord) -> str:
    """Where a node came from, in words: the user's code, a gradient rule, or a rewrite."""
    kind = node_kind(rec)
    if kind != "op":
        return "constant" if kind == "constant" else "graph input"
    if rec.origin == "user":
        return "from: user code"
    if rec.origin.startswith("grad of"):
        return rec.origin
    return f"created by rule {rec.origin}"


def _node_line(rec: NodeRecord, outputs: set[int], style: Style) -> str:
    kind = node_kind(rec)
    label = short_label(rec.label)
    if kind == "input" and rec.name:
        label = rec.name
    elif kind == "op" and rec.name:
        label = f"{label}\n{rec.name}"
    if rec.uid in style.note:
        label = f"{label}\n{style.note[rec.uid]}"
    tip = f"{rec.label}\n{rec.type}\n{provenance(rec)}"
    if rec.uid in style.tooltip:
        tip = f"{tip}\n{style.tooltip[rec.uid]}"
    attrs = [KIND_ATTRS[kind], f"label={quote(label)}", f"tooltip={quote(tip)}",
             f'id="n{rec.uid}"']
    classes = [kind]
    if rec.uid in outputs:
        attrs.append(f'peripheries=2, color="{OUTPUT_PEN}"')
        classes.append("output")
    if rec.uid in style.fill:
        attrs.append(f'fillcolor="{style.fill[rec.uid]}"')
    if rec.uid in style.mark:
        fill, border, css = style.mark[rec.uid]
        attrs.append(f'fillcolor="{fill}", color="{border}", penwidth=2.5')
        classes.append(css)
    attrs.append(f'class="{" ".join(classes)}"')
    return f"  n{rec.uid} [{', '.join(attrs)}];"


def snapshot_dot(snap: Snapshot, style: Style | None = None) -> str:
    """DOT text drawing ``snap`` with ``style``.

    >>> snapshot_dot(Snapshot((NodeRecord(1, "x", (), "float64[3]", "x"),), (1,)))[:9]
    'digraph G'
    """
    style = style or Style()
    big = len(snap.nodes) > BIG_GRAPH
    outputs = set(snap.outputs)
    drawn = {rec.uid: rec for rec in snap.nodes}
    lines = ["digraph G {",
             '  graph [rankdir=TB, nodesep=0.25, ranksep=0.35, bgcolor="transparent"'
             + (', splines=line, nslimit=1, mclimit=0.2, remincross=false' if big else "")
             + (f", label={quote(style.title)}, labelloc=t" if style.title else "") + "];",
             '  node [fontname="Helvetica", fontsize=10, height=0.3, margin="0.08,0.03"];',
             '  edge [fontname="Helvetica", fontsize=8, fontcolor="#6b7280", '
             'color="#6b7280", arrowsize=0.6];']
    in_cluster = style.cluster[1] if style.cluster else frozenset()
    lines += [_node_line(rec, outputs, style) for rec in snap.nodes if rec.uid not in in_cluster]
    if style.cluster:
        fill, border = GRADIENT
        lines.append(f"  subgraph cluster_group {{ label={quote(style.cluster[0])}; "
                     f'style="rounded,filled"; fillcolor="{fill}"; color="{border}"; '
                     'fontname="Helvetica"; fontsize=10;')
        lines += ["  " + _node_line(rec, outputs, style) for rec in snap.nodes
                  if rec.uid in in_cluster]
        lines.append("  }")
    for rec in snap.nodes:
        for src in rec.inputs:
            if src not in drawn:
                continue
            label = "" if big else f" [label={quote(' ' + drawn[src].type)}]"
            lines.append(f"  n{src} -> n{rec.uid}{label};")
    lines.append("}")
    return "\n".join(lines)
