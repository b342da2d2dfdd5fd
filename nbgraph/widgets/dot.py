"""How the views style ``core.dot.to_dot``: which nodes to mark, colour, note or box.

DOT text comes from core printing (STYLE B7); this module only turns a view's marks into
``NodeStyle``s and options. ``render.py`` turns the text into SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..core.graphviz import DotOptions, NodeStyle, to_dot
from ..rewrite.trace import NodeRecord, Snapshot
from .graphdata import LABEL_LIMIT, node_kind

BIG_GRAPH = 250  # above this many drawn nodes: straight edges, no edge labels, cheap layout
REMOVED = ("#fecaca", "#dc2626")  # (fill, border)
ADDED = ("#bbf7d0", "#16a34a")
ERROR = ("#fca5a5", "#b91c1c")
DIMMED = ("#d1d5db", "#9ca3af")  # (border, text) of the nodes a focused view is not about
GRADIENT = ("#fdd9b5", "#ea580c")  # to_dot's gradient fill, for the legend
LAYOUT = (("nodesep", "0.25"), ("ranksep", "0.35"), ("bgcolor", "transparent"))
FAST_LAYOUT = (("splines", "line"), ("nslimit", "1"), ("mclimit", "0.2"),
               ("remincross", "false"))


@dataclass
class Style:
    """How to draw particular nodes: colours, classes, an extra label line, one cluster.

    ``mark`` maps a uid to ``(fill, border, css_class)``; ``fill`` only recolours (profile
    heat). ``cluster`` puts its uids in a labelled box (the gradient part). With ``dim``, the
    unmarked nodes are drawn grey so that the marked ones stand out; ``edge_labels=False``
    leaves the edge types to the tooltips (a narrower drawing).
    """

    mark: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    fill: dict[int, str] = field(default_factory=dict)
    note: dict[int, str] = field(default_factory=dict)
    tooltip: dict[int, str] = field(default_factory=dict)
    cluster: tuple[str, frozenset[int]] | None = None
    title: str | None = None
    dim: bool = False
    edge_labels: bool | None = None

    def highlight(self, uids: object, colours: tuple[str, str], css: str,
                  note: str = "") -> Style:
        """Mark ``uids`` in ``colours`` (fill, border) with SVG class ``css`` and a label line."""
        for uid in uids:  # type: ignore[attr-defined]
            self.mark[uid] = (colours[0], colours[1], css)
            if note:
                self.note[uid] = note
        return self

    def node_style(self, rec: NodeRecord) -> NodeStyle:
        """The ``to_dot`` style of one record: heat, then a mark, a note, its provenance."""
        attrs = {}
        if rec.uid in self.fill:
            attrs["fillcolor"] = self.fill[rec.uid]
        css = ""
        if rec.uid in self.mark:
            fill, border, css = self.mark[rec.uid]
            attrs.update(fillcolor=fill, color=border, penwidth="3" if self.dim else "2.5")
        elif self.dim and self.mark:
            attrs.update(color=DIMMED[0], fontcolor=DIMMED[1])
            css = "dimmed"
        words = provenance(rec)
        tip = [words] if words != rec.origin else []  # to_dot's tooltip has the origin
        if len(rec.label) > LABEL_LIMIT:
            tip.insert(0, rec.label)  # the drawn label is cut
        if rec.uid in self.tooltip:
            tip.append(self.tooltip[rec.uid])
        return NodeStyle(attrs, css, self.note.get(rec.uid, ""), "\n".join(tip))


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


def snapshot_dot(snap: Snapshot, style: Style | None = None,
                 chains: Mapping[int, Sequence[int]] | None = None) -> str:
    """DOT text drawing ``snap`` with ``style`` (SVG ids ``n<uid>``, classes by kind), each of
    ``chains`` (``core.dot.chain_groups``) folded into one node.

    >>> snapshot_dot(Snapshot((NodeRecord(1, "x", (), "float64[3]", "x"),), (1,)))[:9]
    'digraph n'
    """
    style = style or Style()
    chains = chains or {}
    drawn = len(snap.nodes) - sum(len(members) - 1 for members in chains.values())
    big = drawn > BIG_GRAPH
    options = DotOptions(large=BIG_GRAPH, max_label=LABEL_LIMIT,
                         edge_labels=False if big else style.edge_labels,
                         id_prefix="n", css_classes=True,
                         graph_attrs=LAYOUT + (FAST_LAYOUT if big else ()))
    styles = {rec.uid: style.node_style(rec) for rec in snap.nodes}
    return to_dot(snap, title=style.title, options=options, styles=styles,
                  cluster=style.cluster, chains=chains)
