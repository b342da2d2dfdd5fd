"""scan_pushout: work moved out of Scan loops (rewrite/scan_pushout.py). Every loop is
compiled with the pass and without it (``excluding('scan_pushout')``), on the py and c
linkers: values and gradients agree with each other, with NumPy in float64 and with finite
differences; and the rewrite fired (the inner graph lost its per-step products, the outer graph
gained one)."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.graph import toposort
from nbgraph.ops.blas import Gemm
from nbgraph.ops.control import IfElse
from nbgraph.ops.linalg import Dot
from nbgraph.ops.scan.basic import scan, until
from nbgraph.ops.scan.info import ScanInfo
from nbgraph.ops.scan.op import Scan

LINKERS = ["py", "c"]


def _modes(linker):
    pushed = Mode(linker, "fast_run")
    return pushed, pushed.excluding("scan_pushout")


def _compile_both(inputs, outputs, linker):
    pushed, plain = _modes(linker)
    return function(inputs, outputs, mode=pushed), function(inputs, outputs, mode=plain)


def _scans(fn):
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def _products(nodes):
    return [n for n in nodes if isinstance(n.op, (Dot, Gemm))]


def _inner_products(fn):
    return sum(len(_products(toposort(n.op.inner_outputs))) for n in _scans(fn))


def _outer_products(fn):
    """Products outside loops (those after a loop sit in its ``steps_ran`` IfElse)."""
    nodes = fn.maker.fgraph.toposort()
    lazy = [toposort(n.op.then_outputs) for n in nodes if isinstance(n.op, IfElse)]
    return len(_products(nodes)) + sum(len(_products(branch)) for branch in lazy)


def _same(got, want, rtol=1e-10):
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-12)


# -- an LSTM: the forward x_t @ W, the gradient's accumulators, the unused sequence gradient --
def _lstm(n_hidden=3):
    X, y = T.dtensor3("X"), T.dmatrix("y")
    W, U, b = T.dmatrix("W"), T.dmatrix("U"), T.dvector("b")
    n = n_hidden

    def step(x_t, h, c):
        pre = T.dot(x_t, W) + T.dot(h, U) + b
        i, f, o = (T.sigmoid(pre[:, k * n:(k + 1) * n]) for k in range(3))
        c = f * c + i * T.tanh(pre[:, 3 * n:])
        return o * T.tanh(c), c

    h0 = T.zeros((X.shape[1], n))
    (hs, _), _ = scan(step, sequences=X, outputs_info=[h0, h0])
    loss = T.sum((hs[-1] - y) ** 2) + T.sum(hs ** 2) * 0.1
    return [X, y, W, U, b], loss


def _lstm_numpy(x, y, w, u, b):
    n = u.shape[0]
    sig = lambda v: 1 / (1 + np.exp(-v))   # noqa: E731
    h = c = np.zeros((x.shape[1], n))
    total = 0.0
    for x_t in x:
        pre = x_t @ w + h @ u + b
        c = sig(pre[:, n:2 * n]) * c + sig(pre[:, :n]) * np.tanh(pre[:, 3 * n:])
        h = sig(pre[:, 2 * n:3 * n]) * np.tanh(c)
        total += 0.1 * np.sum(h ** 2)
    return total + np.sum((h - y) ** 2)


def _lstm_values(rng, steps=4, batch=2, n_in=3, n=3):
    return [rng.normal(size=(steps, batch, n_in)), rng.normal(size=(batch, n)),
            rng.normal(size=(n_in, 4 * n)) * 0.5, rng.normal(size=(n, 4 * n)) * 0.5,
            rng.normal(size=4 * n) * 0.1]


@pytest.mark.parametrize("linker", LINKERS)
def test_lstm_loss_and_gradients_match_unpushed_numpy_and_finite_differences(linker, rng):
    inputs, loss = _lstm()
    grads = theano.grad(loss, inputs[2:])
    pushed, plain = _compile_both(inputs, [loss, *grads], linker)
    values = _lstm_values(rng)
    got, want = pushed(*values), plain(*values)
    _same(got, want)
    np.testing.assert_allclose(got[0], _lstm_numpy(*values), rtol=1e-12)
    eps = 1e-6
    for k, g in zip((2, 3, 4), got[1:], strict=True):   # W, U, b: a few entries each
        for idx in [(0,) * values[k].ndim, tuple(s - 1 for s in values[k].shape)]:
            up = [v.copy() for v in values]
            down = [v.copy() for v in values]
            up[k][idx] += eps
            down[k][idx] -= eps
            numeric = (_lstm_numpy(*up) - _lstm_numpy(*down)) / (2 * eps)
            np.testing.assert_allclose(g[idx], numeric, rtol=1e-6, atol=1e-8)
    fired = rules_fired(pushed)
    for rule in ("push_out_seq", "push_out_non_seq", "push_out_add", "remove_unused_outputs"):
        assert f"scan_pushout/{rule}" in fired
    # the forward loop and its copy with the gradient's residuals (the gates) as extra
    # outputs run as one loop, with or without scan_pushout
    assert "merge/merge_sub_loops" in fired and "merge/merge_sub_loops" in rules_fired(plain)
    # the forward loop's x_t @ W and the gradient's three accumulations leave the loops: one
    # product each step remains in each loop (h @ U forward, dpre @ U.T backward)
    assert _inner_products(pushed) == 2
    # unpushed: the forward loop x@W, h@U; backward: dh, dW, dU, dx
    assert _inner_products(plain) == 2 + 4
    assert all(not n.op.info.last_only for n in _scans(pushed))
    # outside: x @ W forward, dW, dU (the gradient reads the forward's gates, recomputes none)
    assert _outer_products(pushed) == 3 and _outer_products(plain) == 0


# -- loop shapes: taps, go_backwards, step counts, several sequences -------------------------
def _tapped(go_backwards, n_steps):
    """Sequence taps (-1, 0, 2) and a second sequence, a recurrence with taps (-2, -1), a
    mapped output computed from the sequences alone and one from the recurrence."""
    x, z, w, a0 = T.dmatrix("x"), T.dmatrix("z"), T.dmatrix("w"), T.dmatrix("a0")

    def step(x_m1, x_0, x_2, z_t, a_m2, a_m1, w):
        seq_only = T.tanh(T.dot(x_0 * x_2, w)) + z_t.sum()   # pushed out whole
        a = T.sin(a_m1) * 0.5 + a_m2 * T.exp(x_m1).sum() + T.dot(x_2, w)
        return a, seq_only, T.dot(a, w.T).sum()

    outs, _ = scan(step, sequences=[dict(input=x, taps=[-1, 0, 2]), z],
                   outputs_info=[dict(initial=a0, taps=[-2, -1]), None, None],
                   non_sequences=w, n_steps=n_steps, go_backwards=go_backwards)
    cost = sum(o.sum() * (k + 1) for k, o in enumerate(outs))
    return [x, z, w, a0], [*outs, *theano.grad(cost, [x, z, w, a0])]


def _tapped_values(rng, length):
    return [rng.normal(size=(length, 3)) * 0.5, rng.normal(size=(length + 2, 3)) * 0.5,
            rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(2, 3)) * 0.5]


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("steps", [None, 0, 1, 2])
def test_taps_backwards_and_step_counts_keep_values_and_gradients(linker, go_backwards, steps,
                                                                  rng):
    n_steps = None if steps is None else T.constant(steps, dtype="int64")
    inputs, outputs = _tapped(go_backwards, n_steps)
    pushed, plain = _compile_both(inputs, outputs, linker)
    values = _tapped_values(rng, 6)   # x's taps span 3 rows: 3 steps at most
    _same(pushed(*values), plain(*values))
    if steps is None:   # sequences giving no steps at all
        values = _tapped_values(rng, 3)
        _same(pushed(*values), plain(*values))
    assert "scan_pushout/push_out_seq" in rules_fired(pushed)
    # the sequence-only tanh(dot(x_0 * x_2, w)) and dot(x_2, w) left the loop
    assert _inner_products(pushed) < _inner_products(plain)


@pytest.mark.parametrize("linker", LINKERS)
def test_symbolic_step_count_shorter_than_the_sequences(linker, rng):
    x, w, k = T.dmatrix("x"), T.dmatrix("w"), T.lscalar("k")
    ys, _ = scan(lambda x_t, y, w: T.tanh(T.dot(x_t, w)) + y, sequences=x,
                 outputs_info=T.zeros((3,)), non_sequences=w, n_steps=k)
    outputs = [ys, theano.grad(ys.sum(), w)]
    pushed, plain = _compile_both([x, w, k], outputs, linker)
    xv, wv = rng.normal(size=(5, 3)), rng.normal(size=(3, 3))
    for steps in (0, 1, 3, 5):
        _same(pushed(xv, wv, steps), plain(xv, wv, steps))
    expected, state = [], np.zeros(3)
    for row in xv[:3]:
        state = np.tanh(row @ wv) + state
        expected.append(state)
    np.testing.assert_allclose(pushed(xv, wv, 3)[0], expected, rtol=1e-12)
    with pytest.raises(ValueError, match="n_steps=6"):
        pushed(xv, wv, 6)


@pytest.mark.parametrize("linker", LINKERS)
def test_sequences_of_different_lengths_run_the_shortest(linker, rng):
    x, z = T.dmatrix("x"), T.dmatrix("z")
    outs, _ = scan(lambda x_t, z_t: T.exp(x_t) * z_t, sequences=[x, z])
    pushed, plain = _compile_both([x, z], outs, linker)
    xv, zv = rng.normal(size=(4, 2)), rng.normal(size=(6, 2))
    np.testing.assert_allclose(pushed(xv, zv), np.exp(xv) * zv[:4], rtol=1e-12)
    np.testing.assert_allclose(pushed(zv, xv), np.exp(zv[:4]) * xv, rtol=1e-12)
    _same(pushed(xv, zv), plain(xv, zv))


@pytest.mark.parametrize("linker", LINKERS)
def test_until_loops_keep_their_per_step_sequence_work(linker, rng):
    x, w = T.dmatrix("x"), T.dmatrix("w")

    def step(x_t, total, w):
        new = total + T.dot(T.exp(x_t), w).sum()
        return new, until(new > 3)

    totals, _ = scan(step, sequences=x, outputs_info=T.constant(0.0, dtype="float64"),
                     non_sequences=w)
    outputs = [totals, theano.grad(totals[-1], w)]
    pushed, plain = _compile_both([x, w], outputs, linker)
    xv, wv = rng.uniform(0, 0.5, size=(8, 2)), rng.uniform(0, 0.5, size=(2, 2))
    got = pushed(xv, wv)
    _same(got, plain(xv, wv))
    assert 0 < len(got[0]) < 8      # it stopped early
    # the stopping loop keeps exp(x_t) @ w inside (its gradient loop, which runs the steps
    # taken, has its sequence work pushed out)
    (forward,) = [n for n in _scans(pushed) if n.op.info.until]
    inner = toposort(forward.op.inner_outputs)
    assert len(_products(inner)) == 1 and any("exp" in str(n.op) for n in inner)


@pytest.mark.parametrize("linker", LINKERS)
def test_non_sequence_work_is_computed_once_outside(linker, rng):
    """A loop whose step computes exp(w) * 2 from its non-sequence w (scan() hoists such work
    itself; gradient loops and hand-built loops do not)."""
    h0, w = T.dvector("h0"), T.dmatrix("w")
    h_in, w_in = T.dvector("h[t-1]"), T.dmatrix("w_in")
    step = T.tanh(T.dot(T.exp(w_in) * 2, h_in))
    info = ScanInfo(seq_taps=(), rec_taps=((-1,),), n_nitsot=0, n_nonseq=1)
    hs = Scan([h_in, w_in], [step], info)(T.constant(4, dtype="int64"), h0[None], w)
    outputs = [hs, theano.grad(hs.sum(), w)]
    pushed, plain = _compile_both([h0, w], outputs, linker)
    hv, wv = rng.normal(size=3), rng.normal(size=(3, 3)) * 0.3
    got = pushed(hv, wv)
    _same(got, plain(hv, wv))
    state, expected = hv, []
    for _ in range(4):
        state = np.tanh((np.exp(wv) * 2) @ state)
        expected.append(state)
    np.testing.assert_allclose(got[0], expected, rtol=1e-12)
    assert "scan_pushout/push_out_non_seq" in rules_fired(pushed)
    for node in _scans(pushed):   # neither loop computes exp(w) (nor its transpose) each step
        inner = [str(n.op) for n in toposort(node.op.inner_outputs)]
        assert not any("exp" in name or "{1,0}" in name for name in inner)


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("steps", [0, 1, 5])
def test_accumulators_become_one_product_after_the_loop(linker, steps, rng):
    """dW = sum_t h_{t-1}.T @ g_t as one product; a zero-step loop gives a zero gradient."""
    X, W, h0 = T.dtensor3("X"), T.dmatrix("W"), T.dmatrix("h0")
    hs, _ = scan(lambda x_t, h, W: T.tanh(x_t + T.dot(h, W)), sequences=X, outputs_info=h0,
                 non_sequences=W)
    cost = T.sum(T.concatenate([h0[None], hs])[-1] ** 2) + T.sum(hs)
    outputs = theano.grad(cost, [W, X, h0])
    pushed, plain = _compile_both([X, W, h0], outputs, linker)
    xv, wv, hv = (rng.normal(size=(steps, 2, 3)), rng.normal(size=(3, 3)) * 0.5,
                  rng.normal(size=(2, 3)))
    got = pushed(xv, wv, hv)
    _same(got, plain(xv, wv, hv))
    if steps == 0:
        np.testing.assert_array_equal(got[0], np.zeros((3, 3)))
    assert "scan_pushout/push_out_add" in rules_fired(pushed)
    assert all(not n.op.info.last_only for n in _scans(pushed))


def test_unread_gradient_of_a_sequence_is_not_computed(rng):
    inputs, loss = _lstm()
    W = inputs[2]
    only_w = function(inputs, theano.grad(loss, W), mode=Mode("c", "fast_run"))
    both = function(inputs, theano.grad(loss, [W, inputs[0]]), mode=Mode("c", "fast_run"))
    values = _lstm_values(rng)
    np.testing.assert_allclose(only_w(*values), both(*values)[0], rtol=1e-12)
    assert "scan_pushout/remove_unused_outputs" in rules_fired(only_w)
    # the gradient of X (dpre_t @ W.T each step) is one more product in the loop
    assert _inner_products(both) == _inner_products(only_w) + 1


@pytest.mark.parametrize("linker", LINKERS)
def test_an_unread_recurrence_stays_while_another_output_reads_it(linker, rng):
    """d/dx of tanh(x_t + h): the gradient loop's recurrence for h is the same value as the
    stacked gradient for x_t, and its initial-state gradient is not asked for."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = scan(lambda xt, h: T.tanh(xt + h) * 0.5, sequences=x, outputs_info=h0)
    outputs = [out, theano.grad(out.sum(), x)]
    pushed, plain = _compile_both([x, h0], outputs, linker)
    xv = rng.normal(size=4)
    _same(pushed(xv, 0.1), plain(xv, 0.1))
    eps = 1e-6
    loss = lambda v: _rnn(v, 0.1).sum()   # noqa: E731
    numeric = [(loss(xv + eps * e) - loss(xv - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(pushed(xv, 0.1)[1], numeric, rtol=1e-6)


def _rnn(xv, h):
    out = []
    for v in xv:
        h = np.tanh(v + h) * 0.5
        out.append(h)
    return np.array(out)
