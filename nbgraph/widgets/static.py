"""Static HTML for every displayed view, and ``View``: a widget whose mimebundle carries it.

JupyterLab shows the widget; nbconvert, nbval and GitHub see the ``text/html`` part. The static
part holds no timings, so re-running a notebook gives the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from IPython.display import display

from .steps import Step, rule_info
from .timing import ProfileRow, graph_order

GREY = "#9ca3af"
LIGHT_BLOCK = "background:#f9fafb;color:#111827;padding:4px"  # code and diffs, either theme
# Both JupyterLab themes: text, edges and captions drawn on the page's own background take
# the theme's colours (its CSS variables, with light-theme fallbacks elsewhere); node fills
# are pastel in both themes, so node text stays dark.
THEME_CSS = (
    "<style>"
    ".nbgraph-svg svg text{font-family:Helvetica,Arial,sans-serif}"
    ".nbgraph-svg svg .edge path{stroke:var(--jp-ui-font-color2,#555)}"
    ".nbgraph-svg svg .edge polygon{stroke:var(--jp-ui-font-color2,#555);"
    "fill:var(--jp-ui-font-color2,#555)}"
    ".nbgraph-svg svg .edge text,.nbgraph-svg svg>g>text,.nbgraph-svg svg .cluster text"
    "{fill:var(--jp-ui-font-color1,#222)}"
    ".nbgraph-safe{color:var(--jp-success-color1,#166534)}"
    "</style>")
TABLE = ('<table class="nbgraph-table" style="border-collapse:collapse;font-size:12px;'
         'font-family:Helvetica,Arial,sans-serif">')
CELL = ('style="padding:2px 8px;border-bottom:1px solid var(--jp-border-color2,#e5e7eb);'
        'text-align:left"')
NOWRAP_CELL = CELL[:-1] + ';white-space:nowrap"'


# In JupyterLab the live widget renders (a drawn VBox or Tab has class ``widget-box`` or
# ``widget-tab``; nbconvert's HTML gives even an undrawn widget output ``jupyter-widgets``)
# and the static output right after it hides; where no widget is drawn (nbconvert's HTML
# offline, GitHub), the static output shows.
HIDE_STATIC_AFTER_WIDGET = (
    "<style>.jp-OutputArea-child:has(.widget-box,.widget-tab)+.jp-OutputArea-child"
    " .nbgraph-static{display:none}</style>")


class View:
    """A view: ``widget`` for a live front end, ``html`` for everything else.

    Displayed, it is two outputs: the widget (a front end with widgets draws it), then the
    static HTML (``html``, whose ``text/plain`` part ``plain`` holds the view's text: the
    listing, the pass table, the profile rows, which nbval compares). The static one hides
    itself after a drawn widget, so JupyterLab shows the widget alone and nbconvert's HTML
    (whose stored widget state needs JavaScript from the web) still shows the drawings.

    >>> View(widget, "<p>graph</p>", "graph of 3 nodes")  # doctest: +SKIP
    """

    def __init__(self, widget: Any, html_text: str, text: str,
                 parts: dict[str, Any] | None = None, plain: str | None = None,
                 summary: str | None = None):
        self.widget = widget
        self.html = html_text
        self.text = text
        self.plain = clip_lines(plain if plain is not None else text)
        self.summary = summary if summary is not None else html_text  # its part of %%symgraph
        self.parts = dict(parts or {})  # named inner widgets: view.parts["slider"].value = 2

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_()) if self.widget is not None else {}
        bundle["text/html"] = self.html
        bundle["text/plain"] = self.text
        return bundle

    def static_bundle(self) -> dict[str, str]:
        """The second output: the static HTML (hidden after a drawn widget) and the text."""
        return {"text/html": f'{HIDE_STATIC_AFTER_WIDGET}<div class="nbgraph-static">'
                             f"{self.html}</div>", "text/plain": self.plain}

    def _ipython_display_(self) -> None:
        if self.widget is not None:
            widget = dict(self.widget._repr_mimebundle_())
            widget["text/plain"] = self.text
            display(widget, raw=True)
        display(self.static_bundle(), raw=True)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


PLAIN_LINES = 60  # a view's text part keeps this many lines (a 2,000-node listing would not)


def clip_lines(text: str, limit: int = PLAIN_LINES) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit] + [f"... ({len(lines) - limit} more lines)"])


def esc(text: object) -> str:
    return html.escape(str(text))


def heading(text: str) -> str:
    return (f'<h4 style="margin:6px 0 2px 0;font-family:Helvetica,Arial,sans-serif">'
            f"{esc(text)}</h4>")


def legend(*items: tuple[str, tuple[str, str]]) -> str:
    """Colour chips, one per ``(name, (fill, border))``, explaining a drawing's marks."""
    chips = "".join(f'<span style="background:{fill};color:#111827;border:2px solid {border};'
                    f'padding:0 6px;'
                    f'margin-right:8px;border-radius:3px">{esc(name)}</span>'
                    for name, (fill, border) in items)
    return f'<div style="font-size:12px;margin:2px 0">{chips}</div>'


