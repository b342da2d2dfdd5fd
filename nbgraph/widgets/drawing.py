"""The second step of every drawing: a ``Picture`` (snapshot + marks) to DOT text.

This module decides how the views draw a snapshot: which nodes to mark, colour by time, note,
box, fold into a chain, or draw on their edges (a gradient's ``w2ᵀ``); ``core.graphviz.to_dot``
writes the text (STYLE B7: DOT text comes from core). ``render.py`` turns the text into SVG
and ``layout.picture_html`` into a pane.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from ..core.graphviz import DotOptions, NodeStyle, to_dot
from ..core.records import NodeRecord, Snapshot
from .graphdata import LABEL_LIMIT, Collapsed, collapse, node_kind

COLLAPSE_AT = 120  # records above which chains fold and constants go to tooltips (a 200-node
# graph drawn unfolded is too wide for legible labels at the fitted zoom)
BIG_GRAPH = 250  # above this many drawn nodes: straight edges, no edge labels, cheap layout
HIGHLIGHT = ("#fef08a", "#ca8a04")  # (fill, border)
REMOVED = ("#fecaca", "#dc2626")
ADDED = ("#bbf7d0", "#16a34a")
REWIRED = ("#dbeafe", "#2563eb")  # a node kept by a rewrite but given new inputs
ERROR = ("#fca5a5", "#b91c1c")
# (border, text, fill) of the nodes a focused view is not about: mid-grey text on a pale grey
# fill reads in both themes (light grey text on white was lost on a dark page)
DIMMED = ("#d1d5db", "#4b5563", "#f3f4f6")
GRADIENT = ("#fdd9b5", "#ea580c")  # to_dot's gradient fill, for the legend
LAYOUT = (("nodesep", "0.25"), ("ranksep", "0.35"), ("bgcolor", "transparent"))
FAST_LAYOUT = (("splines", "line"), ("nslimit", "1"), ("mclimit", "0.2"),
               ("remincross", "false"))
# a narrow drawing (gradient graphs): ranked as one graph (newrank) the backward box goes
# under the forward pass instead of beside its staircase of layer boxes, spacing is tighter
# and ops are rounded boxes (an ellipse is ~1.4x its label's width). A 4-layer MLP's
# compiled gradient: 1919 pt wide -> 985 pt (tests/widgets/test_theme_layout.py)
NARROW_LAYOUT = (("newrank", "true"), ("ranksep", "0.2"), ("nodesep", "0.15"))
NARROW_OP = (("shape", "box"), ("style", "rounded,filled"))
# a narrow drawing of more records than this packs its columns closer (the gradient view
# leaves its backward nodes' notes to the tooltips): the LSTM's graph by W 1225 -> 1121 pt
CROWDED = 100
CROWDED_LAYOUT = (("nodesep", "0.1"),)
# and every node as narrow as its label: dot's 0.75 in minimum made `add`, `[0]` and `U` as
# wide as `Shape_i{0}` (the LSTM's graph by W: 1311 -> 1158 pt)
NARROW_NODE = (("width", "0.3"),)
EDGE_LABELS_UP_TO = 24  # narrow drawings with more records leave edge types to tooltips
_DIMSHUFFLE = re.compile(r"^(?:Inplace)?DimShuffle\{([^}]*)\}$")
_INDEXING = re.compile(r"^(?:Inc)?Subtensor\{(?:(\w+);)?([^{}]*)\}$")  # basic indexing
_ELEMWISE = re.compile(r"^Elemwise\{(.*)\}(\[\d+\])?$")  # [k]: a fused loop in place


@dataclass
class Style:
    """How to draw particular nodes: colours, classes, an extra label line, one cluster.

    ``mark`` maps a uid to ``(fill, border, css_class)``; ``fill`` only recolours (profile
    heat). ``cluster`` puts its uids in a labelled box (the gradient part). With ``dim``, the
    unmarked nodes are drawn grey so that the marked ones stand out; ``edge_labels=False``
    leaves the edge types to the tooltips (a narrower drawing); ``narrow`` draws a wide graph
    (a gradient) narrower: ``NARROW_LAYOUT``, ops as rounded boxes labelled ``short_op``,
    and when big its transposes and broadcasts on their edges (``on_edges``).
    """

    mark: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    fill: dict[int, str] = field(default_factory=dict)
    note: dict[int, str] = field(default_factory=dict)
    tooltip: dict[int, str] = field(default_factory=dict)
    cluster: tuple[str, frozenset[int]] | None = None
    clusters: tuple[tuple[str, frozenset[int]], ...] = ()  # inner graphs (``inner.py``)
    title: str | None = None
    dim: bool = False
    edge_labels: bool | None = None
    narrow: bool = False

    def highlight(self, uids: Iterable[int], colours: tuple[str, str], css: str,
                  note: str = "") -> Style:
        """Mark ``uids`` in ``colours`` (fill, border) with SVG class ``css`` and a label line."""
        for uid in uids:
            self.mark[uid] = (colours[0], colours[1], css)
            if note:
                self.note[uid] = note
        return self

    def node_style(self, rec: NodeRecord) -> NodeStyle:
        """The ``to_dot`` style of one record: heat, then a mark, a note, its provenance."""
        attrs = dict(NARROW_NODE) if self.narrow else {}
        attrs.update(NARROW_OP if self.narrow and node_kind(rec) == "op" else ())
        if rec.uid in self.fill:
            attrs["fillcolor"] = self.fill[rec.uid]
        css = ""
        if rec.uid in self.mark:
            fill, border, css = self.mark[rec.uid]
            attrs.update(fillcolor=fill, color=border, penwidth="3" if self.dim else "2.5")
        elif self.dim and self.mark:
            attrs.update(color=DIMMED[0], fontcolor=DIMMED[1], fillcolor=DIMMED[2])
            css = "dimmed"
        words = provenance(rec)
        tip = [words] if words != rec.origin else []  # to_dot's tooltip has the origin
        if len(rec.label) > LABEL_LIMIT or (self.narrow and short_op(rec.label) != rec.label):
            tip.insert(0, rec.label)  # the drawn label is cut or shortened
        if rec.source:
            tip.append(f"built at {rec.source}")
        if len(rec.absorbed) > 1:   # a fused or rewritten node: what it stands for
            tip.append("absorbed: " + "; ".join(
                f"#{uid} {label}" + (f" ({src})" if src else "")
                for uid, label, src in rec.absorbed[:12]))
        if rec.uid in self.tooltip:
            tip.append(self.tooltip[rec.uid])
        return NodeStyle(attrs, css, self.note.get(rec.uid, ""), "\n".join(tip))


@dataclass(frozen=True)
class Picture:
    """One drawn graph: ``snapshot`` drawn with ``style``, coloured by ``heat`` (uid -> share
    of the time: the Profile view), under an optional ``caption`` heading in its pane."""

    snapshot: Snapshot
    style: Style = field(default_factory=Style)
    heat: Mapping[int, float] = field(default_factory=dict)
    caption: str = ""


def has_gradient(snap: Snapshot) -> bool:
    """Whether ``snap`` holds gradient nodes: such a graph is drawn ``narrow``."""
    return any(rec.origin.startswith("grad of") for rec in snap.nodes)


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


def heat_colour(share: float) -> str:
    """White (no time) to deep orange (all the time), as a hex colour."""
    share = min(max(share, 0.0), 1.0)
    low, high = (255, 255, 255), (234, 88, 12)
    rgb = [round(a + (b - a) * share ** 0.5) for a, b in zip(low, high, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _fold(picture: Picture) -> tuple[Collapsed, Style]:
    """What is drawn: a big snapshot folded (marked nodes stay visible), and the style with
    the heat applied, each node noted ``#uid · share``; a folded chain gets its members' sum."""
    snap, style = picture.snapshot, picture.style
    folded = collapse(snap, keep=style.mark) if len(snap.nodes) > COLLAPSE_AT else Collapsed(snap)
    heat = dict(picture.heat)
    if heat:  # no heat: no notes at all, not even on a folded chain
        for group, members in folded.chains.items():
            heat[group] = sum(heat.get(u, 0.0) for u in members)
    return folded, replace(
        style, fill=style.fill | {uid: heat_colour(share) for uid, share in heat.items()},
        note=style.note | {uid: f"#{uid} · {share:.1%}" for uid, share in heat.items()})


