"""to_dot's folding: small constant operands written into their op's label (``Gemv{α=1,
β=0}``), and nodes drawn on edges keeping their tooltip."""

from __future__ import annotations

import re

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.core.graphviz import DotOptions, NodeStyle, to_dot

_TIP = re.compile(r'^ +(\d+) -> (\d+) \[label="([^"]*)", tooltip="((?:[^"\\]|\\.)*)"\];', re.M)


def test_a_node_drawn_on_an_edge_keeps_its_tooltip_line():
    w, x = T.dmatrix("w"), T.dmatrix("x")
    wt = w.T
    out = T.dot(x, wt)
    note = "output: 256 B (in its input's buffer: a view of w)"
    text = to_dot([out], on_edges={wt.owner.uid: "wᵀ\n#7 · 0.4%"},
                  styles={wt.owner.uid: NodeStyle(tooltip=note)})
    (edge,) = [m for m in _TIP.finditer(text)]
    assert (int(edge.group(1)), int(edge.group(2))) == (w.uid, out.owner.uid)
    assert edge.group(3) == "1: wᵀ\\n#7 · 0.4% float64[?,?]"
    # the head is the edge's first line, then the op, then the node's own tooltip line
    assert edge.group(4) == (f"wᵀ: InplaceDimShuffle{{1,0}}, float64[?,?], uid "
                             f"{wt.owner.uid}\\n{note}")
    assert f"{wt.owner.uid} [" not in text  # not drawn as a node
    # without a style the tooltip is the one line
    plain = to_dot([out], on_edges={wt.owner.uid: "wᵀ"})
    assert [m.group(4) for m in _TIP.finditer(plain)] == [
        f"wᵀ: InplaceDimShuffle{{1,0}}, float64[?,?], uid {wt.owner.uid}"]
    fn = nbgraph.function([x, w], out)
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(4, 3)
    np.testing.assert_allclose(fn(a, b), a @ b.T)
