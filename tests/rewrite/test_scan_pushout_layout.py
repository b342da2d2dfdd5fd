"""push_out_non_seq hands a loop a transposed non-sequence its steps multiply by as one C-order
copy (BLAS is slow on the transposed layout), and only then: values and gradients as
without the pass, with NumPy and finite differences, on the py and c linkers."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.gradient import grad
from nbgraph.ops.extra_ops_more import CpuContiguous
from nbgraph.ops.scan.info import ScanInfo
from nbgraph.ops.scan.op import Scan

LINKERS = ["py", "c"]


def _loop_inputs(fn):
    return [i for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan) for i in n.inputs]


def _copies(fn):
    return [i for i in _loop_inputs(fn) if i.owner is not None
            and isinstance(i.owner.op, CpuContiguous)]


def _numpy(w, h0, use_dot):
    h = h0
    for _ in range(STEPS):
        h = np.tanh((h @ w.T if use_dot else h * w.T) + 0.1)
    return h


STEPS = 4


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("use_dot", [True, False])
def test_transposed_non_sequence_copied_for_products_only(use_dot, linker, rng):
    w, h0 = T.dmatrix("w"), T.dmatrix("h0")
    h_in, w_in = T.dmatrix("h"), T.dmatrix("w_in")   # a loop built by hand, as gradients are
    step = T.tanh((T.dot(h_in, w_in.T) if use_dot else h_in * w_in.T) + 0.1)
    info = ScanInfo((), ((-1,),), 0, 1, last_only=(0,))
    last = Scan([h_in, w_in], [step], info)(T.constant(STEPS, dtype="int64"), h0[None], w)[0]
    cost = T.sum(last ** 2)
    outs = [last, *grad(cost, [w, h0])]
    mode = Mode(linker, "fast_run")
    pushed = function([w, h0], outs, mode=mode)
    plain = function([w, h0], outs, mode=mode.excluding("scan_pushout"))
    assert "scan_pushout/push_out_non_seq" in rules_fired(pushed)
    # one for the loop and one for the full-stack copy of it the gradient reads (the two are
    # not merged); the gradient loop reads w.T.T, which is w: no copy
    assert len(_copies(pushed)) == (2 if use_dot else 0)
    values = [rng.normal(size=(4, 4)) * 0.4, rng.normal(size=(4, 4))]
    got, want = pushed(*values), plain(*values)
    np.testing.assert_allclose(got[0], _numpy(*values, use_dot), rtol=1e-12)
    for g, p in zip(got, want, strict=True):
        np.testing.assert_allclose(g, p, rtol=1e-12, atol=1e-14)
    eps = 1e-6
    for k in (0, 1):   # dw, dh0 against central differences of the cost
        fd = np.zeros_like(values[k])
        for idx in np.ndindex(*values[k].shape):
            up = [v.copy() for v in values]
            down = [v.copy() for v in values]
            up[k][idx] += eps
            down[k][idx] -= eps
            fd[idx] = (np.sum(pushed(*up)[0] ** 2) - np.sum(pushed(*down)[0] ** 2)) / (2 * eps)
        np.testing.assert_allclose(got[k + 1], fd, rtol=1e-6, atol=1e-8)
