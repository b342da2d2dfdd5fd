"""The Graph, Gradient, Code and Profile views: plain functions of data, returning ``View``s.

Each builds stock ipywidgets (``HTML`` panes holding SVG from ``dot``, a ``Dropdown`` for code)
and the matching static HTML. The Passes view lives in ``passes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import ipywidgets as W
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import CLexer, CudaLexer, PythonLexer

from ..core.graph import Variable
from ..rewrite.trace import Snapshot, snapshot
from .dot import ERROR, GRADIENT, Style, snapshot_dot
from .graphdata import Collapsed, backward_uids, collapse, graph_snapshot, listing_text
from .layout import Drawings, fits_side_by_side, pane
from .render import FIT, svg_or_text
from .static import View, esc, format_seconds, heading, profile_table_html

COLLAPSE_AT = 300  # drawn records above which chains fold and constants go to tooltips
EDGE_LABELS_UP_TO = 24  # gradient drawings with more records leave edge types to tooltips
TOP_NODES = 8  # profile rows shown open; the rest sit in a collapsed section
HIGHLIGHT = ("#fef08a", "#ca8a04")
_GRAD_OF = re.compile(r"grad of (\d+)(?: \((.*)\))?")
_ELEMWISE = re.compile(r"Elemwise\{(\w+),[^}]*\}$")


def as_snapshot(graph: Any) -> Snapshot:
    """A Snapshot from a Snapshot, a compiled Function, a Variable or a list of Variables."""
    if isinstance(graph, Snapshot):
        return graph
    fgraph = getattr(getattr(graph, "maker", None), "fgraph", None)
    if fgraph is not None:
        return snapshot(fgraph)
    if isinstance(graph, Variable):
        return graph_snapshot([graph])
    if isinstance(graph, (list, tuple)) and all(isinstance(v, Variable) for v in graph):
        return graph_snapshot(list(graph))
    raise TypeError(f"cannot draw a {type(graph).__name__}; give a Function, a Snapshot or "
                    f"Variables")


def heat_colour(share: float) -> str:
    """White (no time) to deep orange (all the time), as a hex colour."""
    share = min(max(share, 0.0), 1.0)
    low, high = (255, 255, 255), (234, 88, 12)
    rgb = [round(a + (b - a) * share ** 0.5) for a, b in zip(low, high, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def drawing(snap: Snapshot, style: Style | None = None, heat: dict[int, float] | None = None,
            zoom: str = FIT) -> str:
    """HTML for one drawn graph at ``zoom`` (``render.FIT`` or ``render.ACTUAL``); big graphs
    fold chains first (marked nodes stay visible). ``heat`` (uid -> share of the time) colours
    the nodes and labels each ``#uid · share``; a folded chain gets the sum of its members."""
    style = style or Style()
    heat = dict(heat or {})
    folded = Collapsed(snap)
    if len(snap.nodes) > COLLAPSE_AT:
        folded = collapse(snap, keep=style.mark)
        if heat:  # a folded chain takes its members' summed time (no heat: no notes at all)
            for group, members in folded.chains.items():
                heat[group] = sum(heat.get(u, 0.0) for u in members)
    style.fill.update({uid: heat_colour(share) for uid, share in heat.items()})
    style.note.update({uid: f"#{uid} · {share:.1%}" for uid, share in heat.items()})
    dot = snapshot_dot(folded.snapshot, style, folded.chains)
    return svg_or_text(dot, listing_text(snap), zoom)


def legend(*items: tuple[str, tuple[str, str]]) -> str:
    chips = "".join(f'<span style="background:{fill};border:2px solid {border};padding:0 6px;'
                    f'margin-right:8px;border-radius:3px">{esc(name)}</span>'
                    for name, (fill, border) in items)
    return f'<div style="font-size:12px;margin:2px 0">{chips}</div>'


