"""subtensor_join: zeros filled slice by slice become one Join (rewrite/subtensor_join.py).
Every graph is compiled with the pass and without it (``excluding('subtensor_join')``), on
the py and c linkers: values (and gradients, against finite differences) agree with each
other and with NumPy in float64; the rule fires exactly where the slices tile the axis."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.gradient import grad
from nbgraph.ops.join import Join
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan
from nbgraph.ops.subtensor import IncSubtensor

LINKERS = ["py", "c"]
RULE = "subtensor_join/zeros_slices_to_join"


def _both(inputs, outputs, linker):
    mode = Mode(linker, "fast_run")
    return (function(inputs, outputs, mode=mode),
            function(inputs, outputs, mode=mode.excluding("subtensor_join")))


def _ops(fn, kind):
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, kind)]


def _check(inputs, output, values, want, linker, fires):
    joined, plain = _both(inputs, [output], linker)
    assert (RULE in rules_fired(joined)) is fires
    assert bool(_ops(joined, Join)) is fires
    assert not _ops(joined, IncSubtensor) if fires else _ops(joined, IncSubtensor)
    np.testing.assert_allclose(joined(*values)[0], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(joined(*values)[0], plain(*values)[0])


@pytest.mark.parametrize("linker", LINKERS)
def test_sum_of_slices_into_zeros_is_a_join(linker, rng):
    x, a = T.dmatrix("x"), T.dmatrix("a")
    zeros = T.zeros_like(x)
    parts = [T.exp(a[:, :2]), T.sin(a[:, 2:3]), a[:, 3:] * 2]
    out = T.inc_subtensor(zeros[:, 2:3], parts[1]) + T.inc_subtensor(zeros[:, 3:], parts[2]) \
        + T.inc_subtensor(zeros[:, :2], parts[0])
    v = rng.normal(size=(3, 6))
    want = np.concatenate([np.exp(v[:, :2]), np.sin(v[:, 2:3]), v[:, 3:] * 2], axis=1)
    _check([x, a], out, [v, v], want, linker, fires=True)


@pytest.mark.parametrize("linker", LINKERS)
def test_chain_of_set_and_inc_into_zeros_along_axis_0(linker, rng):
    x = T.dtensor3("x")
    out = T.set_subtensor(T.inc_subtensor(T.zeros_like(x)[:1], T.exp(x[:1]))[1:],
                          T.cos(x[1:]))
    v = rng.normal(size=(4, 2, 3))
    _check([x], out, [v], np.concatenate([np.exp(v[:1]), np.cos(v[1:])]), linker, fires=True)


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("case", ["gap", "overlap", "short_end", "nonzero_base",
                                  "two_axes", "broadcast_value", "length_1_axis", "step"])
def test_left_alone_unless_the_slices_tile_zeros(case, linker, rng):
    x = T.dmatrix("x")
    zeros = T.zeros_like(x)
    v = rng.normal(size=(3, 6))
    want = np.zeros_like(v)
    if case == "gap":            # column 2 never written
        out = T.inc_subtensor(zeros[:, :2], x[:, :2]) + T.inc_subtensor(zeros[:, 3:], x[:, 3:])
        want[:, :2], want[:, 3:] = v[:, :2], v[:, 3:]
    elif case == "overlap":      # column 2 written twice: a sum, not a join
        out = T.inc_subtensor(zeros[:, :3], x[:, :3]) + T.inc_subtensor(zeros[:, 2:], x[:, 2:])
        want[:, :3] += v[:, :3]
        want[:, 2:] += v[:, 2:]
    elif case == "short_end":    # stops at 5 of 6 columns
        out = T.inc_subtensor(T.inc_subtensor(zeros[:, :2], x[:, :2])[:, 2:5], x[:, 2:5])
        want[:, :5] = v[:, :5]
    elif case == "nonzero_base":
        out = T.inc_subtensor(T.inc_subtensor(x[:, :2], x[:, :2])[:, 2:], x[:, 2:])
        want = 2 * v
    elif case == "two_axes":     # rows of one piece, columns of the other
        out = T.inc_subtensor(zeros[:1], x[:1]) + T.inc_subtensor(zeros[1:], x[1:]) \
            + T.inc_subtensor(zeros[:, :2], x[:, :2])
        want = v.copy()
        want[:, :2] *= 2
    elif case == "broadcast_value":   # one row broadcast down the slice
        row = T.drow("row")
        out = T.inc_subtensor(zeros[:, :2], row[:, :2]) + T.inc_subtensor(zeros[:, 2:], x[:, 2:])
        want[:, :2], want[:, 2:] = v[:1, :2], v[:, 2:]
        _check([x, row], out, [v, v[:1]], want, linker, fires=False)
        return
    elif case == "length_1_axis":   # a column broadcast into the empty slice [:, 1:]
        col = T.dcol("col")
        zero_col = T.zeros_like(col)
        out = T.inc_subtensor(zero_col[:, :1], col) + T.inc_subtensor(zero_col[:, 1:], col)
        _check([col], out, [v[:, :1]], v[:, :1], linker, fires=False)
        return
    else:                        # every other column
        out = T.inc_subtensor(zeros[:, ::2], x[:, ::2]) + T.inc_subtensor(zeros[:, 1::2],
                                                                           x[:, 1::2])
        want = v
    _check([x], out, [v], want, linker, fires=False)


@pytest.mark.parametrize("linker", LINKERS)
def test_gradient_of_gate_slices(linker, rng):
    """The LSTM's case: the gradient of pre[:, :n], pre[:, n:2n], ... is the gates'
    gradients joined; values and finite differences as without the rule."""
    pre = T.dmatrix("pre")
    n = 2
    gates = [T.sigmoid(pre[:, :n]), T.tanh(pre[:, n:2 * n]), T.sigmoid(pre[:, 2 * n:])]
    cost = T.sum(gates[0] * gates[1] * gates[2][:, :n]) + T.sum(gates[2][:, n:] ** 2)
    g = grad(cost, pre)
    joined, plain = _both([pre], [cost, g], linker)
    assert RULE in rules_fired(joined) and not _ops(joined, IncSubtensor)
    v = rng.normal(size=(3, 3 * n + 1))
    got, want = joined(v), plain(v)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-15)
    eps, fd = 1e-6, np.zeros_like(v)
    for idx in np.ndindex(*v.shape):
        up, down = v.copy(), v.copy()
        up[idx] += eps
        down[idx] -= eps
        fd[idx] = (joined(up)[0] - joined(down)[0]) / (2 * eps)
    np.testing.assert_allclose(got[1], fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("linker", LINKERS)
def test_fires_inside_the_gradient_loop(linker, rng):
    """The gradient scan of gate slices builds its step's ``dpre`` with a Join."""
    x, w, u = T.dtensor3("x"), T.dmatrix("w"), T.dmatrix("u")
    h0 = T.dmatrix("h0")

    def step(x_t, h):
        pre = T.dot(x_t, w) + T.dot(h, u)
        return T.tanh(pre[:, :2]) * T.sigmoid(pre[:, 2:]) + h * 0.5

    hs, _ = scan(step, sequences=x, outputs_info=h0)
    cost = T.sum(hs[-1] ** 2)
    fn = function([x, w, u, h0], [cost, *grad(cost, [w, u, h0])], mode=Mode(linker, "fast_run"))
    values = [rng.normal(size=(4, 3, 2)), rng.normal(size=(2, 4)) * 0.5,
              rng.normal(size=(2, 4)) * 0.5, rng.normal(size=(3, 2))]
    got = fn(*values)
    loops = [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    inner = [f for n in loops for f in n.op._fns.values()]
    assert any(RULE in rules_fired(f) for f in inner)
    eps = 1e-6
    for k, arg in ((1, 1), (2, 2), (3, 3)):   # dw, du, dh0 against central differences
        fd = np.zeros_like(values[arg])
        for idx in np.ndindex(*values[arg].shape):
            up = [a.copy() for a in values]
            down = [a.copy() for a in values]
            up[arg][idx] += eps
            down[arg][idx] -= eps
            fd[idx] = (fn(*up)[0] - fn(*down)[0]) / (2 * eps)
        np.testing.assert_allclose(got[k], fd, rtol=1e-6, atol=1e-8)
