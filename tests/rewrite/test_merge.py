"""merge: common subexpressions and equal constants become one."""

from __future__ import annotations

import numpy as np
from rewrite_helpers import op_names, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.rewrite.pipeline import PIPELINE


def test_merge_nodes(check_rule):
    fn = check_rule("merge/merge_nodes", lambda x: T.exp(x) + T.exp(x), ["exp", "add"],
                    [T.dvector("x")])
    (event,) = fn.trace.events()
    assert len(event.removed) == 1 and event.added == ()


def test_merge_constants(check_rule):
    check_rule("merge/merge_constants",
               lambda x: T.add(x, T.constant(np.ones(3))) * T.constant(np.ones(3)),
               ["add", "mul"], [T.dvector("x")], values=[np.arange(3.0)])


def test_merge_cascades_to_readers():
    x = T.dvector("x")
    a, b = T.exp(x) * 2, T.exp(x) * 2
    fn = function([x], a - b, mode=Mode(optimizer=PIPELINE.only("merge")))
    assert op_names(fn.maker.fgraph) == ["exp", "InplaceDimShuffle{x}", "mul", "sub"]
    np.testing.assert_allclose(fn(np.ones(2)), 0.0)


def test_different_ops_not_merged():
    x = T.dvector("x")
    fn = function([x], T.exp(x) + T.log(x), mode=Mode(optimizer=PIPELINE.only("merge")))
    assert rules_fired(fn) == []