# -- Graph -------------------------------------------------------------------------------
def view_graph(graph: Any, highlight: Iterable[int] = (), error: str | None = None,
               title: str | None = None) -> View:
    """The (optimized) graph as SVG; ``highlight`` uids marked, in red when ``error`` is set.

    >>> f = nbgraph.function([x], T.exp(x) * 2)
    >>> view_graph(f)          # doctest: +SKIP
    """
    snap = as_snapshot(graph)
    marks = tuple(highlight)
    colours, css = (ERROR, "error") if error else (HIGHLIGHT, "highlight")
    style = Style(title=title).highlight(marks, colours, css)
    body = drawing(snap, style)
    note = (f'<pre style="color:#b91c1c;white-space:pre-wrap">{esc(error)}</pre>'
            if error else "")
    ops = sum(1 for rec in snap.nodes if rec.inputs)
    text = f"graph: {ops} nodes, {len(snap.outputs)} outputs"
    html_text = heading("Graph") + note + body
    drawn = Drawings(1)
    drawn.show(lambda zoom: [drawing(snap, style, zoom=zoom)])
    return View(W.VBox([pane(note), drawn.widget]), html_text, text)


# -- Gradient ----------------------------------------------------------------------------
def gradient_style(snap: Snapshot, n_forward: int) -> Style:
    """Backward nodes clustered and coloured, each noted with the forward node it came from."""
    backward = backward_uids(snap, n_forward)
    style = Style(cluster=("backward (gradient)", frozenset(backward)),
                  edge_labels=None if len(snap.nodes) <= EDGE_LABELS_UP_TO else False)
    present = {rec.uid for rec in snap.nodes}
    for rec in snap.nodes:
        found = _GRAD_OF.match(rec.origin) if rec.uid in backward else None
        if found is None:
            continue
        forward, op = int(found.group(1)), found.group(2) or ""
        scalar = _ELEMWISE.match(op)  # 'Elemwise{tanh,no_inplace}' -> 'tanh': a narrower box
        style.note[rec.uid] = f"∂ of #{forward} {scalar.group(1) if scalar else op}".rstrip()
        if forward in present:
            style.note.setdefault(forward, f"#{forward}")
    return style


def view_gradient(before: Any, after: Any = None, n_forward: int = 1) -> View:
    """Forward and backward graph, before and (if given) after optimization.

    ``before``/``after`` are Snapshots, Functions or Variables whose first ``n_forward``
    outputs are the forward outputs and the rest gradients. The two drawings sit side by side
    when both are narrow, else one above the other, each fitted to the full width (a toggle
    switches layout, another draws at actual size).

    >>> gx = T.grad(T.exp(x).sum(), x)
    >>> view_gradient([T.exp(x).sum(), gx])   # doctest: +SKIP
    """
    graphs = []
    for label, graph in (("before optimization", before), ("after optimization", after)):
        if graph is not None:
            snap = as_snapshot(graph)
            graphs.append((label, snap, gradient_style(snap, n_forward)))

    def draw(zoom: str) -> list[str]:
        return [heading(label) + drawing(snap, style, zoom=zoom) for label, snap, style in graphs]

    bodies = draw(FIT)
    side = len(bodies) > 1 and fits_side_by_side(bodies)
    key = legend(("backward (gradient) node", GRADIENT),
                 ("forward node", ("#ffffff", "#374151")))
    drawn = Drawings(len(bodies), side_by_side=side)
    drawn.show(draw)
    cells = "".join(f'<div style="flex:1;min-width:0">{body}</div>' for body in bodies)
    html_text = (heading("Gradient") + key
                 + (f'<div style="display:flex;gap:12px">{cells}</div>' if side else cells))
    return View(W.VBox([pane(key), drawn.widget]), html_text, "gradient graph")


def empty_view(title: str, message: str) -> View:
    body = f"<p><i>{esc(message)}</i></p>"
    return View(W.VBox([pane(body)]), heading(title) + body, f"{title}: {message}")


# -- Code --------------------------------------------------------------------------------
def lexer_for(code: str) -> Any:
    """Pygments lexer by content: CUDA kernels, C, else Python (the Python linker)."""
    if "__global__" in code or "blockIdx" in code:
        return CudaLexer()
    if "#include" in code or re.search(r"\b(void|double|float|int64_t)\b[^\n]*\(", code):
        return CLexer()
    return PythonLexer()


def highlight_code(code: str) -> str:
    return highlight(code, lexer_for(code), HtmlFormatter(noclasses=True))


def _code_entries(fn: Any) -> list[tuple[str, str]]:
    source = dict(getattr(fn, "source", None) or {}) if not isinstance(fn, dict) else fn
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    order = fgraph.toposort() if fgraph is not None else list(source)
    nodes = [n for n in order if n in source] + [n for n in source if n not in order]
    return [(f"node {getattr(n, 'uid', '?')}: {getattr(n, 'op', n)}", source[n]) for n in nodes]


