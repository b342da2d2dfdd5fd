"""inplace: Elemwise writes into a dead input buffer, never into protected values."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.fgraph import FunctionGraph
from nbgraph.core.shared import shared
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_BY_NAME
from nbgraph.rewrite.inplace import (
    InplaceError,
    check_destroyers,
    destroy_orderings,
    ordered_toposort,
)
from nbgraph.rewrite.pipeline import PIPELINE

INPLACE = Mode(optimizer=PIPELINE.only("inplace"))


def test_elemwise_inplace(check_rule):
    fn = check_rule("inplace/elemwise_inplace", lambda x: T.sin(T.exp(x)),
                    ["exp", "sin"], [T.dvector("x")])
    sin_node = fn.maker.fgraph.outputs[0].owner
    assert str(sin_node.op) == "Elemwise{sin,inplace}"
    assert sin_node.op.destroy_map == {0: [0]}


def test_never_overwrites_inputs_constants_or_shared():
    x = T.dvector("x")
    w = shared(np.ones(3), name="w")
    fn = function([x], [T.exp(x), T.exp(w), T.exp(T.constant(np.ones(3)))],
                  mode=INPLACE)
    assert rules_fired(fn) == []
    xv = np.array([1.0, 2.0, 3.0])
    fn(xv)
    np.testing.assert_array_equal(xv, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w.get_value(), np.ones(3))


def test_never_overwrites_value_read_later(rng):
    x = T.dvector("x")
    e = T.exp(x)
    outs = [T.sin(e), e * 2]  # e is read twice: neither reader may destroy it
    fn = function([x], outs, mode=INPLACE)
    assert rules_fired(fn) == []
    xv = rng.normal(size=4)
    got = fn(xv)
    np.testing.assert_allclose(got[0], np.sin(np.exp(xv)))
    np.testing.assert_allclose(got[1], 2 * np.exp(xv))


def test_never_overwrites_view_of_input():
    x = T.dmatrix("x")
    fn = function([x], T.exp(x.T), mode=INPLACE)  # x.T is a view of the input
    assert rules_fired(fn) == []


def test_check_destroyers_rejects_unsafe_graph():
    x = T.dvector("x")
    destroying = Elemwise(SCALAR_BY_NAME["exp"], {0: 0})(x)
    fgraph = FunctionGraph([x], [destroying])
    with pytest.raises(InplaceError, match="graph input"):
        check_destroyers(fgraph)


# -- shared variables updated in their own buffer (Theano's destroy handler allowed it) --------
def _sgd(linker: str, rng: np.random.Generator, **kw):
    """W <- W - 0.1 * x.T @ (x @ W - y), b <- b - 0.1 * sum(x @ W - y, axis=0)."""
    w = shared(rng.standard_normal((4, 3)), name="W")
    b = shared(rng.standard_normal(3), name="b")
    x, y = T.dmatrix("x"), T.dmatrix("y")
    err = T.dot(x, w) + b - y
    loss = T.sum(err ** 2)
    gw, gb = T.dot(x.T, err), T.sum(err, axis=0)
    fn = function([x, y], loss, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                  mode=Mode(linker=linker), **kw)
    return fn, w, b


def _sgd_numpy(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray):
    err = x @ w + b - y
    return (err ** 2).sum(), w - 0.1 * (x.T @ err), b - 0.1 * err.sum(axis=0)


def test_shared_update_is_computed_in_its_own_buffer(linker, rng):
    fn, w, b = _sgd(linker, rng)
    ops = {str(n.op) for n in fn.maker.fgraph.apply_nodes}
    assert "Gemm{inplace}" in ops
    destroyers = [n for n in fn.vm.nodes if n.op.destroy_map
                  and n.inputs[n.op.destroy_map[0][0]] in (w, b)]
    assert len(destroyers) == 2
    buffer = w.get_value(borrow=True)
    held = w.get_value(borrow=False)        # a caller's copy is never touched
    start = held.copy()
    ww, bb = w.get_value(), b.get_value()
    for _ in range(3):
        x, y = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
        loss, ww, bb = _sgd_numpy(ww, bb, x, y)
        np.testing.assert_allclose(fn(x, y), loss, rtol=1e-12)
        np.testing.assert_allclose(w.get_value(), ww, rtol=1e-12)
        np.testing.assert_allclose(b.get_value(), bb, rtol=1e-12)
    np.testing.assert_array_equal(held, start)
    if linker == "c":
        assert w.get_value(borrow=True) is buffer   # no new buffer, no copy, per step


def test_in_place_update_runs_after_every_reader_of_the_old_value(linker, rng):
    """V's update reads W, and sits after W's update in the updates list: the toposort alone
    would run W's in-place gemm first. The orderings put it after V's reader and W.T's."""
    w = shared(rng.standard_normal((3, 3)), name="W")
    v = shared(rng.standard_normal(3), name="V")
    x = T.dmatrix("x")
    fn = function([x], T.exp(w.T), updates=[(w, w + T.dot(x, x)), (v, v + w.sum(axis=0))],
                  mode=Mode(linker=linker))
    nodes = fn.vm.nodes
    gemm = next(k for k, n in enumerate(nodes) if str(n.op) == "Gemm{inplace}")
    assert all(k < gemm for k, n in enumerate(nodes) if w in n.inputs and k != gemm)
    w0, v0 = w.get_value(), v.get_value()
    xv = rng.standard_normal((3, 3))
    np.testing.assert_allclose(fn(xv), np.exp(w0.T), rtol=1e-12)
    np.testing.assert_allclose(w.get_value(), w0 + xv @ xv, rtol=1e-12)
    np.testing.assert_allclose(v.get_value(), v0 + w0.sum(axis=0), rtol=1e-12)


