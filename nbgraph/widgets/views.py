"""The Graph, Gradient, Code and Profile views: plain functions of data, returning ``View``s.

Each turns what it is given into a snapshot (``graphdata.drawable``) and a ``Picture``
(which nodes to mark, colour or box), and hands that to ``layout``: ``picture_html`` for the
static HTML, ``Drawings`` for the stock ipywidgets (``HTML`` panes holding SVG from ``dot``);
the Code view is a ``Dropdown``. The Passes view lives in ``passes.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

# ipywidgets ships no type information and types-Pygments is no dependency: mypy skips both
import ipywidgets as W  # type: ignore[import-untyped]
from pygments import highlight  # type: ignore[import-untyped]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]
from pygments.lexers import CLexer, CudaLexer, PythonLexer  # type: ignore[import-untyped]

from ..compile.memory import format_bytes, memory
from ..core.graph import Apply, Variable
from ..core.printing import inner_graphs, listing
from ..core.records import Snapshot
from ..link.jax_linker import jax_call_of
from .drawing import (
    CROWDED,
    EDGE_LABELS_UP_TO,
    ERROR,
    GRADIENT,
    HIGHLIGHT,
    Picture,
    Style,
    edge_views,
    has_gradient,
    heat_colour,
)
from .graphdata import backward_uids, drawable, scalar_name
from .inner_run import inner_functions, running_drawable
from .kernels import kernel_choices
from .layout import Drawings, empty_view, fits_side_by_side, pane, picture_html, toggle
from .memview import (
    byte_sizes,
    kept_for_backward,
    kept_line,
    memory_key,
    memory_style,
    own_bytes,
)
from .scopes import SCOPE, collapse_scopes, find, scope_names
from .static import LIGHT_BLOCK, View, esc, format_seconds, heading, legend, profile_table_html
from .timing import ProfileRow, Timing, graph_order, profile_rows

TOP_NODES = 8  # profile rows shown open; the rest sit in a collapsed section
INNER_SHOWN = 3  # of a scan step's (a branch's) rows, this many stay open under its node
_GRAD_OF = re.compile(r"grad of (\d+)(?: \((.*)\))?")


# -- Graph -------------------------------------------------------------------------------
def view_graph(graph: Any, highlight: Iterable[int] = (), error: str | None = None,
               title: str | None = None) -> View:
    """The (optimized) graph as SVG; ``highlight`` uids marked, in red when ``error`` is set.

    Above the drawing: ``find`` (a name, an op or ``#uid``: the matches are marked), when
    the graph has name scopes ``collapse`` (each chosen scope drawn as one node), and when
    the linker fused kernels ``kernels`` (each chosen kernel drawn opened into its nodes,
    the others one box each).
    ``view.parts`` names them: ``find``, ``found``, ``collapse``, ``kernels``, ``drawings``.

    >>> f = nbgraph.function([x], T.exp(x) * 2)
    >>> view_graph(f)          # doctest: +SKIP
    """
    snap, clusters = drawable(graph)
    colours, css = (ERROR, "error") if error else (HIGHLIGHT, "highlight")
    # a scan's step, an ifelse's branches, a scope are boxed; a graph with a gradient in it
    # (``%%symgraph --grad``) is as wide as the Gradient tab's, so drawn as narrow
    base = Style(title=title, clusters=tuple(clusters),
                 narrow=has_gradient(snap))
    base.highlight(highlight, colours, css)
    body = picture_html(Picture(snap, base))
    note = (f'<pre class="nbgraph-error" style="color:#b91c1c;white-space:pre-wrap">'
            f"{esc(error)}</pre>" if error else "")
    ops = sum(1 for rec in snap.nodes if rec.inputs)
    text = f"graph: {ops} nodes, {len(snap.outputs)} outputs"
    html_text = heading("Graph") + note + body
    drawn = Drawings(1)
    search = W.Text(placeholder="name, op or #uid", description="find",
                    continuous_update=False, layout=W.Layout(width="260px"))
    found = pane(width="auto")
    scopes = scope_names(clusters)
    collapse = W.SelectMultiple(options=scopes, description="collapse",
                                rows=min(4, max(len(scopes), 2)),  # one row would draw a dropdown
                                layout=W.Layout(display="" if scopes else "none"))
    # a kernel the linker fused (a reduction with its prologue) opens into its nodes, each
    # on its own (the chosen ones)
    choices = kernel_choices(graph)
    kernels = W.SelectMultiple(options=choices, description="open kernels",
                               rows=min(4, max(len(choices), 2)),
                               style={"description_width": "auto"},
                               layout=W.Layout(display="" if choices else "none"))

    def redraw(change: Any = None) -> None:
        now, boxes_now = drawable(graph, opened=kernels.value) if kernels.value \
            else (snap, clusters)
        shown, boxes = collapse_scopes(now, boxes_now, set(collapse.value))
        hits = find(shown, search.value)
        style = replace(base, mark=dict(base.mark), clusters=tuple(boxes))
        style.highlight(hits, HIGHLIGHT, "found")
        drawn.show([Picture(shown, style)])
        found.value = "" if not search.value.strip() else \
            f"{len(hits)} found " + node_list(shown, hits)

    redraw()
    search.observe(redraw, names="value")
    collapse.observe(redraw, names="value")
    kernels.observe(redraw, names="value")
    controls = W.HBox([search, found, collapse, kernels])
    parts = {"find": search, "found": found, "collapse": collapse, "kernels": kernels,
             "drawings": drawn}
    return View(W.VBox([pane(note), controls, drawn.widget]), html_text, text, parts,
                plain=f"{text}\n{listing(snap)}")


def node_list(snap: Snapshot, uids: Sequence[int], limit: int = 8) -> str:
    """``#12 dot, #15 tanh, …``: the first ``limit`` of ``uids`` with their labels."""
    labels = {rec.uid: rec.label for rec in snap.nodes}
    shown = ", ".join(f"#{uid} {esc(labels[uid][:24])}" for uid in uids[:limit])
    return f"<small>{shown}{', …' if len(uids) > limit else ''}</small>"


# -- Gradient ----------------------------------------------------------------------------
def gradient_style(snap: Snapshot, n_forward: int,
                   boxes: Sequence[tuple[str, frozenset[int]]] = ()) -> Style:
    """Backward nodes clustered and coloured, each noted with the forward node it came from;
    ``boxes`` (inner graphs, scopes) are drawn too, and keep their own nodes (a backward
    scan's step stays in its step's box, drawn inside the backward box; a name scope's box
    stays outside it: a 4-layer MLP's gradient was 20 pt wider), drawn ``narrow`` (backward
    under forward, ops as rounded boxes)."""
    backward = backward_uids(snap, n_forward)
    scoped = {uid for label, box in boxes if label.startswith(SCOPE) for uid in box}
    style = Style(cluster=("backward (gradient)", frozenset(backward - scoped)),
                  clusters=tuple(boxes),
                  edge_labels=None if len(snap.nodes) <= EDGE_LABELS_UP_TO else False,
                  narrow=True)
    present = {rec.uid for rec in snap.nodes}
    # a crowded drawing leaves the notes to the tooltips (``grad of #1487 Scan``): the LSTM's
    # gradient by W has 63 of them, wider than most labels, and their width grew with the uids'
    # digits (1028 pt with 4-digit uids, 1207 pt with 6: wider than the page)
    short = len(snap.nodes) > CROWDED
    for rec in snap.nodes:
        found = _GRAD_OF.match(rec.origin) if rec.uid in backward else None
        if found is None:
            continue
        forward, op = int(found.group(1)), found.group(2) or ""
        words = f"∂ of #{forward} {scalar_name(op) or op}".rstrip()
        if short:
            style.tooltip[rec.uid] = words
            continue
        style.note[rec.uid] = words
        if forward in present:
            style.note.setdefault(forward, f"#{forward}")
    return style


def view_gradient(before: Any, after: Any = None, n_forward: int = 1) -> View:
    """Forward and backward graph, before and (if given) after optimization.

    ``before``/``after`` are Snapshots, Functions or Variables whose first ``n_forward``
    outputs are the forward outputs and the rest gradients. The two drawings sit side by side
    when both are narrow, else one above the other, each fitted to the full width (a toggle
    switches layout, another draws at actual size). When ``after`` is a Function that ran,
    a toggle colours it by output bytes, the forward values the backward pass reads (kept
    alive: reverse mode's memory cost) outlined; the static HTML adds that drawing.

    >>> gx = T.grad(T.exp(x).sum(), x)
    >>> view_gradient([T.exp(x).sum(), gx])   # doctest: +SKIP
    """
    pictures = []
    for label, graph in (("before optimization", before), ("after optimization", after)):
        if graph is not None:
            snap, clusters = drawable(graph)
            style = gradient_style(snap, n_forward, clusters)
            pictures.append(Picture(snap, style, caption=label))
    # reverse mode's memory: the compiled graph by output bytes, activations kept outlined
    sizes = byte_sizes(after) if getattr(after, "maker", None) is not None else {}
    by_bytes = None
    if sizes:  # what ran: inner functions opened as compiled, whose values were measured
        ran, boxes = running_drawable(after)
        kept = kept_for_backward(ran, n_forward)
        style = memory_style(gradient_style(ran, n_forward, boxes),
                             sizes, kept, own_bytes(after))
        by_bytes = Picture(ran, style, caption="after optimization, by output bytes")
    bodies = [picture_html(picture) for picture in pictures]
    side = len(bodies) > 1 and fits_side_by_side(bodies)
    key = legend(("backward (gradient) node", GRADIENT),
                 ("forward node", ("#ffffff", "#374151")))
    mem_key = memory_key(sizes, kept=True, fn=after) if by_bytes is not None else ""
    drawn = Drawings(len(bodies), side_by_side=side)
    keys = pane(key)
    colour = toggle(("forward/backward", "output bytes"), "forward/backward", "colour by")
    colour.layout.display = "" if by_bytes is not None else "none"

    def recolour(change: Any = None) -> None:
        bytes_now = by_bytes is not None and colour.value == "output bytes"
        drawn.show(pictures[:-1] + [by_bytes] if bytes_now and by_bytes else pictures)
        keys.value = key + mem_key if bytes_now else key

    recolour()
    colour.observe(recolour, names="value")
    cells = "".join(f'<div style="flex:1;min-width:0">{body}</div>' for body in bodies)
    memory_part = (mem_key + picture_html(by_bytes)) if by_bytes is not None else ""
    html_text = (heading("Gradient") + key
                 + (f'<div style="display:flex;gap:12px">{cells}</div>' if side else cells)
                 + memory_part)
    plain = "gradient graph\n" + "\n".join(
        f"{picture.caption}:\n{listing(picture.snapshot)}" for picture in pictures)
    # in %%symgraph: the symbolic gradient and the kept activations in words (the
    # optimized graph is the Graph section; a second drawing would double the output)
    summary = heading("Gradient") + key + bodies[0] + (
        kept_line(by_bytes.snapshot, sizes, n_forward) if by_bytes is not None else "")
    return View(W.VBox([W.HBox([colour]), keys, drawn.widget]), html_text, "gradient graph",
                plain=plain, summary=summary)


# -- Code --------------------------------------------------------------------------------
def lexer_for(code: str) -> Any:
    """Pygments lexer by content: CUDA kernels, C, else Python (the Python linker)."""
    if "__global__" in code or "blockIdx" in code:
        return CudaLexer()
    if "#include" in code or re.search(r"\b(void|double|float|int64_t)\b[^\n]*\(", code):
        return CLexer()
    return PythonLexer()


def highlight_code(code: str) -> str:
    """Highlighted code on a light block in either theme (Pygments' colours are made for
    a light background; plain identifiers would take a dark theme's light text)."""
    # the <pre> gets the dark text itself: JupyterLab's dark theme styles <pre> directly
    formatter = HtmlFormatter(noclasses=True, prestyles="color:#111827")
    body = highlight(code, lexer_for(code), formatter)
    return f'<div class="nbgraph-code" style="{LIGHT_BLOCK}">{body}</div>'


def code_entries(fn: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(label, code) per node in run order; a node with inner graphs gives its inner
    functions' entries instead of its own ``perform``. A function with a ``code_text()``
    method (another backend: a jaxpr) gives that text instead, as one entry or by label."""
    call = None if isinstance(fn, dict) else jax_call_of(fn)
    if call is not None:  # the JAX linker: one XLA program (jaxpr, then StableHLO)
        return [(prefix + label, code) for label, code in call.code_views()]
    hook = getattr(fn, "code_text", None)
    if callable(hook):
        text = hook()
        return [(prefix + "code", text)] if isinstance(text, str) else \
            [(prefix + label, code) for label, code in dict(text).items()]
    source = dict(getattr(fn, "source", None) or {}) if not isinstance(fn, dict) else fn
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    order = fgraph.toposort() if fgraph is not None else list(source)
    # a node with inner graphs (an ifelse) may have no source of its own: its inner ones
    nodes = [n for n in order if n in source or (isinstance(n, Apply) and inner_graphs(n))]
    nodes += [n for n in source if n not in order]
    entries = []
    for n in nodes:
        label = f"{prefix}node {getattr(n, 'uid', '?')}: {getattr(n, 'op', n)}"
        if isinstance(n, Apply) and inner_graphs(n):
            inner = inner_functions(n)
            for name, step in inner:
                entries += code_entries(step, f"{label} › {name} › ")
            if inner:
                continue
            entries.append((label, "# its inner graph is compiled on the first call: run the "
                            "cell with --profile or --inputs to see its kernels\n"))
            continue
        entries.append((label, source.get(n, "")))
    return entries


def view_code(fn: Any) -> View:
    """Generated code per node (``fn.source``), syntax highlighted; pick a node to read.

    >>> view_code(nbgraph.function([x], T.exp(x) + 1))   # doctest: +SKIP
    """
    entries = code_entries(fn)
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
    text = f"code for {len(entries)} nodes"
    plain = text + "\n" + "\n".join(label for label, _ in entries)
    return View(W.VBox([pick, code]), html_text, text, plain=plain)


# -- Profile -----------------------------------------------------------------------------
def heat_key() -> str:
    """The colour scale of the profile drawing, white (no time) to orange (all of it)."""
    stops = ", ".join(heat_colour(k / 4) for k in range(5))
    return ('<div style="font-size:12px;margin:4px 0;display:flex;align-items:center;gap:6px">'
            'share of the time: 0%<span style="display:inline-block;width:140px;height:10px;'
            f'border:1px solid #d1d5db;background:linear-gradient(to right, {stops})"></span>'
            "100%; each node is labelled <code>#uid · share</code></div>")


def open_rows(rows: Sequence[ProfileRow]) -> tuple[list[ProfileRow], list[ProfileRow]]:
    """The rows shown open and those folded: the ``TOP_NODES`` slowest outer rows, each with
    its ``INNER_SHOWN`` slowest inner rows (a long scan step would hide the other nodes);
    one or two extra rows read better open than behind a fold."""
    if len(rows) <= TOP_NODES + 2:
        return list(rows), []
    top: list[ProfileRow] = []
    rest: list[ProfileRow] = []
    outer = inner = 0
    for row in rows:
        if not row.within:
            outer, inner = outer + 1, 0
        else:
            inner += 1
        shown = outer <= TOP_NODES and (not row.within or inner <= INNER_SHOWN)
        (top if shown else rest).append(row)
    return top, rest


def _more_rows(rows: Sequence[ProfileRow], edges: Mapping[int, str]) -> W.Accordion:
    """The rows past ``TOP_NODES`` in a collapsed section titled with their count and share."""
    share = sum(row.share for row in rows)
    title = f"{len(rows)} more nodes ({share:.1%} of the time)"
    return W.Accordion(children=[pane(profile_table_html(rows, timings=True, edges=edges))],
                       titles=(title,),
                       selected_index=None, layout=W.Layout(width="auto"))


def _memory_line(fn: Any) -> str:
    """The memory the last call's values take (``fn.memory()``), in words; '' without one."""
    try:
        report = memory(fn)
    except (RuntimeError, AttributeError, KeyError):
        return ""
    return (f"<p>Memory: the intermediate values take {format_bytes(report.held)}; in this "
            f"order, freeing each value after its last reader, at most "
            f"{format_bytes(report.peak)} are live at once"
            + (f" (after #{report.peak_uid})" if report.peak_uid is not None else "")
            + ".</p>")


def view_profile(fn: Any, timing: Timing | None = None) -> View:
    """Per box (a node or a kernel) calls, time per call and share: the slowest boxes as a
    table with bars (the rest collapsed; a scan step's or a branch's nodes as ``↳`` rows
    after their node), above the graph coloured by time or by output bytes (a toggle), the
    inner functions opened as they were compiled and timed.

    ``timing`` (``timing.time_calls``: a warm-up call, then a budget of timed calls) gives the
    min and median per call; without it the totals in ``fn.profile`` give the mean. The
    static HTML keeps only the timed boxes (timings change on every run) and the drawing
    coloured by output bytes.

    >>> f = nbgraph.function([x], T.exp(x), profile=True)
    >>> view_profile(f, time_calls(f, [xv], calls=20))   # doctest: +SKIP
    """
    rows = profile_rows(fn, timing)
    if not rows:
        return empty_view("Profile", "no profile: run the cell with --profile "
                          "(or compile with profile=True and call the function)")
    snap, clusters = running_drawable(fn)  # inner functions opened as they ran, timed
    heat = {row.uid: row.share for row in rows}
    sizes, own = byte_sizes(fn), own_bytes(fn)
    calls = timing.calls if timing is not None else getattr(fn.profile, "calls", 0)
    outer = [row for row in rows if not row.within]  # inner time is part of its outer row's
    per_call = sum(row.per_call for row in outer)
    top, rest = open_rows(rows)
    shown = "every node" if not rest else f"the slowest {len(top)} of {len(rows)} rows"
    how = ("after one warm-up call; median" if timing is not None else "mean")
    inner = " (↳: inside a scan's step or a branch, part of its node's time)" \
        if len(outer) < len(rows) else ""
    info = (f"<p><b>{calls} timed calls</b> ({how}), {format_seconds(per_call)} per call in "
            f"the nodes; {shown}, slowest first (a kernel is one row){inner}:</p>"
            + _memory_line(fn))
    drawn = Drawings(1)
    narrow = has_gradient(snap)  # a compiled gradient: as narrow as the Gradient tab's
    by_time, by_bytes = Picture(snap, Style(clusters=tuple(clusters), narrow=narrow),
                                heat=heat), \
        Picture(snap, memory_style(Style(clusters=tuple(clusters), narrow=narrow), sizes,
                                   own=own))
    edges = edge_views(by_time)  # the table says which rows the drawing shows on an edge
    key = pane(heat_key())
    colour = toggle(("time", "output bytes"), "time", "colour by")

    def recolour(change: Any = None) -> None:
        drawn.show([by_time if colour.value == "time" else by_bytes])
        key.value = heat_key() if colour.value == "time" else memory_key(sizes, fn=fn)

    recolour()
    colour.observe(recolour, names="value")
    parts = [pane(info + profile_table_html(top, timings=True, edges=edges))]
    parts += [_more_rows(rest, edges)] if rest else []
    parts += [W.HBox([colour]), key, drawn.widget]
    # static: the timed boxes, and the graph coloured by output bytes (the same on every
    # run, unlike times), each timed box noted with its uid
    plain_style = memory_style(Style(clusters=tuple(clusters), narrow=narrow,
                                     note={row.uid: f"#{row.uid}" for row in rows}), sizes,
                               own=own)
    html_text = (heading("Profile") + profile_table_html(rows, timings=False, edges=edges)
                 + memory_key(sizes, fn=fn) + picture_html(Picture(snap, plain_style)))
    text = f"profile of {len(rows)} nodes"
    # in %%symgraph the Graph section draws the outer boxes; the table names the timed ones
    summary = (heading("Profile") + profile_table_html(rows, timings=False, edges=edges)
               + "<p><i>The boxes are those of the Graph section (a scan's step or a "
                 "branch as compiled); run the notebook for the timings.</i></p>")
    plain = text + "\n" + "\n".join(
        f"{'  ↳ ' + row.within + ' › ' if row.within else ''}#{row.uid} {row.op}"
        for row in graph_order(rows))
    return View(W.VBox(parts), html_text, text, plain=plain, summary=summary)


def view_error(node: Any, err: BaseException) -> View:
    """The graph above a failing node (``err.node``), that node highlighted in red."""
    outputs: Sequence[Variable] = list(node.outputs)
    message = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    return view_graph(outputs, highlight=[node.uid], error=message)
