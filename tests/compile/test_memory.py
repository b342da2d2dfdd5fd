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
    # each tanh runs in place on its dot's buffer (the Python linker's perform writes over
    # it): that buffer must count as live until the backward pass has read tanh's value,
    # not be freed after tanh (its last direct reader)
    x = T.dmatrix("x")
    ws = [T.dmatrix(f"w{k}") for k in range(4)]
    h = x
    for w in ws:
        h = T.tanh(T.dot(h, w))
    cost = h.sum()
    fn = function([x, *ws], [cost, *T.grad(cost, ws)], mode=Mode("py", "fast_run"))
    fn(np.ones((64, 32)), *[np.full((32, 32), 0.01)] * 4)
    report = fn.memory()
    assert any("tanh" in n.op and "inplace" in n.op and n.nbytes == 0 for n in report.nodes)
    # the four activations (64x32 float64 each) are all alive when the backward pass starts
    assert report.peak >= 4 * 64 * 32 * 8


def mlp(mode: Mode | None, layers: int = 4):
    """A tanh MLP's cost and weight gradients, compiled in ``mode`` (None: the default)
    and called once; returns the function and its gradient values."""
    rng = np.random.default_rng(0)
    x = T.dmatrix("x")
    ws = [nbgraph.shared(rng.normal(size=(16, 16)) * 0.4, name=f"w{i}")
          for i in range(layers)]
    h = x
    for w in ws:
        h = T.tanh(T.dot(h, w))
    cost = T.sqr(h).sum()
    outputs = [cost, *T.grad(cost, ws)]
    fn = function([x], outputs) if mode is None else function([x], outputs, mode=mode)
    return fn, fn(rng.normal(size=(8, 16)))


def _kind(op: str) -> str:
    return op.split(",")[0]          # Elemwise{tanh,inplace} and {tanh,no_inplace} alike


def _tanh_buffers(fn) -> dict[int, int]:
    """tanh node uid -> uid of the node whose buffer holds its value (an in-place tanh that
    really wrote over its input's, as read off the values)."""
    st = fn.storage_map
    return {n.uid: (n.inputs[0].owner.uid if n.op.destroy_map and np.may_share_memory(
                st[n.outputs[0]][0], st[n.inputs[0]][0]) else n.uid)
            for n in fn.maker.fgraph.toposort() if "tanh" in str(n.op)}


def _cells_bytes(fn) -> int:
    """Bytes of the distinct buffers the VM's cells hold for node outputs (views and
    in-place results once, inputs' and constants' memory not at all)."""
    st = fn.storage_map
    outside = [st[v][0] for v in fn.maker.fgraph.variables
               if (v.owner is None or hasattr(v, "data")) and isinstance(st.get(v, [None])[0],
                                                                      np.ndarray)]
    owners: list[np.ndarray] = []
    for node in fn.vm.nodes:
        for out in node.outputs:
            v = st[out][0]
            if not isinstance(v, np.ndarray) or any(np.may_share_memory(v, o)
                                                    for o in outside + owners):
                continue
            owners.append(v)
    return sum(a.nbytes for a in owners)


@pytest.mark.parametrize("mode", [None, Mode("c", "fast_run").excluding("fusion"),
                                  Mode("py", "fast_run"), PLAIN],
                         ids=["default", "c-unfused", "py-fast_run", "plain"])
def test_held_is_what_the_cells_really_hold(mode):
    """An in-place output costs nothing only where it really is in its input's buffer: the C
    linker gives an in-place elementwise over an intermediate a buffer of its own (reused
    every call), and the report counts it (it once said 72 kB where 128 kB were held)."""
    rng = np.random.default_rng(0)
    x = T.dvector("x")
    h = x
    for k in range(4):
        h = T.tanh(T.dot(nbgraph.shared(rng.normal(size=(50, 50)) / 7, name=f"w{k}"), h))
    loss = T.sqr(h).sum()
    fn = function([x], [loss, T.grad(loss, x)], mode=mode)
    fn(rng.normal(size=50))
    fn(rng.normal(size=50))
    report = fn.memory()
    assert report.held == _cells_bytes(fn)
    # the four activations wait for the backward pass, wherever they live
    assert report.peak >= 4 * 50 * 8


def test_backward_flags_survive_fusion_and_in_place():
    plain, plain_values = mlp(PLAIN)
    fused, values = mlp(None)
    for a, b in zip(plain_values, values, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    p_report, f_report = plain.memory(), fused.memory()
    composites = [n for n in f_report.nodes if "Composite" in n.op]
    assert len(composites) >= 4          # the backward products were fused (and in-placed)
    assert all(n.backward for n in composites)
    # the forward nodes are the same ops either way: 4 dots, 4 tanh, sqr, sum; the
    # gradient's seed (ones_like(cost)) is backward too
    forward = [sorted(_kind(n.op) for n in r.nodes if not n.backward)
               for r in (p_report, f_report)]
    assert forward[0] == forward[1]
    assert forward[0].count("dot") == 4 and forward[0].count("Elemwise{tanh") == 4
    seed = [n for n in plain.maker.fgraph.toposort() if "second" in str(n.op)
            and n.inputs[0].owner is not None and "Sum" in str(n.inputs[0].owner.op)]
    assert seed and all(getattr(n.tag, "grad_of", None) is not None for n in seed)
    # the activations kept for backward: the four tanh values, in the plain graph as their
    # own buffers, in the default one in the dot buffers the in-place tanh wrote over
    for fn, report in ((plain, p_report), (fused, f_report)):
        back = [n.backward for n in report.nodes]
        kept = {b.uid for b in report.buffers if not back[b.born]
                and any(back[r] for r in b.readers) and not all(back[r] for r in b.readers)}
        assert set(_tanh_buffers(fn).values()) <= kept
        assert len(_tanh_buffers(fn)) == 4
