"""The Graph, Gradient, Code and Profile views: plain functions of data, returning ``View``s.

Each turns what it is given into a snapshot (``graphdata.as_snapshot``) and a ``Picture``
(which nodes to mark, colour or box), and hands that to ``layout``: ``picture_html`` for the
static HTML, ``Drawings`` for the stock ipywidgets (``HTML`` panes holding SVG from ``dot``);
the Code view is a ``Dropdown``. The Passes view lives in ``passes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# ipywidgets ships no type information and types-Pygments is no dependency: mypy skips both
import ipywidgets as W  # type: ignore[import-untyped]
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import CLexer, CudaLexer, PythonLexer  # type: ignore[import-untyped]

from ..core.graph import Variable
from ..core.records import Snapshot
from ..link.jax_linker import jax_call_of
from .drawing import ERROR, GRADIENT, HIGHLIGHT, Picture, Style, heat_colour
from .graphdata import as_snapshot, backward_uids
from .layout import Drawings, empty_view, fits_side_by_side, pane, picture_html
from .static import View, esc, format_seconds, heading, legend, profile_table_html

EDGE_LABELS_UP_TO = 24  # gradient drawings with more records leave edge types to tooltips
TOP_NODES = 8  # profile rows shown open; the rest sit in a collapsed section
_GRAD_OF = re.compile(r"grad of (\d+)(?: \((.*)\))?")
_ELEMWISE = re.compile(r"Elemwise\{(\w+),[^}]*\}$")


# -- Graph -------------------------------------------------------------------------------
def view_graph(graph: Any, highlight: Iterable[int] = (), error: str | None = None,
               title: str | None = None) -> View:
    """The (optimized) graph as SVG; ``highlight`` uids marked, in red when ``error`` is set.

    >>> f = nbgraph.function([x], T.exp(x) * 2)
    >>> view_graph(f)          # doctest: +SKIP
    """
    snap = as_snapshot(graph)
    colours, css = (ERROR, "error") if error else (HIGHLIGHT, "highlight")
    picture = Picture(snap, Style(title=title).highlight(highlight, colours, css))
    body = picture_html(picture)
    note = (f'<pre style="color:#b91c1c;white-space:pre-wrap">{esc(error)}</pre>'
            if error else "")
    ops = sum(1 for rec in snap.nodes if rec.inputs)
    text = f"graph: {ops} nodes, {len(snap.outputs)} outputs"
    html_text = heading("Graph") + note + body
    drawn = Drawings(1)
    drawn.show([picture])
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
    pictures = []
    for label, graph in (("before optimization", before), ("after optimization", after)):
        if graph is not None:
            snap = as_snapshot(graph)
            pictures.append(Picture(snap, gradient_style(snap, n_forward), caption=label))
    bodies = [picture_html(picture) for picture in pictures]
    side = len(bodies) > 1 and fits_side_by_side(bodies)
    key = legend(("backward (gradient) node", GRADIENT),
                 ("forward node", ("#ffffff", "#374151")))
    drawn = Drawings(len(bodies), side_by_side=side)
    drawn.show(pictures)
    cells = "".join(f'<div style="flex:1;min-width:0">{body}</div>' for body in bodies)
    html_text = (heading("Gradient") + key
                 + (f'<div style="display:flex;gap:12px">{cells}</div>' if side else cells))
    return View(W.VBox([pane(key), drawn.widget]), html_text, "gradient graph")


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
    call = None if isinstance(fn, dict) else jax_call_of(fn)
    if call is not None:  # the JAX linker: one XLA program (jaxpr, then StableHLO)
        return call.code_views()
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
    picture = Picture(as_snapshot(fn), heat={uid: share for uid, _, _, _, share in rows})
    calls = getattr(fn.profile, "calls", 0)
    per_call = sum(row[3] for row in rows) / max(calls, 1)
    # one or two extra rows read better open than behind a fold
    top, rest = (rows, []) if len(rows) <= TOP_NODES + 2 else (rows[:TOP_NODES], rows[TOP_NODES:])
    shown = "every node" if not rest else f"the {len(top)} slowest of {len(rows)} nodes"
    info = (f"<p><b>{calls} calls</b>, {format_seconds(per_call)} per call in the nodes; "
            f"{shown}, slowest first (time per call of the node):</p>")
    drawn = Drawings(1)
    drawn.show([picture])
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
