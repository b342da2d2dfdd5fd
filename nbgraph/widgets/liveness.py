"""Which values are alive when: a liveness timeline of a compiled function's storage plan.

``draw_liveness(fn)`` (or ``draw_liveness(fn.memory())``) draws one row per buffer that owns
bytes (``MemoryReport.buffers``), in the VM's run order: a bar from the step that makes the
value to its last reader, a tick at each step that reads it. Forward values that a backward
(``grad``-made) node reads are drawn in orange: the activations reverse mode keeps alive. Below
the rows, the live bytes per step, with the peak marked; its number is ``fn.memory().peak``.

The SVG is self-contained (its own light panel, no CSS from the page), so it reads the same in
JupyterLab's light and dark themes, in nbconvert's HTML and on GitHub.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from ..compile.memory import Buffer, MemoryReport, format_bytes, memory
from .graphdata import scalar_name

# (fill, border) of each kind of row, and the words the legend gives it
KINDS = {
    "forward": (("#bfdbfe", "#2563eb"), "forward value, freed in the forward pass"),
    "kept": (("#fdba74", "#c2410c"), "forward value kept alive for the backward pass"),
    "backward": (("#ddd6fe", "#7c3aed"), "backward (gradient) value"),
    "output": (("#bbf7d0", "#15803d"), "output: alive until the call returns"),
}
PANEL = ("#ffffff", "#d1d5db", "#111827", "#6b7280")  # background, frame, text, muted text
PEAK = "#dc2626"
ROW, BAR, CHART, LABEL_CHARS = 13, 9, 70, 26
_ACC = re.compile(r"(\{acc_dtype=\w+\}|, acc_dtype=\w+)")


@dataclass(frozen=True)
class Liveness:
    """A drawn timeline: ``svg``, each buffer's ``kinds`` entry (``(uid, output) -> kind``),
    the live bytes after each step (``live``) and the ``peak``, equal to the report's."""

    svg: str
    kinds: dict[tuple[int, int], str]
    live: tuple[int, ...]
    peak: int
    peak_step: int | None

    @property
    def kept(self) -> list[tuple[int, int]]:
        """The forward buffers a backward node reads: what reverse mode keeps alive."""
        return [key for key, kind in self.kinds.items() if kind == "kept"]

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return (f"<liveness: {len(self.kinds)} buffers, {len(self.live)} steps, "
                f"peak {format_bytes(self.peak)}, {len(self.kept)} kept for backward>")


def _short(op: str) -> str:
    """``Elemwise{tanh,no_inplace}`` -> ``tanh``; others cut to fit the label column."""
    op = _ACC.sub("", op)
    op = scalar_name(op) or op
    return op if len(op) <= LABEL_CHARS - 6 else op[:LABEL_CHARS - 7] + "…"


def classify(report: MemoryReport) -> dict[tuple[int, int], str]:
    """Each buffer's kind: ``backward`` if a ``grad``-made node wrote it (fused and in-place
    ones too) or only backward nodes read it (a value recomputed for the backward pass; not
    a graph output, such as the cost the seed ``ones_like(cost)`` reads), ``output`` if it
    lives past its last reader (a graph output), ``kept`` if a forward value is read by
    forward and backward nodes, else ``forward``."""
    backward = [n.backward for n in report.nodes]
    kinds = {}
    for buf in report.buffers:
        read_back = [backward[r] for r in buf.readers]
        if backward[buf.born] or (read_back and all(read_back) and not buf.output):
            kind = "backward"
        elif buf.output:
            kind = "output"
        elif any(read_back):
            kind = "kept"
        else:
            kind = "forward"
        kinds[(buf.uid, buf.index)] = kind
    return kinds


def live_bytes(report: MemoryReport) -> tuple[int, ...]:
    """Bytes live at each run step: every buffer made at or before it and not yet past its
    last reader (the count ``memory()`` takes its peak of)."""
    live = [0] * len(report.nodes)
    for buf in report.buffers:
        for step in range(buf.born, buf.dies + 1):
            live[step] += buf.nbytes
    return tuple(live)


def draw_liveness(fn_or_report: Any, title: str = "") -> Liveness:
    """The liveness timeline of a compiled function (called once) or of its memory report.

    >>> draw_liveness(fn)          # doctest: +SKIP
    <liveness: 34 buffers, 50 steps, peak 78.1 KiB, 16 kept for backward>
    """
    report = fn_or_report if isinstance(fn_or_report, MemoryReport) else memory(fn_or_report)
    kinds = classify(report)
    live = live_bytes(report)
    peak = max(live, default=0)
    peak_step = live.index(peak) if peak else None
    return Liveness(_svg(report, kinds, live, peak_step, title), kinds, live, peak, peak_step)