def view_code(fn: Any) -> View:
    """Generated code per node (``fn.source``), syntax highlighted; pick a node to read.

    >>> view_code(nbgraph.function([x], T.exp(x) + 1))   # doctest: +SKIP
    """
    entries = _code_entries(fn)
    if not entries:
        return empty_view("Code", "no generated code for this function")
    rendered = {label: highlight_code(code) for label, code in entries}
    # open on the first fused kernel: that is the code worth reading
    first_label = next((label for label, _ in entries if "Composite" in label), entries[0][0])
    pick = W.Dropdown(options=[label for label, _ in entries], value=first_label,
                      description="node", layout=W.Layout(width="80%"))
    code = pane(rendered[first_label])

    def show(change: dict[str, Any]) -> None:
        code.value = rendered[change["new"]]

    pick.observe(show, names="value")
    html_text = heading("Code") + f"<p><code>{esc(first_label)}</code></p>" + \
        rendered[first_label]
    return View(W.VBox([pick, code]), html_text, f"code for {len(entries)} nodes")


# -- Profile -----------------------------------------------------------------------------
def profile_rows(fn: Any) -> list[tuple[int, str, int, float, float]]:
    """(uid, op, calls, seconds, share) per node from ``fn.profile``, slowest first."""
    stats = getattr(fn, "profile", None)
    if stats is None:
        return []
    return [(node.uid, str(node.op), calls, seconds, share)
            for node, calls, seconds, share in stats.rows()]


def heat_key() -> str:
    """The colour scale of the profile drawing, white (no time) to orange (all of it)."""
    stops = ", ".join(heat_colour(k / 4) for k in range(5))
    return ('<div style="font-size:12px;margin:4px 0;display:flex;align-items:center;gap:6px">'
            'share of the time: 0%<span style="display:inline-block;width:140px;height:10px;'
            f'border:1px solid #d1d5db;background:linear-gradient(to right, {stops})"></span>'
            "100%; each node is labelled <code>#uid · share</code></div>")


def _more_rows(rows: Sequence[tuple[int, str, int, float, float]]) -> W.Accordion:
    """The rows past ``TOP_NODES`` in a collapsed section titled with their count and share."""
    share = sum(row[4] for row in rows)
    title = f"{len(rows)} more nodes ({share:.1%} of the time)"
    return W.Accordion(children=[pane(profile_table_html(rows, timings=True))], titles=(title,),
                       selected_index=None, layout=W.Layout(width="auto"))


def view_profile(fn: Any) -> View:
    """Per-node calls, time per call and share: the slowest nodes as a table with bars (the
    rest collapsed), above the graph coloured by time.

    The static HTML keeps only the call counts (timings change on every run).

    >>> f = nbgraph.function([x], T.exp(x), profile=True); f(xv)
    >>> view_profile(f)   # doctest: +SKIP
    """
    rows = profile_rows(fn)
    if not rows:
        return empty_view("Profile", "no profile: run the cell with --profile "
                          "(or compile with profile=True and call the function)")
    snap = as_snapshot(fn)
    heat = {uid: share for uid, _, _, _, share in rows}
    style = Style()
    calls = getattr(fn.profile, "calls", 0)
    per_call = sum(row[3] for row in rows) / max(calls, 1)
    # one or two extra rows read better open than behind a fold
    top, rest = (rows, []) if len(rows) <= TOP_NODES + 2 else (rows[:TOP_NODES], rows[TOP_NODES:])
    shown = "every node" if not rest else f"the {len(top)} slowest of {len(rows)} nodes"
    info = (f"<p><b>{calls} calls</b>, {format_seconds(per_call)} per call in the nodes; "
            f"{shown}, slowest first (time per call of the node):</p>")
    drawn = Drawings(1)
    drawn.show(lambda zoom: [drawing(snap, style, heat=heat, zoom=zoom)])
    parts = [pane(info + profile_table_html(top, timings=True))]
    parts += [_more_rows(rest)] if rest else []
    parts += [pane(heat_key()), drawn.widget]
    html_text = heading("Profile") + profile_table_html(rows, timings=False)
    return View(W.VBox(parts), html_text, f"profile of {len(rows)} nodes")


def view_error(node: Any, err: BaseException) -> View:
    """The graph above a failing node (``err.node``), that node highlighted in red."""
    outputs: Sequence[Variable] = list(node.outputs)
    message = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return view_graph(outputs, highlight=[node.uid], error=message)
