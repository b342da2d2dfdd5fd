"""``profile=True`` times the nodes of a Scan's inner graph too, listed after the outer ones."""

from __future__ import annotations

import numpy as np

import nbgraph
import nbgraph.tensor as T


def test_profile_lists_the_inner_graph_of_a_scan_per_node():
    h0 = T.dvector("h0")
    W = T.dmatrix("W")
    hs, _ = nbgraph.scan(lambda h, W: T.tanh(T.dot(W, h)), outputs_info=h0, non_sequences=W,
                         n_steps=4)
    f = nbgraph.function([h0, W], hs[-1], profile=True)
    w = np.eye(3) * 0.5
    f(np.ones(3), w)
    f(np.ones(3), w)
    (inner,) = f.profile.inner
    assert inner.calls == 8  # 4 steps, twice
    assert inner.rows() and {calls for _, calls, _, _ in inner.rows()} == {8}  # every node
    assert any("tanh" in str(node.op) for node, _, _, _ in inner.rows())
    text = f.profile.summary()
    assert text.count("Function profiling") == 2 and "inner graph 0" in text
    outer_scan = [t for n, _, t, _ in f.profile.rows() if "Scan" in str(n.op)]
    inner_total = sum(t for _, _, t, _ in inner.rows())
    assert outer_scan and 0 < inner_total <= outer_scan[0]


def test_unprofiled_functions_keep_their_inner_functions_unprofiled():
    h0 = T.dvector("h0")
    hs, _ = nbgraph.scan(lambda h: h * 2, outputs_info=h0, n_steps=3)
    f = nbgraph.function([h0], hs[-1])
    np.testing.assert_array_equal(f(np.ones(2)), np.full(2, 8.0))
    assert f.profile is None
