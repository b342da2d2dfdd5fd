"""``unroll_bptt``: the loop written out by hand gives scan's gradient, step by step."""

from __future__ import annotations

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.widgets.unroll import unroll_bptt


def _step(s, h, w):
    return T.tanh(s + w * h)


def test_unrolled_gradient_is_scans_and_each_share_is_a_finite_difference():
    rng = np.random.default_rng(1)
    seq_v, h0_v, w_v = rng.normal(size=(4, 3)) * 0.5, rng.normal(size=3), 0.7
    bptt = unroll_bptt(_step, seq_v, h0_v, w_v)
    seq, h0, w = T.dmatrix("seq"), T.dvector("h0"), T.dscalar("w")
    hs, _ = nbgraph.scan(_step, sequences=seq, outputs_info=h0, non_sequences=w)
    loss = hs[-1].sum()
    fn = nbgraph.function([seq, h0, w], [hs, *T.grad(loss, [w, h0])])
    states, g_w, g_h0 = fn(seq_v, h0_v, w_v)
    np.testing.assert_allclose(np.array(bptt.states[1:]), states, rtol=1e-12)
    np.testing.assert_allclose(bptt.dw_total, g_w, rtol=1e-10)
    np.testing.assert_allclose(bptt.dstates[0], g_h0, rtol=1e-10)
    np.testing.assert_allclose(bptt.dstates[-1], np.ones(3))      # dL/dh_T of sum(h_T)

    def run(ws):                   # the loop with a separate weight per step, in NumPy
        h = h0_v
        for s, wt in zip(seq_v, ws, strict=True):
            h = np.tanh(s + wt * h)
        return h.sum()
    eps = 1e-6
    for t in range(4):
        up, down = np.full(4, w_v), np.full(4, w_v)
        up[t] += eps
        down[t] -= eps
        np.testing.assert_allclose(bptt.dw[t], (run(up) - run(down)) / (2 * eps), rtol=1e-6)


def test_each_backward_step_reads_its_input_and_output_state():
    rng = np.random.default_rng(2)
    bptt = unroll_bptt(_step, rng.normal(size=(3, 2)), rng.normal(size=2), 0.5)
    assert bptt.reads == [(0, 1), (1, 2), (2, 3)]   # h_{t-1} (w * h) and h_t (tanh')
    assert bptt.svg.count("stroke-dasharray") == 6      # one dashed read arrow per read
    assert bptt.svg.count(">backward step ") == 3 and bptt._repr_svg_().startswith("<svg")
    # a step whose gradient needs no state: s + w (the states are not read)
    plain = unroll_bptt(lambda s, h, w: s + w + h, rng.normal(size=(3, 2)),
                        rng.normal(size=2), 0.5)
    assert plain.reads == [(), (), ()] and "stroke-dasharray" not in plain.svg
    np.testing.assert_allclose(plain.dw_total, 3 * 2.0)
