"""Scan's compiled step loop (``nbgraph.link.scan_loop``): every loop form gives the values of
NumPy loops and of ``Scan.perform`` (the reference) on the py and c linkers; kernels write
the steps into the output buffers in place; outputs that alias an input, or repeat, are
copied; errors name the inner node, and shapes that change between steps are refused."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.core.inner_graph import REFERENCE
from nbgraph.link import scan_loop
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan

LINKERS = ["py", "c"]


def compiled(inputs, outputs, linker):
    return nbgraph.function(inputs, outputs, mode=Mode(linker, "fast_run"))


def scan_nodes(fn):
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def check_both(inputs, outputs, values, want):
    """The function on every linker gives ``want`` (NumPy), as does the graph evaluated node
    by node with ``Scan.perform`` and the reference step."""
    ref = REFERENCE.function(inputs, outputs)(*map(np.asarray, values))
    for linker in LINKERS:
        fn = compiled(inputs, outputs, linker)
        for g, r, w in zip(fn(*values), ref, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, err_msg=linker)
            np.testing.assert_allclose(g, r, rtol=1e-13, atol=1e-13, err_msg=linker)
        assert all(None not in n.op._loops.values() for n in scan_nodes(fn))


def test_taps_sequences_non_sequences_and_maps(rng):
    x, w = T.dvector("x"), T.dscalar("w")
    h0 = T.dvector("h0")

    def step(xm1, x0, xp1, hm2, hm1, w):
        h = hm1 * w + hm2 * 0.5 + xm1 - xp1 * x0
        return h, T.tanh(h) * 2
    (hs, ys), _ = scan(step, sequences=dict(input=x, taps=[-1, 0, 1]),
                       outputs_info=[dict(initial=h0, taps=[-2, -1]), None], non_sequences=w)
    xv, wv, init = rng.normal(size=9), 0.7, np.array([0.3, -0.2])
    h, want_h, want_y = list(init), [], []
    for t in range(1, 8):
        v = h[-1] * wv + h[-2] * 0.5 + xv[t - 1] - xv[t + 1] * xv[t]
        h.append(v)
        want_h.append(v)
        want_y.append(np.tanh(v) * 2)
    check_both([x, h0, w], [hs, ys], [xv, init, wv], [want_h, want_y])


def test_go_backwards_matrices_and_a_gradient_scan(rng):
    X, W = T.dmatrix("X"), T.dmatrix("W")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda x_t, h, W: T.tanh(T.dot(W, h) + x_t), sequences=X, outputs_info=h0,
                 non_sequences=W, go_backwards=True)
    cost = (hs ** 2).sum()
    gW, gh = nbgraph.grad(cost, [W, h0])
    xv, wv, hv = rng.normal(size=(6, 3)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)

    def forward(wv, hv):
        out, h = [], hv
        for x_t in xv[::-1]:
            h = np.tanh(wv @ h + x_t)
            out.append(h)
        return np.array(out)
    want = forward(wv, hv)
    eps = 1e-6
    num_w = np.array([[((forward(wv + eps * e, hv) ** 2).sum()
                        - (forward(wv - eps * e, hv) ** 2).sum()) / (2 * eps)
                       for e in np.eye(9)[k * 3:(k + 1) * 3].reshape(3, 3, 3)]
                      for k in range(3)])
    num_h = np.array([((forward(wv, hv + eps * e) ** 2).sum()
                       - (forward(wv, hv - eps * e) ** 2).sum()) / (2 * eps) for e in np.eye(3)])
    for linker in LINKERS:
        fn = compiled([X, W, h0], [hs, gW, gh], linker)
        got = fn(xv, wv, hv)
        np.testing.assert_allclose(got[0], want, rtol=1e-12)
        np.testing.assert_allclose(got[1], num_w, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(got[2], num_h, rtol=1e-6, atol=1e-8)
        assert len(scan_nodes(fn)) == 2
        assert all(None not in n.op._loops.values() for n in scan_nodes(fn))


@pytest.mark.parametrize("linker", LINKERS)
def test_until_stops_after_the_step_where_it_holds(linker):
    x0 = T.dscalar("x0")
    out, _ = scan(lambda x: (x * 2, nbgraph.scan_module.until(x * 2 > 40)), outputs_info=x0,
                  n_steps=100)
    fn = compiled([x0], out, linker)
    np.testing.assert_array_equal(fn(3.0), [6.0, 12.0, 24.0, 48.0])
    np.testing.assert_array_equal(fn(50.0), [100.0])


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_last_only_rings_and_no_steps(linker, n):
    x0 = T.dvector("x0")
    k = T.lscalar("k")
    out, _ = scan(lambda a, b: a + 2 * b, outputs_info=[dict(initial=x0, taps=[-2, -1])],
                  n_steps=k)
    node = out.owner
    info = dataclasses.replace(node.op.info, last_only=(0,))
    ring = Scan(node.op.inner_inputs, node.op.inner_outputs, info)(*node.inputs)
    ys, _ = scan(lambda a: a * 3, sequences=out)
    fn = compiled([x0, k], [ring, out, ys], linker)
    init = np.array([1.0, 2.0])
    seq = list(init)
    for _ in range(n):
        seq.append(seq[-2] + 2 * seq[-1])
    last, full, mapped = fn(init, n)
    np.testing.assert_array_equal(full, seq[2:])
    np.testing.assert_array_equal(last, seq[-1:])
    np.testing.assert_array_equal(mapped, np.array(seq[2:]) * 3)
    assert mapped.shape == (n,)


@pytest.mark.parametrize("linker", LINKERS)
def test_the_compiled_loop_runs_without_the_step_function(linker, monkeypatch, rng):
    x, w = T.dmatrix("x"), T.dvector("w")
    h0 = T.dvector("h0")
    hs, _ = scan(lambda x_t, h, w: T.tanh(h * w + x_t), sequences=x, outputs_info=h0,
                 non_sequences=w)
    g = nbgraph.grad(hs.sum(), w)
    fn = compiled([x, h0, w], [hs, g], linker)
    xv, hv, wv = rng.normal(size=(20, 4)), rng.normal(size=4), rng.normal(size=4)
    first = fn(xv, hv, wv)
    for node in scan_nodes(fn):
        for inner in node.op._fns.values():
            monkeypatch.setattr(inner, "_run", _fail)
            monkeypatch.setattr(inner.vm, "run", _fail)
    monkeypatch.setattr(Scan, "perform", _fail)
    again = fn(xv, hv, wv)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)


def _fail(*args, **kwargs):
    raise AssertionError("the step function ran")


def test_c_kernels_write_the_steps_in_place(monkeypatch, rng):
    copies = []

    def counting(k, value, array, row, expected):
        copies.append(k)
        array[row, ...] = value
    monkeypatch.setattr(scan_loop, "_store_row", counting)
    x, w = T.dmatrix("x"), T.dvector("w")
    h0 = T.dvector("h0")
    (hs, ys), _ = scan(lambda x_t, h, w: [T.tanh(h * w + x_t)] * 2, sequences=x,
                       outputs_info=[h0, None], non_sequences=w)
    fn = compiled([x, h0, w], [hs, ys], "c")
    xv, hv, wv = rng.normal(size=(10, 3)), rng.normal(size=3), rng.normal(size=3)
    h, want = hv, []
    for x_t in xv:
        h = np.tanh(h * wv + x_t)
        want.append(h)
    got_h, got_y = fn(xv, hv, wv)
    np.testing.assert_allclose(got_h, want, rtol=1e-12)
    np.testing.assert_allclose(got_y, want, rtol=1e-12)
    assert copies == [1] * 9  # only the repeated output is copied, after the first step


@pytest.mark.parametrize("linker", LINKERS)
def test_outputs_aliasing_inputs_or_repeated_are_copied(linker, rng):
    X, w = T.dmatrix("X"), T.dvector("w")
    H0 = T.dmatrix("H0")

    def step(x_t, h, w):
        flipped = h.T                # a view of the tap row of its own buffer
        return flipped, x_t[::-1], w, flipped, x_t
    (hs, rev, ws, again, xs), _ = scan(step, sequences=X, non_sequences=w,
                                        outputs_info=[H0, None, None, None, None])
    fn = compiled([X, H0, w], [hs, rev, ws, again, xs], linker)
    xv, wv = rng.normal(size=(5, 2)), rng.normal(size=3)
    hv = rng.normal(size=(2, 2))
    want_h = np.array([hv.T if t % 2 == 0 else hv for t in range(5)])
    first = [np.array(a) for a in fn(xv, hv, wv)]
    np.testing.assert_array_equal(first[0], want_h)
    np.testing.assert_array_equal(first[1], xv[:, ::-1])
    np.testing.assert_array_equal(first[2], np.tile(wv, (5, 1)))
    np.testing.assert_array_equal(first[3], want_h)
    np.testing.assert_array_equal(first[4], xv)
    held = fn(xv, hv, wv)
    fn(xv * 2, hv * 3, wv * 4)  # a later call leaves an earlier result alone
    for a, b in zip(first, held, strict=True):
        np.testing.assert_array_equal(a, b)
    assert wv[0] == first[2][0, 0] and xv[0, 0] == first[4][0, 0]  # inputs untouched


@pytest.mark.parametrize("linker", LINKERS)
def test_a_shape_that_changes_between_steps_is_refused(linker):
    k = T.lvector("k")
    ys, _ = scan(lambda n: T.arange(n), sequences=k)
    fn = compiled([k], ys, linker)
    np.testing.assert_array_equal(fn(np.array([2, 2, 2])), [[0, 1]] * 3)
    with pytest.raises(ValueError, match=r"output 0 has shape \(3,\) at one step and \(2,\) "
                                         r"at another.*every step must give the same shape"):
        fn(np.array([2, 2, 3]))
    h0 = T.dvector("h0")
    hs, _ = scan(lambda h: T.concatenate([h, h]), outputs_info=h0, n_steps=2)
    with pytest.raises(ValueError, match=r"output 0 has shape \(4,\).*\(2,\)"):
        compiled([h0], hs, linker)(np.ones(2))


@pytest.mark.parametrize("linker", LINKERS)
def test_an_error_inside_a_later_step_names_the_inner_node(linker):
    idx, v = T.lvector("idx"), T.dvector("v")
    ys, _ = scan(lambda i, v: T.exp(v[i]), sequences=idx, non_sequences=v)
    fn = compiled([idx, v], ys, linker)
    np.testing.assert_allclose(fn(np.array([0, 2, 1]), np.arange(3.0)), np.exp([0, 2, 1]))
    for bad in ([7, 1], [0, 1, 2, 7]):  # the first step, a later one
        with pytest.raises(IndexError) as info:
            fn(np.array(bad), np.arange(3.0))
        text = str(info.value)
        assert text.count("while computing node") == 2  # the inner node, then the Scan
        inner, outer = text.split("while computing node")[1:]
        assert "Scan" not in inner.splitlines()[0] and "Scan" in outer.splitlines()[0]


@pytest.mark.parametrize("linker", LINKERS)
def test_a_scan_inside_a_scan(linker, rng):
    X = T.dmatrix("X")
    h0 = T.dscalar("h0")

    def outer(x_t, h):
        inner, _ = scan(lambda v, a: a * 0.5 + v, sequences=x_t, outputs_info=h)
        return inner[-1] + 1
    hs, _ = scan(outer, sequences=X, outputs_info=h0)
    fn = compiled([X, h0], hs, linker)
    xv = rng.normal(size=(4, 3))
    h, want = 0.25, []
    for row in xv:
        for v in row:
            h = h * 0.5 + v
        h += 1
        want.append(h)
    np.testing.assert_allclose(fn(xv, 0.25), want, rtol=1e-12)
