"""merge/merge_sub_loops: the forward loop and its copy with the gradient's residuals added
run as one loop in every mode that merges (FAST_COMPILE too, and without scan_pushout)."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan
from nbgraph.rewrite.pipeline import PIPELINE


def _gated(n=2):
    """An LSTM-like gated recurrence (its gradient reads the gates as residuals)."""
    x, w, u = T.dtensor3("x"), T.dmatrix("w"), T.dmatrix("u")

    def step(x_t, h):
        pre = T.dot(x_t, w) + T.dot(h, u)
        gate = T.sigmoid(pre[:, :n])
        return gate * T.tanh(pre[:, n:]) + (1 - gate) * h

    hs, _ = scan(step, sequences=x, outputs_info=T.zeros((x.shape[1], n)))
    loss = T.sum(hs ** 2)
    return [x, w, u], [loss, *theano.grad(loss, [w, u])]


def _loss_numpy(x, w, u):
    n = u.shape[0]
    h = np.zeros((x.shape[1], n))
    total = 0.0
    for x_t in x:
        pre = x_t @ w + h @ u
        gate = 1 / (1 + np.exp(-pre[:, :n]))
        h = gate * np.tanh(pre[:, n:]) + (1 - gate) * h
        total += np.sum(h ** 2)
    return total


def _values(rng, n=2):
    return [rng.normal(size=(4, 3, 2)), rng.normal(size=(2, 2 * n)) * 0.5,
            rng.normal(size=(n, 2 * n)) * 0.5]


def _scans(fn):
    return [n for n in fn.maker.fgraph.apply_nodes if isinstance(n.op, Scan)]


@pytest.mark.parametrize("optimizer", [
    "fast_compile", "fast_run", PIPELINE.excluding("scan_pushout"), PIPELINE.only("merge")],
    ids=["fast_compile", "fast_run", "no_scan_pushout", "merge_only"])
@pytest.mark.parametrize("linker", ["py", "c"])
def test_forward_loop_runs_once_in_every_mode_that_merges(optimizer, linker, rng):
    inputs, outputs = _gated()
    fn = function(inputs, outputs, mode=Mode(linker, optimizer))
    unmerged = function(inputs, outputs, mode=Mode(linker, None))
    # the forward loop and its residual copy, then the backward loop; merged: one forward
    assert len(_scans(unmerged)) == 3
    assert len(_scans(fn)) == 2
    assert "merge/merge_sub_loops" in rules_fired(fn)
    values = _values(rng)
    got, want = fn(*values), unmerged(*values)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    np.testing.assert_allclose(got[0], _loss_numpy(*values), rtol=1e-12)
    eps = 1e-6
    for k, grad in ((1, got[1]), (2, got[2])):   # central differences at two entries each
        for idx in [(0, 0), (1, 3)]:
            up = [v.copy() for v in values]
            down = [v.copy() for v in values]
            up[k][idx] += eps
            down[k][idx] -= eps
            numeric = (_loss_numpy(*up) - _loss_numpy(*down)) / (2 * eps)
            np.testing.assert_allclose(grad[idx], numeric, rtol=1e-6, atol=1e-8)


def test_loops_with_different_inputs_stay_apart(rng):
    """Same step, different sequences: nothing to merge."""
    x, z = T.dmatrix("x"), T.dmatrix("z")

    def run(seq):
        return scan(lambda r, h: T.tanh(r) + h, sequences=seq, outputs_info=T.zeros_like(x[0]))[0]

    fn = function([x, z], [run(x), run(z)], mode=Mode("py", "fast_compile"))
    assert len(_scans(fn)) == 2 and "merge/merge_sub_loops" not in rules_fired(fn)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    got = fn(a, b)
    np.testing.assert_allclose(got[0], np.cumsum(np.tanh(a), axis=0), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.cumsum(np.tanh(b), axis=0), rtol=1e-12)
