"""``fn.memory()``: bytes per node and the peak of live values in run order."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode

PLAIN = Mode(linker="py", optimizer=None)   # no fusion, no in-place: one node per op


def test_sizes_and_peak_by_hand():
    x = T.dvector("x")
    y = T.exp(x)
    z = y * 2
    fn = function([x], z.sum(), mode=PLAIN)
    fn(np.ones(1000))
    report = nbgraph.memory(fn)
    sizes = [n.nbytes for n in report.nodes if n.nbytes]
    assert sorted(sizes) == [8, 8000, 8000]
    assert report.peak == 16000                 # y and z both live while z is computed
    (at_peak,) = [n for n in report.nodes if n.uid == report.peak_uid]
    assert "mul" in at_peak.op and at_peak.live_after == 8000   # y freed after its reader
    assert report.held == 16008
    assert report.inputs == 8000
    assert report.nodes[-1].live_after == 8     # only the output is left


def test_reverse_mode_keeps_activations_alive():
    x = T.dvector("x")
    h = x
    for _ in range(4):
        h = T.tanh(h * 1.5)
    cost = h.sum()
    forward = function([x], cost, mode=PLAIN)
    both = function([x], [cost, T.grad(cost, x)], mode=PLAIN)
    value = np.linspace(-1, 1, 2000)
    forward(value)
    both(value)
    f_report, b_report = forward.memory(), both.memory()
    assert f_report.peak <= 2 * 16000           # a chain: two vectors live at once
    assert b_report.peak >= 4 * 16000           # the four activations wait for backward
    assert "peak live" in b_report.summary()


def test_views_and_in_place_outputs_cost_nothing():
    x = T.dmatrix("x")
    fn = function([x], (T.exp(x) + 1).T * 3)   # default mode: fused, in place, a view
    fn(np.ones((50, 40)))
    report = fn.memory()
    assert report.held <= 2 * 50 * 40 * 8


def test_needs_a_call_first():
    x = T.dvector("x")
    fn = function([x], T.exp(x) * 2, mode=PLAIN)
    with pytest.raises(RuntimeError, match="call the function once first"):
        fn.memory()



def test_an_in_place_output_keeps_its_buffer_alive():
    # each tanh runs in place on its dot's buffer: that buffer must count as live until the
    # backward pass has read tanh's value, not be freed after tanh (its last direct reader)
    x = T.dmatrix("x")
    ws = [T.dmatrix(f"w{k}") for k in range(4)]
    h = x
    for w in ws:
        h = T.tanh(T.dot(h, w))
    cost = h.sum()
    fn = function([x, *ws], [cost, *T.grad(cost, ws)])
    fn(np.ones((64, 32)), *[np.full((32, 32), 0.01)] * 4)
    report = fn.memory()
    assert any("tanh" in n.op and "inplace" in n.op and n.nbytes == 0 for n in report.nodes)
    # the four activations (64x32 float64 each) are all alive when the backward pass starts
    assert report.peak >= 4 * 64 * 32 * 8
