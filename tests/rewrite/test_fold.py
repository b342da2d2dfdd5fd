"""constant_fold: constant subgraphs become constants; errors wait for run time."""

from __future__ import annotations

import numpy as np
from rewrite_helpers import op_names, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.graph import Constant
from nbgraph.rewrite.pipeline import PIPELINE


def test_fold_constants(check_rule):
    two = T.constant(np.array([2.0, 2.0]))
    fn = check_rule("constant_fold/fold_constants", lambda x: x * T.exp(two), ["mul"],
                    [T.dvector("x")], values=[np.array([1.0, 3.0])])
    const = fn.maker.fgraph.toposort()[0].inputs[1]
    assert isinstance(const, Constant)
    np.testing.assert_allclose(const.data, np.exp(2.0))


def test_fold_whole_graph_to_constant():
    x = T.dvector("x")
    out = T.exp(T.constant(1.0)) + 0 * T.sum(x)
    fn = function([x], [T.exp(T.constant(1.0)) * 2], mode=Mode(
        optimizer=PIPELINE.only("constant_fold")), on_unused_input="ignore")
    assert op_names(fn.maker.fgraph) == []
    np.testing.assert_allclose(fn(np.ones(2))[0], 2 * np.e)
    del out


def test_fold_leaves_input_dependent_nodes():
    x = T.dvector("x")
    fn = function([x], T.exp(x), mode=Mode(optimizer=PIPELINE.only("constant_fold")))
    assert rules_fired(fn) == []
