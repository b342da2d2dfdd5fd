"""Graphviz DOT text for a graph: ``to_dot`` and its options (a string only; nothing is
rendered here, and nothing here is the ``Dot`` op of ``ops/linalg.py``).

``core/pydotprint.py`` runs the ``dot`` program on this text (``run_dot``, ``pydotprint``);
the widgets style their drawings through ``NodeStyle`` (``widgets/drawing.py``) rather than
writing DOT of their own, and turn it into SVG in ``widgets/render.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .index_bounds import fold_bounds
from .printing import graph_records
from .records import leaf_kind, output_type
from .small_constants import fold_small_constants

__all__ = ["DotOptions", "NodeStyle", "chain_groups", "to_dot"]


@dataclass(frozen=True, slots=True)
class DotOptions:
    """How ``to_dot`` draws. Large graphs collapse elementwise chains and drop edge labels."""

    collapse_chains: int | None = None  # None: chains of >= 3 ops above `large`; 0: never
    large: int = 400                    # node count from which a graph counts as large
    edge_labels: bool | None = None     # None: only for graphs that are not large
    max_label: int = 48                 # longer labels are cut (the tooltip keeps them whole)
    rankdir: str = "TB"
    id_prefix: str = ""                 # SVG ids are prefix + uid ('n' keeps HTML ids non-numeric)
    css_classes: bool = False           # also class each node by kind ('op'...) and 'output'
    graph_attrs: tuple[tuple[str, str], ...] = ()  # more graph attributes (bgcolor, splines)
    fold_bounds: bool = True            # constants in the label: Subtensor{8:16}, Gemv's α=1.0
    relabel: Callable[[str], str] | None = None  # an op label's first line, once folded: [8:16]


@dataclass(frozen=True, slots=True)
class NodeStyle:
    """How one node is drawn beyond the defaults: the views mark, colour and annotate with it.

    ``attrs`` are DOT attributes that win over the palette (``fillcolor``, ``color``,
    ``penwidth``); ``css`` adds SVG classes; ``note`` adds a label line and ``tooltip`` a
    tooltip line. A ``highlight`` still wins over ``attrs``.
    """

    attrs: Mapping[str, str] = field(default_factory=dict)
    css: str = ""
    note: str = ""
    tooltip: str = ""


# Theano's pydotprint palette: inputs green, outputs blue; gradient nodes set apart in orange
_FILL = {"input": "#c7e9c0", "constant": "#eeeeee", "op": "#ffffff", "grad": "#fdd9b5",
         "highlight": "#ffd54f"}
_OUTPUT_PEN = "#1f5fbf"
_HIGHLIGHT_PEN = "#d62728"
_CLUSTER = ("#ea580c26", "#ea580c")  # (fill, border) of the one labelled box, e.g. the gradient:
# fills are translucent, so a box reads on a light and on a dark page alike
_INNER = ("#2563eb1a", "#2563eb")  # the boxes of inner graphs and name scopes
_NO_STYLE = NodeStyle()


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(pairs: dict[str, str]) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in pairs.items())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _relabelled(record: Any, relabel: Callable[[str], str]) -> Any:
    if leaf_kind(record) is not None:
        return record
    head, newline, rest = record.label.partition("\n")
    return replace(record, label=relabel(head) + newline + rest)


def _is_elemwise(record: Any) -> bool:
    return record.label.startswith("Elemwise{")


def _scalar_name(label: str) -> str:
    """``Elemwise{exp,no_inplace}`` -> ``exp`` (fused Composites keep their whole text); a
    label ``options.relabel`` already shortened (``exp``) stays as it is."""
    if not label.startswith("Elemwise{"):
        return label.split("\n", 1)[0]
    inner = label[len("Elemwise{"):].rsplit("}", 1)[0]
    return inner.split(",", 1)[0] if not inner.startswith("Composite") else "Composite"


def _chains(records: Sequence[Any], outputs: set[int], keep: set[int],
            min_length: int) -> dict[int, tuple[int, ...]]:
    """Maximal paths of elementwise nodes in which every link has exactly one consumer."""
    consumers: dict[int, int] = {}
    for record in records:
        for uid in record.inputs:
            consumers[uid] = consumers.get(uid, 0) + 1
    by_uid = {r.uid: r for r in records}
    previous: dict[int, int] = {}
    for record in records:
        if not _is_elemwise(record) or record.uid in keep:
            continue
        for uid in record.inputs:
            source = by_uid.get(uid)
            if (source is not None and _is_elemwise(source) and consumers[uid] == 1
                    and uid not in outputs and uid not in keep):
                previous[record.uid] = uid  # one predecessor: a chain is a path
                break
    following = {src: dst for dst, src in previous.items()}
    chains = {}
    for record in records:
        if record.uid in previous or record.uid not in following:
            continue
        chain = [record.uid]
        while chain[-1] in following:
            chain.append(following[chain[-1]])
        if len(chain) >= min_length:
            chains[chain[-1]] = tuple(chain)
    return chains


def chain_groups(graph: Any, keep: Iterable[int] = (),
                 min_length: int = 3) -> dict[int, tuple[int, ...]]:
    """The elementwise chains ``to_dot`` folds: last uid -> the chain's uids, first to last.

    A chain is a maximal path of ``Elemwise`` nodes in which each link feeds only the next;
    outputs end a chain and uids in ``keep`` stay out of every chain. Only chains of at least
    ``min_length`` nodes are returned. A folded chain is drawn as one node with its last uid,
    so per-node data (profile time) sums over the members onto that uid.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> y = T.exp(T.sin(T.cos(x)))
    >>> chain_groups([y]) == {y.owner.uid: tuple(
    ...     v.owner.uid for v in (y.owner.inputs[0].owner.inputs[0], y.owner.inputs[0], y))}
    True
    """
    records, outputs = graph_records(graph)
    return _chains(records, set(outputs), set(keep), min_length)


@dataclass(frozen=True, slots=True)
class _DrawNode:
    """One drawn node: a record, or a collapsed chain represented by its last record."""

    uid: int
    label: str
    inputs: tuple[int, ...]
    ports: tuple[int | None, ...]  # which output of each input's record it reads
    type: str
    kind: str            # 'input', 'constant' or 'op'
    tooltip: str
    grad: bool


def _draw_nodes(records: Sequence[Any], chains: Mapping[int, Sequence[int]]
                ) -> tuple[list[_DrawNode], dict[int, int]]:
    """Drawn nodes in record order, and the drawn uid standing for each record uid."""
    stands_for: dict[int, int] = {r.uid: r.uid for r in records}
    by_uid = {r.uid: r for r in records}
    chain_of: dict[int, list[Any]] = {}
    for last, members in chains.items():
        for uid in members:
            stands_for[uid] = last
        chain_of[last] = [by_uid[uid] for uid in members]
    nodes = []
    for record in records:
        if stands_for[record.uid] != record.uid:
            continue  # drawn as part of its chain
        grad = record.origin.startswith("grad")
        tip = [record.type, f"origin: {record.origin}", f"uid {record.uid}"]
        if record.name:
            tip.insert(0, f"name: {record.name}")
        if record.uid in chain_of:
            chain = chain_of[record.uid]
            in_chain = {r.uid for r in chain}
            steps = [_scalar_name(r.label) for r in chain]
            shown = steps if len(steps) <= 5 else steps[:2] + ["…"] + steps[-2:]
            label = f"{len(chain)} elementwise ops\n" + " → ".join(shown)
            reads = dict.fromkeys((u, p) for r in chain
                                  for u, p in zip(r.inputs, r.input_ports(), strict=True)
                                  if u not in in_chain)
            inputs, ports = tuple(u for u, _ in reads), tuple(p for _, p in reads)
            tip = [record.type, "collapsed chain: " + " → ".join(steps),
                   "uids " + ", ".join(str(r.uid) for r in chain),
                   f"origin: {record.origin}"]
            grad = any(r.origin.startswith("grad") for r in chain)
        else:
            named = record.name and record.name != record.label
            label = f"{record.label}\n'{record.name}'" if named else record.label
            if not record.inputs and label.startswith("<") and label.endswith(">"):
                label = record.type  # an unnamed input: float64[?,?,1], not <TensorType(...)>
            inputs, ports = tuple(record.inputs), record.input_ports()
        kind = leaf_kind(record) or "op"
        nodes.append(_DrawNode(record.uid, label, inputs, ports, record.type, kind,
                               "\n".join(tip), grad))
    return nodes, stands_for


def _node_attrs(node: _DrawNode, is_output: bool, highlighted: bool,
                options: DotOptions, style: NodeStyle) -> dict[str, str]:
    text = f"{node.label}\n{style.note}" if style.note else node.label
    label = "\n".join(_cut(part, options.max_label) for part in text.split("\n"))
    tooltip = f"{node.tooltip}\n{style.tooltip}" if style.tooltip else node.tooltip
    attrs = {"id": f"{options.id_prefix}{node.uid}", "label": label, "tooltip": tooltip}
    if node.kind == "op":
        attrs.update(shape="ellipse", style="filled",
                     fillcolor=_FILL["grad" if node.grad else "op"])
    else:
        attrs.update(shape="box", style="filled" if node.kind == "input" else "filled,dashed",
                     fillcolor=_FILL[node.kind])
    classes = []
    if options.css_classes:
        classes += [node.kind, "output"] if is_output else [node.kind]
    if node.grad:
        classes.append("grad")
    classes += style.css.split()
    if classes:
        attrs["class"] = " ".join(classes)
    if is_output:
        attrs.update(peripheries="2", color=_OUTPUT_PEN, penwidth="1.5")
    attrs.update(style.attrs)
    if highlighted:
        attrs.update(fillcolor=_FILL["highlight"], color=_HIGHLIGHT_PEN, penwidth="3")
        attrs["class"] = (attrs.get("class", "") + " highlight").strip()
    return attrs


def _cluster_lines(label: str, lines: list[str], name: str = "group",
                   colours: tuple[str, str] = _CLUSTER) -> list[str]:
    fill, border = colours
    head = (f'  subgraph cluster_{name} {{ label={_quote(label)}; style="rounded,filled"; '
            f'fillcolor="{fill}"; color="{border}"; fontname="Helvetica"; fontsize=10;')
    return [head, *("  " + line for line in lines), "  }"]


def _nesting(clusters: Sequence[tuple[str, Collection[int]]]) -> list[int | None]:
    """Each box's parent: the smallest box holding all its uids and more (a scan's step
    inside the step of the scan around it), None for a box drawn at the top."""
    sets = [frozenset(members) for _, members in clusters]
    parent: list[int | None] = []
    for k, mine in enumerate(sets):
        around = [j for j, theirs in enumerate(sets) if j != k and mine < theirs]
        parent.append(min(around, key=lambda j: len(sets[j])) if around else None)
    return parent


def _entry_ranks(nodes: Sequence[_DrawNode], box_of: Mapping[int, int],
                 parent: Sequence[int | None], stands_for: Mapping[int, int],
                 moved: Mapping[int, int]) -> list[list[str]]:
    """Per box, a ``rank=same`` line for the nodes in it that pass one value in from outside
    it, from nothing that depends on it (a scan step's taps ``y[t-1]``, ``W``): a box's
    inputs come in at its top, so the outer nodes feeding them stay above it rather than in
    columns beside it (the LSTM's step: 1217 pt wide -> 892 pt). Nodes reading more than one
    value (a name scope's first ``dot``) are left where they fall."""
    sources = {node.uid: [stands_for.get(moved.get(u, u), moved.get(u, u)) for u in node.inputs]
               for node in nodes}
    readers: dict[int, list[int]] = {}
    for uid, ins in sources.items():
        for src in ins:
            readers.setdefault(src, []).append(uid)
    within: list[list[int]] = [[] for _ in parent]  # each box's uids, with its nested boxes'
    for node in nodes:
        k = box_of.get(node.uid)
        while k is not None:
            within[k].append(node.uid)
            k = parent[k]
    tops: list[list[str]] = [[] for _ in parent]
    for k, inside in enumerate(within):
        members = [uid for uid in inside if box_of[uid] == k]
        below, stack = set(), list(inside)  # the box and everything that reads from it
        while stack:
            uid = stack.pop()
            if uid not in below:
                below.add(uid)
                stack += readers.get(uid, [])
        entries = [uid for uid in members
                   if len(sources[uid]) == 1 and sources[uid][0] not in below]
        if len(entries) > 1:
            tops[k] = [f"  {{ rank=same; {'; '.join(str(uid) for uid in entries)}; }}"]
    return tops


def to_dot(graph: Any, highlight: Iterable[int] = (), title: str | None = None,
           options: DotOptions | None = None, styles: Mapping[int, NodeStyle] | None = None,
           cluster: tuple[str, Collection[int]] | None = None,
           chains: Mapping[int, Sequence[int]] | None = None,
           clusters: Sequence[tuple[str, Collection[int]]] = (),
           on_edges: Mapping[int, str] | None = None) -> str:
    """DOT text drawing ``graph`` (a trace Snapshot, or output Variables, a Function, ...).

    Node ids are record uids (a leaf's Variable uid, an Apply's uid); inputs are green boxes,
    constants grey dashed boxes, ops ellipses, outputs doubly outlined in blue, gradient
    nodes filled orange, and the uids in ``highlight`` amber with a red outline. Edges carry
    the ``dtype[shape]`` of the output they carry (of a two-output node, that one); tooltips
    give the type and provenance. Constant slice bounds are written into their indexing
    op's label (``Subtensor{8:16}``), and so are small constant operands (``Gemv{no_inplace}``
    over ``y=[0.0] α=1.0 β=0.0``; ``options.fold_bounds``), rather than drawn as nodes. The
    same graph always gives the same text.

    ``styles`` maps uids to a ``NodeStyle`` (colours, SVG classes, an extra label or tooltip
    line: how the widgets mark removed/added nodes or colour by time); ``cluster`` draws the
    uids it names in one labelled box, e.g. ``("backward (gradient)", uids)``, with each box
    of ``clusters`` whose uids it all names (a backward scan's step). ``chains``
    gives the chains to fold (as ``chain_groups`` returns them, e.g. computed once by a caller
    that also sums profile time per chain); by default ``options.collapse_chains`` decides.
    ``clusters`` are more labelled boxes, in blue (a scan's step, a name scope); a uid sits
    in the first box naming it, or in a box nested there: a box whose uids another box
    holds too is drawn inside that one (a scan inside a scan's step).
    ``on_edges`` maps the uid of a one-input node (a transpose of a weight) to a name: it is
    drawn on its consumers' edges from its input (``1: w2ᵀ float64[32,32]``), not as a node.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> to_dot([T.exp(x)]).splitlines()[0]
    'digraph nbgraph {'
    """
    options = options or DotOptions()
    records, output_uids = graph_records(graph)
    outputs, keep = set(output_uids), set(highlight)
    styles = styles or {}
    bounds: dict[int, str] = {}
    if options.fold_bounds:  # a constant a view marks (a rewrite added it) stays a node
        marked = {uid for uid, style in styles.items() if set(style.css.split()) - {"dimmed"}}
        records, bounds = fold_bounds(records, outputs | keep | marked)
        records, operands = fold_small_constants(records, outputs | keep | marked)
        bounds |= operands
    large = len(records) > options.large
    if chains is None:
        min_length = options.collapse_chains
        if min_length is None:
            min_length = 3 if large else 0
        chains = _chains(records, outputs, keep, min_length) if min_length > 0 else {}
    if options.relabel is not None:  # after folding and chains, which read Theano's labels
        records = tuple(_relabelled(r, options.relabel) for r in records)
    edge_labels = (not large) if options.edge_labels is None else options.edge_labels
    nodes, stands_for = _draw_nodes(records, chains)
    by_uid = {r.uid: r for r in records}

    lines = ["digraph nbgraph {"]
    graph_attrs = {"rankdir": options.rankdir, "fontname": "Helvetica"}
    if title:
        graph_attrs.update(label=title, labelloc="t")
    graph_attrs.update(options.graph_attrs)
    lines.append(f"  graph [{_attrs(graph_attrs)}];")
    lines.append('  node [fontname="Helvetica", fontsize="11"];')
    lines.append('  edge [fontname="Helvetica", fontsize="9", color="#555555"];')
    shown_outputs = {stands_for.get(uid, uid) for uid in outputs}
    shown_highlight = {stands_for.get(uid, uid) for uid in keep}
    grouped = set(cluster[1]) if cluster else set()
    boxed: list[str] = []
    parent = _nesting(clusters)
    box_of = {}
    for k, (_, members) in reversed(list(enumerate(clusters))):
        box_of.update(dict.fromkeys(members, k))
    for uid, k in box_of.items():  # from the first box naming it into the boxes nested in it
        inner = [c for c, p in enumerate(parent) if p == k and uid in clusters[c][1]]
        while inner:
            k = inner[0]
            inner = [c for c, p in enumerate(parent) if p == k and uid in clusters[c][1]]
        box_of[uid] = k
    in_box: list[list[str]] = [[] for _ in clusters]
    on_edges = on_edges or {}
    moved = {r.uid: r.inputs[0] for r in records if r.uid in on_edges}
    # the edge's first line names it; the node's own tooltip line (a Profile's buffer note)
    moved_tips = {r.uid: "\n".join(filter(None, (
        f"{on_edges[r.uid].splitlines()[0]}: {r.label}, {r.type}, uid {r.uid}",
        styles.get(r.uid, _NO_STYLE).tooltip))) for r in records if r.uid in moved}
    nodes = [node for node in nodes if node.uid not in moved]
    for node in nodes:
        style = styles.get(node.uid, _NO_STYLE)
        if node.uid in bounds:
            style = replace(style, tooltip="\n".join(t for t in (bounds[node.uid], style.tooltip)
                                                      if t))
        attrs = _node_attrs(node, node.uid in shown_outputs, node.uid in shown_highlight,
                            options, style)
        line = f"  {node.uid} [{_attrs(attrs)}];"
        if node.uid in box_of:  # an inner box keeps its nodes, in the labelled box or not
            in_box[box_of[node.uid]].append(line)
        elif node.uid in grouped:
            boxed.append(line)
        else:
            lines.append(line)
    tops = _entry_ranks(nodes, box_of, parent, stands_for, moved)

    def box_lines(k: int) -> list[str]:
        inside = in_box[k] + tops[k] + [line for c, p in enumerate(parent) if p == k
                              for line in box_lines(c)]
        return _cluster_lines(clusters[k][0], inside, f"inner{k}", _INNER) if inside else []

    # a top box all of whose nodes the labelled box names too is drawn inside it (a backward
    # scan's step in the gradient box): beside it, the step stood in columns of its own
    # and the boxes side by side made the LSTM's gradient 2455 pt wide (inside: 1766 pt)
    shown = {node.uid for node in nodes if node.kind == "op"}  # a box's own constants follow it
    outer = [k for k, top in enumerate(parent) if top is None]
    nested = [k for k in outer if set(clusters[k][1]) & shown
              and set(clusters[k][1]) & shown <= grouped]
    for k in nested:
        boxed += box_lines(k)
    if cluster and boxed:
        lines += _cluster_lines(cluster[0], boxed)
    for k in outer:
        lines += box_lines(k) if k not in nested else []
    for node in nodes:
        for k, (uid, port) in enumerate(zip(node.inputs, node.ports, strict=True)):
            drawn = moved.get(uid, uid)
            source = stands_for.get(drawn, drawn)
            attrs = {}
            if edge_labels or uid in moved:  # a node drawn on the edge keeps its name there
                words = [on_edges[uid]] if uid in moved else []
                words += [output_type(by_uid[uid], port) if uid in by_uid else "?"
                          ] if edge_labels else []
                text = " ".join(words)
                attrs["label"] = f"{k}: {text}" if len(node.inputs) > 1 else text
            if uid in moved:
                attrs["tooltip"] = moved_tips[uid]
            suffix = f" [{_attrs(attrs)}]" if attrs else ""
            lines.append(f"  {source} -> {node.uid}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"
