"""inplace: Elemwise writes into a dead input buffer, never into protected values."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph.tensor as T
from nbgraph.compile.fgraph import FunctionGraph
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.compile.rewrite.inplace import InplaceError, check_destroyers
from nbgraph.compile.rewrite.pipeline import PIPELINE
from nbgraph.core.elemwise import Elemwise
from nbgraph.core.scalar import SCALAR_BY_NAME
from nbgraph.core.shared import shared

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
