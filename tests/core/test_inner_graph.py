"""REFERENCE, the InnerCompiler of core: inner graphs evaluated op by op with ``perform`` (what
Scan and IfElse do in ``perform``, without the compile layer), against NumPy in float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph.tensor as T
from nbgraph.core.inner_graph import REFERENCE, Evaluation
from nbgraph.ops.control import ifelse
from nbgraph.ops.scan.basic import scan


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(0, 2 ** 31 - 1))
def test_evaluation_matches_numpy(rows, cols, seed):
    rng = np.random.default_rng(seed)
    x, w = T.dmatrix("x"), T.dvector("w")
    out = [T.tanh(x * w).sum(axis=0) + 1.5, T.exp(-x).T]
    xv, wv = rng.normal(size=(rows, cols)), rng.normal(size=cols)
    got = REFERENCE.function([x, w], out)(xv, wv)
    np.testing.assert_allclose(got[0], np.tanh(xv * wv).sum(axis=0) + 1.5)
    np.testing.assert_allclose(got[1], np.exp(-xv).T)


def test_outputs_never_share_an_input_or_constant_memory():
    x = T.dvector("x")
    c = T.constant(np.arange(2.0))
    a = np.array([1.0, 2.0])
    ident, view, const, again = Evaluation([x], [x, x.dimshuffle("x", 0), c, x])(a)
    for value in (ident, view, again):
        assert not np.shares_memory(value, a)
    assert not np.shares_memory(const, c.data)
    assert not np.shares_memory(ident, again)
    np.testing.assert_array_equal(view, a[None, :])


def test_a_free_variable_is_an_error_naming_it():
    x, y = T.dvector("x"), T.dvector("y")
    with pytest.raises(ValueError, match="reads y"):
        Evaluation([x], [x + y])
    with pytest.raises(TypeError, match="takes 1 inputs"):
        Evaluation([x], [x * 2])(1.0, 2.0)


def test_scan_perform_is_the_reference(rng):
    # called directly (as constant folding and DebugMode do): no compile layer involved
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = scan(lambda xt, h: T.tanh(xt + h), sequences=x, outputs_info=h0)
    node = out.owner
    xv = rng.normal(size=4)
    cells = [[None]]
    node.op.perform(node, [np.int64(-1), xv, np.array([0.5])], cells)
    expected, h = [], 0.5
    for v in xv:
        h = np.tanh(v + h)
        expected.append(h)
    np.testing.assert_allclose(cells[0][0], expected)
    assert set(node.op._fns) == {REFERENCE.key}


def test_ifelse_perform_evaluates_the_taken_branch_only():
    c, x = T.iscalar("c"), T.dvector("x")
    out = ifelse(c, x + 1, x * 3)
    node = out.owner
    for flag, expected in [(1, [2.0, 3.0]), (0, [3.0, 6.0])]:
        cells = [[None]]
        node.op.perform(node, [np.int32(flag), np.array([1.0, 2.0])], cells)
        np.testing.assert_allclose(cells[0][0], expected)
    assert set(node.op._fns) == {(REFERENCE.key, True), (REFERENCE.key, False)}
