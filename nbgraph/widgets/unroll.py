"""Backpropagation through time, unrolled and drawn step by step.

``unroll_bptt(step, seq, h0, w)`` builds the loop ``h_t = step(seq[t], h_{t-1}, w)`` written
out by hand (one copy of the step per time step, each with its own copy ``w_t`` of the
weight), takes ``grad`` of ``loss(h_T)`` (default ``sum(h_T)``) and runs it on the values
given. So every number in the drawing is a value of that graph: the states ``h_t``, the
gradient ``dL/dh_t`` carried backwards, each step's share ``dL/dw_t`` of the weight gradient
and its running sum, and, read off the gradient graph, which forward states each step's
backward nodes read (the values reverse mode keeps alive). The total is what ``scan``'s
gradient must give.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..compile.function import function
from ..core.gradient import grad
from ..core.graph import Apply, ancestors
from ..core.types import TensorType
from .liveness import KINDS, PANEL, svg_rect, svg_text

COLUMN, BOX_W, BOX_H = 205, 150, 40
ROWS = (("forward loop: h_t = step(s_t, h_t−1, w) →", 76),
        ("backward loop ←: step t receives dL/dh_t and passes dL/dh_t−1 on", 196),
        ("weight gradient ←: each backward step adds its share dL/dw_t", 316))


@dataclass(frozen=True)
class BPTT:
    """The values of an unrolled loop and its gradient: ``states`` ``h_0..h_T``, ``dstates``
    ``dL/dh_0..dL/dh_T``, ``dw`` (step ``t``'s share of ``dL/dw``), ``reads`` (for each step,
    the indices of the states its backward nodes read) and ``svg``, the drawing."""

    states: list[np.ndarray]
    dstates: list[np.ndarray]
    dw: list[np.ndarray]
    reads: list[tuple[int, ...]]
    svg: str

    @property
    def dw_total(self) -> np.ndarray:
        return np.sum(self.dw, axis=0)

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<BPTT over {len(self.dw)} steps, dL/dw = {_fmt(self.dw_total)}>"


def _var(value: np.ndarray, name: str) -> Any:
    return TensorType(str(value.dtype), shape=(None,) * value.ndim)(name)


def unroll_bptt(step: Callable[..., Any], seq: Any, h0: Any, w: Any,
                loss: Callable[[Any], Any] | None = None) -> BPTT:
    """Run the loop ``step`` over the rows of ``seq`` written out by hand, and its gradient.

    >>> unroll_bptt(lambda s, h, w: T.tanh(s + w * h), seq, h0, 0.8)  # doctest: +SKIP
    <BPTT over 4 steps, dL/dw = -1.78>
    """
    seq, h0, w = np.asarray(seq), np.asarray(h0), np.asarray(w)
    n = len(seq)
    s_vars = [_var(seq[t], f"s{t}") for t in range(n)]
    w_vars = [_var(w, f"w{t}") for t in range(n)]
    states = [_var(h0, "h0")]
    for t in range(n):
        states.append(step(s_vars[t], states[-1], w_vars[t]))
    cost = loss(states[-1]) if loss else states[-1].sum()
    grads = grad(cost, states + w_vars)
    fn = function(s_vars + [states[0]] + w_vars, states[1:] + grads)
    values = [np.asarray(v) for v in fn(*seq, h0, *[w] * n)]
    made = [set(_nodes(states[t + 1])) - set(_nodes(states[t])) for t in range(n)]
    reads = [_reads(grads, made[t], states) for t in range(n)]
    result = (
        [h0] + values[:n], values[n:2 * n + 1], values[2 * n + 1:], reads)
    return BPTT(*result, _svg(*result))


def _nodes(var: Any) -> list[Apply]:
    return [v.owner for v in ancestors([var]) if v.owner is not None]


def _reads(grads: list[Any], forward: set[Apply], states: list[Any]) -> tuple[int, ...]:
    """The states read by the backward nodes ``grad`` made for the forward nodes ``forward``."""
    uids = {node.uid for node in forward}
    index = {id(s): k for k, s in enumerate(states)}
    found = set()
    for node in {v.owner for v in ancestors(grads) if v.owner is not None}:
        if getattr(node.tag, "grad_of", None) in uids:
            found |= {index[id(v)] for v in node.inputs if id(v) in index}
    return tuple(sorted(found))


def _fmt(value: np.ndarray) -> str:
    flat = np.ravel(value)
    text = ", ".join(f"{x:.2f}" for x in flat[:3]) + (", …" if flat.size > 3 else "")
    return text if np.ndim(value) == 0 else f"[{text}]"


def _svg(states: list[np.ndarray], dstates: list[np.ndarray], dw: list[np.ndarray],
         reads: list[tuple[int, ...]]) -> str:
    n = len(dw)
    left = 24
    width, height = left + n * COLUMN + BOX_W + 16, 396
    fwd, back, acc, kept = (("#dbeafe", "#2563eb"), KINDS["backward"][0],
                            ("#dcfce7", "#15803d"), KINDS["kept"][0][1])
    out = [svg_rect(0, 0, width, height, PANEL[0], PANEL[1], rx=6), _defs(kept),
           svg_text(12, 20, f"Backpropagation through time, {n} steps unrolled: every "
                    "number is a value of the unrolled graph and its gradient", size=12.5,
                    weight="bold")]
    acc_sum = np.zeros_like(dw[0], dtype=float)
    for t in range(n + 1):
        x = left + t * COLUMN
        name = "h₀ (initial)" if t == 0 else f"step {t}: h{t}"
        out.append(_box(x, ROWS[0][1], name, _fmt(states[t]), fwd))
        out.append(_box(x, ROWS[1][1], f"backward step {t}" if t else "initial state's",
                        f"dL/dh{t} = {_fmt(dstates[t])}", back))
        if t:
            out.append(_arrow(x - COLUMN + BOX_W, ROWS[0][1] + BOX_H / 2, x,
                              ROWS[0][1] + BOX_H / 2, fwd[1], f"s{t}, w"))
            out.append(_arrow(x, ROWS[1][1] + BOX_H / 2, x - COLUMN + BOX_W,
                              ROWS[1][1] + BOX_H / 2, back[1], f"dL/dh{t - 1}"))
            for k in reads[t - 1]:   # the states step t's backward nodes read
                out.append(_read(left + k * COLUMN + BOX_W / 2 + (k - t + 1) * 16,
                                 ROWS[0][1] + BOX_H, x + BOX_W / 2 - 8 * (t - k),
                                 ROWS[1][1], kept))
    for t in range(n, 0, -1):   # the backward loop visits n, ..., 1
        acc_sum = acc_sum + dw[t - 1]
        x = left + t * COLUMN
        out.append(_box(x, ROWS[2][1], f"+ dL/dw{t} = {_fmt(dw[t - 1])}",
                        f"sum so far {_fmt(acc_sum)}", acc))
        out.append(_arrow(x + BOX_W / 2, ROWS[1][1] + BOX_H, x + BOX_W / 2, ROWS[2][1],
                          acc[1], ""))
        out.append(_arrow(x, ROWS[2][1] + BOX_H / 2, x - COLUMN + BOX_W,
                          ROWS[2][1] + BOX_H / 2, acc[1], ""))
    out.append(_box(left, ROWS[2][1], "dL/dw (total)", _fmt(acc_sum), ("#fef9c3", "#a16207"),
                    bold=True))
    for words, y in ROWS:
        out.append(svg_text(12, y - 8, words, size=11, fill=PANEL[3], weight="bold",
                            extra=f' stroke="{PANEL[0]}" stroke-width="4" paint-order="stroke"'))
    out.append(svg_text(12, height - 10, "dashed orange: forward states read by a step's "
                        "backward nodes, kept alive from the forward pass until then",
                        size=10.5, fill=kept))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Helvetica,Arial,sans-serif" '
            'class="nbgraph-bptt">' + "".join(out) + "</svg>")


def _defs(kept: str) -> str:
    heads = "".join(
        f'<marker id="head-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{colour}"/></marker>'
        for name, colour in (("2563eb", "#2563eb"), ("7c3aed", "#7c3aed"),
                             ("15803d", "#15803d"), ("c2410c", kept)))
    return f"<defs>{heads}</defs>"


def _box(x: float, y: float, title: str, value: str, colours: tuple[str, str],
         bold: bool = False) -> str:
    return (svg_rect(x, y, BOX_W, BOX_H, colours[0], colours[1], rx=5)
            + svg_text(x + BOX_W / 2, y + 16, title, size=10.5, anchor="middle",
                       weight="bold" if bold else "normal")
            + svg_text(x + BOX_W / 2, y + 32, value, size=10.5, anchor="middle"))


def _arrow(x1: float, y1: float, x2: float, y2: float, colour: str, label: str) -> str:
    line = (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="1.6" marker-end="url(#head-{colour[1:]})"/>')
    if label:
        line += svg_text((x1 + x2) / 2, min(y1, y2) - 5, label, size=9.5, fill=colour,
                         anchor="middle")
    return line


def _read(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}" '
            f'stroke-width="1.3" stroke-dasharray="4 3" marker-end="url(#head-c2410c)">'
            f'<title>{html.escape("read by the backward step")}</title></line>')