def graphviz_text(picture: Picture) -> str:
    """DOT text drawing ``picture`` (SVG ids ``n<uid>``, classes by kind), folded and styled
    by ``_fold``; big drawings leave edge labels out and take a cheaper layout.

    >>> graphviz_text(Picture(Snapshot((NodeRecord(1, "x", (), "float64[3]", "x"),), (1,))))[:9]
    'digraph n'
    """
    folded, style = _fold(picture)
    chains = folded.chains
    drawn = len(folded.snapshot.nodes) - sum(len(members) - 1 for members in chains.values())
    big = drawn > BIG_GRAPH
    crowded = len(folded.snapshot.nodes) > CROWDED
    labels = style.edge_labels
    if labels is None and style.narrow and len(folded.snapshot.nodes) > EDGE_LABELS_UP_TO:
        labels = False  # a big gradient graph: the labels' width kept it wider than the page
    options = DotOptions(large=BIG_GRAPH, max_label=LABEL_LIMIT,
                         edge_labels=False if big else labels,
                         id_prefix="n", css_classes=True,
                         graph_attrs=LAYOUT + (FAST_LAYOUT if big else ())
                         + (NARROW_LAYOUT if style.narrow else ())
                         + (CROWDED_LAYOUT if style.narrow and crowded else ()),
                         relabel=short_op if style.narrow else None)  # the tooltip has both
    styles = {rec.uid: style.node_style(rec) for rec in folded.snapshot.nodes}
    return to_dot(folded.snapshot, title=style.title, options=options, styles=styles,
                  cluster=style.cluster, chains=chains, clusters=style.clusters,
                  on_edges=on_edges(folded, style))