def _svg(report: MemoryReport, kinds: dict[tuple[int, int], str], live: tuple[int, ...],
         peak_step: int | None, title: str) -> str:
    steps = max(len(report.nodes), 1)
    cell = max(5.0, min(16.0, 640 / steps))
    left, top = 8 + LABEL_CHARS * 6.6, 112
    right = left + steps * cell
    rows_end = top + len(report.buffers) * ROW
    chart_top = rows_end + 26
    width, height = max(right + 70, 640), chart_top + CHART + 30
    out = [svg_rect(0, 0, width, height, PANEL[0], PANEL[1], rx=6)]
    backward = [n.backward for n in report.nodes]
    first_back = backward.index(True) if any(backward) else None
    heading = title or f"{len(report.buffers)} buffers over {len(report.nodes)} run steps"
    out.append(svg_text(10, 18, heading, size=13, weight="bold"))
    out.extend(_legend(10, 34))
    out.extend(_phases(left, top - 12, cell, backward, first_back))
    if first_back is not None:
        x = left + first_back * cell
        out.append(f'<line x1="{x:.1f}" y1="{top - 12}" x2="{x:.1f}" y2="{rows_end}" '
                   f'stroke="#7c3aed" stroke-opacity="0.5"/>')
    for row, buf in enumerate(report.buffers):
        out.append(_row(buf, kinds[(buf.uid, buf.index)], left, top + row * ROW, cell, right))
    out.extend(_chart(live, left, chart_top, cell))
    if peak_step is not None:
        x = left + (peak_step + 0.5) * cell
        out.append(f'<line x1="{x:.1f}" y1="{top - 12}" x2="{x:.1f}" y2="{chart_top + CHART}" '
                   f'stroke="{PEAK}" stroke-width="1.2" stroke-dasharray="4 3"/>')
        anchor = "end" if peak_step > steps / 2 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(svg_text(x + dx, chart_top - 6, f"peak {format_bytes(live[peak_step])} at step "
                         f"{peak_step} ({_short(report.nodes[peak_step].op)})", fill=PEAK,
                         anchor=anchor, weight="bold", extra=f' data-peak="{live[peak_step]}"'))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'font-family="Helvetica,Arial,sans-serif" class="nbgraph-liveness">'
            + "".join(out) + "</svg>")


def _legend(x: float, y: float) -> list[str]:
    out = []
    for k, ((fill, border), words) in enumerate(KINDS.values()):
        at_x, at_y = x + 300 * (k % 2), y + 15 * (k // 2)
        out.append(svg_rect(at_x, at_y, 14, BAR, fill, border))
        out.append(svg_text(at_x + 18, at_y + 8, words, size=10.5))
    return out


def _phases(left: float, y: float, cell: float, backward: list[bool],
            first_back: int | None) -> list[str]:
    """The axis: step numbers, and which steps are forward and which backward."""
    out = []
    for step in range(0, len(backward), 10 if cell < 10 else 5):
        out.append(svg_text(left + (step + 0.5) * cell, y - 4, str(step), size=9, fill=PANEL[3],
                         anchor="middle"))
    end = len(backward) if first_back is None else first_back
    out.append(svg_rect(left, y, end * cell, 5, "#93c5fd", "none"))
    if first_back is not None:
        out.append(svg_rect(left + first_back * cell, y, (len(backward) - first_back) * cell, 5,
                         "#c4b5fd", "none"))
        out.append(svg_text(left + first_back * cell + 3, y - 18, "backward pass →", size=10.5,
                         fill="#6d28d9", weight="bold"))
    out.append(svg_text(left, y - 18, "forward pass →", size=10.5, fill="#1d4ed8", weight="bold"))
    out.append(svg_text(left - 6, y + 5, "run step", size=9, fill=PANEL[3], anchor="end"))
    return out


def _row(buf: Buffer, kind: str, left: float, y: float, cell: float, right: float) -> str:
    fill, border = KINDS[kind][0]
    label = f"{buf.uid} {_short(buf.op)}" + (f".{buf.index}" if buf.index else "")
    parts = [svg_text(left - 6, y + 9, label, size=10, anchor="end"),
             f'<line x1="{left}" y1="{y + ROW - 0.5}" x2="{right}" y2="{y + ROW - 0.5}" '
             'stroke="#f3f4f6"/>',
             svg_rect(left + buf.born * cell, y + 2, (buf.dies - buf.born + 1) * cell, BAR,
                   fill, border)]
    parts += [f'<rect x="{left + (r + 0.5) * cell - 1:.1f}" y="{y + 1}" width="2" '
              f'height="{BAR + 2}" fill="{PANEL[2]}"/>' for r in buf.readers]
    parts.append(svg_text(right + 4, y + 9, format_bytes(buf.nbytes), size=9, fill=PANEL[3]))
    return (f'<g class="buffer" data-uid="{buf.uid}" data-output="{buf.index}" '
            f'data-kind="{kind}" data-bytes="{buf.nbytes}"><title>'
            + html.escape(f"{buf.op} (node {buf.uid}): {format_bytes(buf.nbytes)}, made at step "
                          f"{buf.born}, last read at step {buf.dies}, {KINDS[kind][1]}")
            + "</title>" + "".join(parts) + "</g>")


def _chart(live: tuple[int, ...], left: float, top: float, cell: float) -> list[str]:
    """Live bytes after each step, as a filled step curve."""
    peak = max(live, default=0) or 1
    base = top + CHART
    points = [f"{left:.1f},{base}"]
    for step, value in enumerate(live):
        y = base - CHART * value / peak
        points += [f"{left + step * cell:.1f},{y:.1f}", f"{left + (step + 1) * cell:.1f},{y:.1f}"]
    points.append(f"{left + len(live) * cell:.1f},{base}")
    return [svg_text(left - 6, top + 10, "live bytes", size=10, anchor="end"),
            svg_text(left - 6, base, "0", size=9, fill=PANEL[3], anchor="end"),
            f'<polygon points="{" ".join(points)}" fill="#e5e7eb" stroke="#374151" '
            'stroke-width="1"/>',
            f'<line x1="{left}" y1="{base}" x2="{left + len(live) * cell:.1f}" y2="{base}" '
            f'stroke="{PANEL[3]}"/>']


def svg_rect(x: float, y: float, w: float, h: float, fill: str, stroke: str, rx: float = 1.5
          ) -> str:
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}"/>')


def svg_text(x: float, y: float, words: str, size: float = 11, fill: str = PANEL[2],
          anchor: str = "start", weight: str = "normal", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" '
            f'text-anchor="{anchor}" font-weight="{weight}"{extra}>{html.escape(words)}</text>')
