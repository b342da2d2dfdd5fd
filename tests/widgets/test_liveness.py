"""``draw_liveness``: one row per buffer of ``fn.memory()``, the peak it draws is the report's,
and the forward values a backward node reads are the ones drawn as kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.widgets.liveness import draw_liveness

PLAIN = Mode(linker="py", optimizer=None)   # one node per op: every activation is a buffer
NS = "{http://www.w3.org/2000/svg}"


def _chain(depth: int = 3):
    x = T.dvector("x")
    h, acts = x, []
    for _ in range(depth):
        h = T.tanh(h * 1.5)
        acts.append(h)
    cost = T.sqr(h).sum()
    forward = function([x], cost, mode=PLAIN)
    both = function([x], [cost, T.grad(cost, x)], mode=PLAIN)
    value = np.linspace(-1, 1, 500)
    forward(value)
    both(value)
    return forward, both, acts


def _rows(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{NS}g") if g.get("class") == "buffer"]


def test_one_row_per_buffer_and_the_reports_peak():
    forward, both, _ = _chain()
    for fn in (forward, both):
        report = fn.memory()
        drawing = draw_liveness(fn)
        rows = _rows(drawing.svg)
        assert len(rows) == len(report.buffers) == sum(1 for n in report.nodes if n.nbytes)
        assert [int(g.get("data-uid")) for g in rows] == [b.uid for b in report.buffers]
        assert drawing.peak == report.peak
        (peak_label,) = [t for t in ET.fromstring(drawing.svg).iter(f"{NS}text")
                         if t.get("data-peak")]
        assert int(peak_label.get("data-peak")) == report.peak
        assert report.nodes[drawing.peak_step].uid == report.peak_uid


def test_backward_kept_activations_are_the_marked_rows():
    forward, both, acts = _chain()
    assert draw_liveness(forward).kept == []          # nothing waits without a gradient
    drawing = draw_liveness(both.memory())
    marked = {int(g.get("data-uid")) for g in _rows(drawing.svg)
              if g.get("data-kind") == "kept"}
    # tanh's gradient reads tanh's output (1 - y**2), sqr's reads its input, and the gradient
    # of sum reads sqr's output for its shape (``second``): those wait; the products do not
    nodes = both.maker.fgraph.toposort()
    tanh_uids = {n.uid for n in nodes if "tanh" in str(n.op)}
    sqr_uids = {n.uid for n in nodes if "sqr" in str(n.op) and not hasattr(n.tag, "grad_of")}
    assert len(tanh_uids) == len(acts)
    assert marked == tanh_uids | sqr_uids
    assert {uid for uid, _ in drawing.kept} == marked
    report = both.memory()
    backward = {n.uid for n in report.nodes if n.backward}
    for buf in report.buffers:
        if buf.uid in marked:                           # alive until a backward reader
            assert report.nodes[buf.dies].uid in backward
    kinds = {g.get("data-kind") for g in _rows(drawing.svg)}
    assert kinds == {"forward", "kept", "backward", "output"}


def test_live_bytes_follow_the_buffers():
    _, both, _ = _chain(depth=4)
    report = both.memory()
    drawing = draw_liveness(both)
    # what a step draws as live, less what dies after it, is the report's ``live_after``
    assert len(drawing.live) == len(report.nodes)
    for step, node in enumerate(report.nodes):
        freed = sum(b.nbytes for b in report.buffers if b.dies == step and not b.output)
        assert drawing.live[step] - freed == node.live_after
    assert max(drawing.live) == report.peak >= 4 * 500 * 8
    assert "peak" in repr(drawing) and drawing._repr_svg_().startswith("<svg")


def test_kept_activations_under_the_default_optimizer():
    # fused and in-place backward nodes stay backward, so the drawing marks the forward
    # activations: the buffer holding each tanh value (its dot's where it ran in place)
    from tests.compile.test_memory import _tanh_buffers, mlp
    fn, _ = mlp(None)
    drawing = draw_liveness(fn)
    nodes = fn.maker.fgraph.toposort()
    tanh = [n for n in nodes if "tanh" in str(n.op)]
    held_in = set(_tanh_buffers(fn).values())
    assert len(tanh) == 4 and len(held_in) == 4
    assert {uid for uid, _ in drawing.kept} == held_in
    back = {g.get("data-uid") for g in _rows(drawing.svg) if g.get("data-kind") == "backward"}
    composites = {str(n.uid) for n in nodes      # the fused ones with a buffer of their own
                  if "Composite" in str(n.op) and not n.op.destroy_map}
    assert composites and composites <= back