def short_op(label: str) -> str:
    """An elementwise op's label without its ``Elemwise{...}`` wrapper, ``(inplace)`` when it
    writes into an input, and an indexing op's as Python writes it (``[8:16]``, ``[0:8] +=``):
    what a narrow drawing shows (the full label is in the tooltip). A row of a scan
    gradient's ``Subtensor{int64:}`` slices made the LSTM's gradient 1766 pt wide, not 1126.

    >>> short_op("Elemwise{add,no_inplace}"), short_op("Elemwise{Composite{exp(i0)}}[0]")
    ('add', 'Composite{exp(i0)} (inplace)')
    >>> short_op("Subtensor{::-1}"), short_op("IncSubtensor{InplaceSet;0:8}")
    ('[::-1]', '[0:8] = (inplace)')
    """
    index = _INDEXING.match(label)
    if index is not None:
        mode, entries = index.group(1) or "", index.group(2)
        assign = " +=" if mode.endswith("Inc") else " =" if mode.endswith("Set") else ""
        return f"[{entries}]{assign}" + (" (inplace)" if mode.startswith("Inplace") else "")
    found = _ELEMWISE.match(label)
    if found is None:
        return label
    body, inplace = found.group(1), found.group(2) is not None
    head, comma, mode = body.rpartition(",")
    if comma and mode in ("no_inplace", "inplace"):
        body, inplace = head, mode == "inplace"
    return body + (" (inplace)" if inplace else "")


def edge_views(picture: Picture) -> dict[int, str]:
    """uid -> the name of each node ``picture`` draws on its edges (``w2ᵀ``), not as a node:
    what the Profile table says of its row."""
    return {uid: words.split("\n")[0] for uid, words in on_edges(*_fold(picture)).items()}


def view_name(rec: NodeRecord, source: NodeRecord) -> str | None:
    """How an edge names ``rec`` drawn on it, if it is a view of ``source`` that reads in one
    word: a transpose ``w2ᵀ`` (``#345ᵀ`` of an unnamed op), a broadcast ``b1[None,:]``."""
    found = _DIMSHUFFLE.match(rec.label)
    if found is None or len(rec.inputs) != 1 or node_kind(source) == "constant":
        return None
    name = source.name or (source.label if node_kind(source) == "input" else f"#{source.uid}")
    order = found.group(1).split(",")
    if order == ["1", "0"]:
        return f"{name}ᵀ"
    axes = [int(o) for o in order if o != "x"]
    if "x" in order and axes == list(range(len(axes))):  # only new broadcast axes
        return f"{name}[{','.join('None' if o == 'x' else ':' for o in order)}]"
    return None


def on_edges(folded: Collapsed, style: Style) -> dict[int, str]:
    """In a big narrow drawing, the transposes and broadcasts (``view_name``) drawn on their
    consumers' edges, not as nodes: each took a column beside the forward layers (a bias's
    broadcast in every layer's box) with a long edge down to the backward part. uid -> the
    edge's words: the name, then the node's note (the Profile's ``#uid · share``: its time
    stays on the drawing, as its row does in the table). A marked node (added, removed,
    kept alive) stays a node. With the backward part boxed (``cluster``: the Gradient tab)
    only broadcasts move: dot spread the box wider when its transposes left it (a 4-layer
    MLP's gradient by all weights: 1024 pt -> 1312 pt)."""
    snap = folded.snapshot
    if not style.narrow or len(snap.nodes) <= EDGE_LABELS_UP_TO:
        return {}
    by_uid = {rec.uid: rec for rec in snap.nodes}
    kept = set(style.mark) | set(snap.outputs)
    kept |= {uid for members in folded.chains.values() for uid in members}
    moved = {}
    for rec in snap.nodes:
        source = by_uid.get(rec.inputs[0]) if len(rec.inputs) == 1 else None
        if source is None or source.uid in moved or rec.uid in kept:
            continue  # an edge starts at a drawn node: a view of a view stays a node
        name = view_name(rec, source)
        if name is None or (style.cluster and name.endswith("ᵀ")):
            continue
        note = style.note.get(rec.uid)
        moved[rec.uid] = f"{name}\n{note}" if note else name
    return moved
