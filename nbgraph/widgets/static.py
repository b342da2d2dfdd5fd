"""Static HTML for every displayed view, and ``View``: a widget whose mimebundle carries it.

JupyterLab shows the widget; nbconvert, nbval and GitHub see the ``text/html`` part. The static
part holds no timings, so re-running a notebook gives the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from .steps import Step

GREY = "#9ca3af"
TABLE = ('<table class="nbgraph-table" style="border-collapse:collapse;font-size:12px;'
         'font-family:Helvetica,Arial,sans-serif">')
CELL = 'style="padding:2px 8px;border-bottom:1px solid #e5e7eb;text-align:left"'


class View:
    """A view: ``widget`` for a live front end, ``html`` for everything else.

    >>> View(widget, "<p>graph</p>", "graph of 3 nodes")  # doctest: +SKIP
    """

    def __init__(self, widget: Any, html_text: str, text: str):
        self.widget = widget
        self.html = html_text
        self.text = text

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_()) if self.widget is not None else {}
        bundle["text/html"] = self.html
        bundle["text/plain"] = self.text
        return bundle

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text


def esc(text: object) -> str:
    return html.escape(str(text))


def heading(text: str) -> str:
    return (f'<h4 style="margin:6px 0 2px 0;font-family:Helvetica,Arial,sans-serif">'
            f"{esc(text)}</h4>")


def table(header: Sequence[str], rows: Sequence[Sequence[str]],
          row_styles: Sequence[str] | None = None) -> str:
    """An HTML table; cells are already HTML, ``row_styles`` are inline CSS per row."""
    head = "".join(f"<th {CELL}>{esc(h)}</th>" for h in header)
    body = []
    for k, row in enumerate(rows):
        css = row_styles[k] if row_styles else ""
        cells = "".join(f"<td {CELL}>{c}</td>" for c in row)
        body.append(f'<tr style="{css}">{cells}</tr>')
    return f"{TABLE}<tr>{head}</tr>{''.join(body)}</table>"


def rule_counts(rules: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"<code>{esc(rule)}</code>&nbsp;×{count}" for rule, count in rules)


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
            css += ";background:#eff6ff"
        styles.append(css)
    return table(["#", "pass", "rewrites", "rules applied (times fired)"], rows, styles)


def share_bar(share: float, width: int = 160) -> str:
    filled = max(1, round(share * width)) if share > 0 else 0
    return (f'<div style="width:{width}px;background:#f3f4f6;height:10px">'
            f'<div style="width:{filled}px;background:#ea580c;height:10px"></div></div>')


def op_cell(op: str, limit: int = 60) -> str:
    short = op if len(op) <= limit else op[: limit - 1] + "…"
    return f'<code title="{esc(op)}">{esc(short)}</code>'


def profile_table_html(rows: Sequence[tuple[int, str, int, float, float]],
                       timings: bool) -> str:
    """Per-node calls (and, live, time, share and bars) as (uid, op, calls, seconds, share).

    With ``timings=False`` the rows keep graph order and show only counts, so the static
    output is the same on every run.
    """
    if not rows:
        return "<p><i>No profile: run the cell with <code>--profile</code>.</i></p>"
    if not timings:
        body = [[str(uid), op_cell(op), str(calls)]
                for uid, op, calls, _, _ in sorted(rows)]
        return table(["node", "op", "calls"], body)
    body = [[str(uid), op_cell(op), str(calls), f"{seconds * 1e6:.1f} µs",
             f"{share:.1%}", share_bar(share)] for uid, op, calls, seconds, share in rows]
    return table(["node", "op", "calls", "time", "share", ""], body)