def test_ordered_toposort_moves_the_destroyer_after_readers(rng):
    w = shared(rng.standard_normal((3, 3)), name="W")
    v = shared(rng.standard_normal(3), name="V")
    x = T.dmatrix("x")
    fn = function([x], [], updates=[(w, w + T.dot(x, x)), (v, v + w.sum(axis=0))])
    fgraph = fn.maker.fgraph
    gemm = next(n for n in fgraph.apply_nodes if str(n.op) == "Gemm{inplace}")
    before = destroy_orderings(fgraph)[gemm]
    assert before and all(w in n.inputs for n in before)
    order = ordered_toposort(fgraph)
    assert all(order.index(n) < order.index(gemm) for n in before)
    assert fgraph.toposort().index(gemm) < max(fgraph.toposort().index(n) for n in before)


@pytest.mark.parametrize("case", ["target is an output", "update is an output",
                                  "view of target is an output", "read twice by the updater"])
def test_no_in_place_update_when_the_old_or_new_value_escapes(case, linker, rng):
    w = shared(rng.standard_normal((3, 3)), name="W")
    x = T.dmatrix("x")
    new = w - 0.5 * T.dot(x, x)
    outputs = {"target is an output": [w], "update is an output": [new],
               "view of target is an output": [w.T], "read twice by the updater": []}[case]
    if case == "read twice by the updater":
        new = w - 0.5 * T.dot(x, w.T)
    fn = function([x], outputs, updates=[(w, new)], mode=Mode(linker=linker))
    assert all(not n.op.destroy_map or w not in n.inputs for n in fn.maker.fgraph.apply_nodes)
    w0, xv = w.get_value(), rng.standard_normal((3, 3))
    got = fn(xv)
    want = w0 - 0.5 * (xv @ (w0.T if case == "read twice by the updater" else xv))
    np.testing.assert_allclose(w.get_value(), want, rtol=1e-12)
    if case != "read twice by the updater":
        kept = got[0].copy()
        fn(xv)   # a returned array is the caller's: the next call leaves it alone
        np.testing.assert_array_equal(got[0], kept)
        expected = {"target is an output": w0, "update is an output": want,
                    "view of target is an output": w0.T}[case]
        np.testing.assert_allclose(got[0], expected, rtol=1e-12)


def test_explicit_stateful_input_is_never_updated_in_place(rng):
    from nbgraph.compile.function import In
    x, acc = T.dvector("x"), T.dvector("acc")
    fn = function([x, In(acc, value=np.zeros(3), update=acc + x)], acc * 2)
    assert all(not n.op.destroy_map or acc not in n.inputs
               for n in fn.maker.fgraph.apply_nodes)
    start = np.ones(3)
    fn(np.ones(3), start)
    np.testing.assert_array_equal(start, np.ones(3))


def test_read_only_or_broadcast_shared_values_get_a_new_buffer(linker):
    """set_value(borrow=True) of a read-only array (np.broadcast_to's, stride 0): the update
    lands in a fresh buffer, the caller's array is untouched."""
    ro = np.ones(3)
    ro.setflags(write=False)
    b = shared(ro, borrow=True)
    w = shared(np.ones((3, 3)))
    base = np.ones(3)
    w.set_value(np.broadcast_to(base, (3, 3)), borrow=True)
    x, y = T.dvector("x"), T.dmatrix("y")
    fn = function([x, y], [], updates=[(b, b - 0.1 * x), (w, w - 0.1 * T.dot(y, y))],
                  mode=Mode(linker=linker))
    for _ in range(2):
        fn(np.ones(3), np.ones((3, 3)))
    np.testing.assert_allclose(b.get_value(), np.full(3, 0.8))
    np.testing.assert_allclose(w.get_value(), np.full((3, 3), 0.4))
    np.testing.assert_array_equal(ro, np.ones(3))
    np.testing.assert_array_equal(base, np.ones(3))


def test_updates_reading_each_other_keep_one_out_of_place():
    # each update reads the other's old value: both in place would need each to run first
    a = shared(np.array([1.0, 2.0]), name="a")
    b = shared(np.array([3.0, 5.0]), name="b")
    fn = function([], [], updates=[(a, a + b), (b, b * a)])
    destroyers = [n for n in fn.maker.fgraph.toposort() if getattr(n.op, "destroy_map", None)]
    assert len(destroyers) == 1
    fn()
    np.testing.assert_array_equal(a.get_value(), [4.0, 7.0])
    np.testing.assert_array_equal(b.get_value(), [3.0, 10.0])
    fn()
    np.testing.assert_array_equal(a.get_value(), [7.0, 17.0])
    np.testing.assert_array_equal(b.get_value(), [12.0, 70.0])