def table(header: Sequence[str], rows: Sequence[Sequence[str]],
          row_styles: Sequence[str] | None = None, nowrap: bool = False) -> str:
    """An HTML table; cells are already HTML, ``row_styles`` are inline CSS per row.

    ``nowrap`` keeps every cell on one line (numbers with units must not break).
    """
    cell = NOWRAP_CELL if nowrap else CELL
    head = "".join(f"<th {cell}>{esc(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        css = row_styles[k] if row_styles else ""
        cells = "".join(f"<td {cell}>{c}</td>" for c in row)
        body.append(f'<tr style="{css}">{cells}</tr>')
    return f"{TABLE}<tr>{head}</tr>{''.join(body)}</table>"


UNSAFE_BADGE = ('<span style="color:#fff;background:#b91c1c;border-radius:3px;padding:0 4px;'
                'font-size:11px" title="{why}">unsafe</span>')


def rule_name(rule: str) -> str:
    """A rule's name in code type; hovering shows its description (and why it is unsafe)."""
    info = rule_info(rule)
    tip = info.description + (f"\nunsafe: {info.unsafe}" if info.unsafe else "")
    badge = "&nbsp;" + UNSAFE_BADGE.format(why=esc(info.unsafe)) if info.unsafe else ""
    return f'<code title="{esc(tip)}" style="cursor:help">{esc(rule)}</code>{badge}'


def rule_counts(rules: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{rule_name(rule)}&nbsp;×{count}" for rule, count in rules)


def pass_list_html(steps: Sequence[Step], current: int | None = None) -> str:
    """Every pass with its event count and rules; unchanged passes greyed, never hidden."""
    if not steps:
        return "<p><i>No rewrite trace: this function was compiled without rewrites.</i></p>"
    rows, styles = [], []
    for step in steps:
        mark = "▶ " if step.index == current else ""
        rules = rule_counts([(r.rule, r.count) for r in step.rules()]) or "no change"
        rows.append([str(step.index + 1), f"{mark}<b>{esc(step.name)}</b>",
                     str(len(step.events)), rules])
        css = "" if step.changed else f"color:{GREY}"
        if step.index == current:
            css += ";outline:2px solid #3b82f6"
        styles.append(css)
    return table(["#", "pass", "rewrites", "rules applied (times fired)"], rows, styles)


def share_bar(share: float, width: int = 120) -> str:
    filled = max(1, round(share * width)) if share > 0 else 0
    return (f'<div style="width:{width}px;background:#f3f4f6;height:10px">'
            f'<div style="width:{filled}px;background:#ea580c;height:10px"></div></div>')


def op_cell(op: str, limit: int = 44) -> str:
    short = op if len(op) <= limit else op[: limit - 1] + "…"
    return f'<code title="{esc(op)}">{esc(short)}</code>'


def row_op(row: ProfileRow, edge: str = "") -> str:
    """A row's op; an inner node's is indented under the node that ran it (``↳ #39 Scan
    step ›``), its time being part of that node's; one the drawing shows on its edges
    (``edge``: ``w2ᵀ``) says so."""
    on_edge = (f'<span style="opacity:.75"> · drawn on the edge {esc(edge)}</span>'
               if edge else "")
    if not row.within:
        return op_cell(row.op) + on_edge
    return (f'<span style="padding-left:12px;opacity:.75">↳ {esc(row.within)} › </span>'
            + op_cell(row.op, limit=36) + on_edge)


def format_seconds(seconds: float) -> str:
    """A duration with 3 significant digits in s, ms, µs or ns: ``format_seconds(2.5e-5)``
    is ``'25.0 µs'``."""
    units = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))
    # the largest unit the value rounds to at least 1 in: 999.7 µs reads '1.00 ms'
    unit, scale = next((u for u in units if seconds >= u[1] * (1 - 5e-4)), units[-1])
    value = seconds / scale
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def profile_table_html(rows: Sequence[ProfileRow], timings: bool,
                       edges: Mapping[int, str] | None = None) -> str:
    """Per-box calls (and, live, min and median time per call, share and bars) from
    ``timing.ProfileRow``s; rows known only by totals show the mean in both columns' place.

    With ``timings=False`` the rows keep graph order and show only what was timed (no
    numbers: a time budget changes the call count), so the static output is the same on
    every run. ``edges`` names the rows the drawing shows on an edge (uid -> ``w2ᵀ``).
    """
    edges = edges or {}

    def op(row: ProfileRow) -> str:
        return row_op(row, edges.get(row.uid, ""))

    if not rows:
        return "<p><i>No profile: run the cell with <code>--profile</code>.</i></p>"
    if not timings:
        body = [[f"#{row.uid}", op(row)] for row in graph_order(rows)]
        return table(["node", "op (timed: run the cell for the numbers)"], body, nowrap=True)
    if all(row.median is None for row in rows):
        body = [[f"#{row.uid}", op(row), str(row.calls), format_seconds(row.mean),
                 f"{row.share:.1%}", share_bar(row.share)] for row in rows]
        return table(["node", "op", "calls", "mean per call", "share", ""], body, nowrap=True)
    body = [[f"#{row.uid}", op(row), str(row.calls), format_seconds(row.best or 0.0),
             format_seconds(row.per_call), f"{row.share:.1%}", share_bar(row.share)]
            for row in rows]
    return table(["node", "op", "calls", "min", "median", "share", ""], body, nowrap=True)
