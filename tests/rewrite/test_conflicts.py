"""Rules that undo each other are named, within a pass and across passes."""

from __future__ import annotations

import warnings
from types import SimpleNamespace

import pytest

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.rewrite.engine import RewriteHistory, RuleConflictWarning, RuleSet, rule
from nbgraph.rewrite.pattern import P, x
from nbgraph.rewrite.pipeline import PIPELINE, Pass, Pipeline

to_mul = rule("sqr_to_mul", P.sqr(x), lambda x: x * x)
to_sqr = rule("mul_to_sqr", P.mul(x, x), lambda x: T.sqr(x))


def test_across_passes_names_both_rules_and_the_node():
    undo = Pipeline((Pass("expand", RuleSet("expand", (to_mul,))),
                     Pass("contract", RuleSet("contract", (to_sqr,)))))
    v = T.dvector("v")
    with pytest.warns(RuleConflictWarning,
                      match=r"'expand/sqr_to_mul' and 'contract/mul_to_sqr' undo each "
                            r"other: .* at node \d+ \(Elemwise\{mul"):
        function([v], T.sqr(v) + 1, mode=Mode(optimizer=undo))


def test_within_a_fixpoint_pass_the_loop_error_names_the_pair():
    both = Pipeline((Pass("both", RuleSet("both", (to_mul, to_sqr)), fixpoint=True),))
    v = T.dvector("v")
    with pytest.warns(RuleConflictWarning), \
            pytest.raises(RuntimeError, match=r"undoing each other: 'both/sqr_to_mul' then "
                                              r"'both/mul_to_sqr'"):
        function([v], T.sqr(v), mode=Mode(optimizer=both))


def test_a_rule_that_rebuilds_its_input_is_named():
    same = rule("noop", P.exp(x), lambda x: T.exp(x))
    once = Pipeline((Pass("p", RuleSet("p", (same,))),))
    v = T.dvector("v")
    with pytest.warns(RuleConflictWarning, match="rule 'p/noop' undoes itself"):
        function([v], T.exp(v), mode=Mode(optimizer=once))


def test_default_pipeline_has_no_conflicts_on_a_training_graph():
    xs, w = T.dmatrix("xs"), T.dmatrix("w")
    t = T.dvector("t")
    p = T.nnet.sigmoid(T.dot(xs, w).sum(axis=1))
    cost = (T.nnet.binary_crossentropy(p, t).mean() + 0.1 * T.sqr(w).sum()
            + T.log(1 + T.exp(t)).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuleConflictWarning)
        function([xs, w, t], [cost, *T.grad(cost, [w])], mode=Mode(optimizer=PIPELINE))


def test_rebuilding_on_the_way_to_a_simpler_form_is_not_a_conflict():
    v = T.dvector("v")
    graph = SimpleNamespace(variables={})
    history = RewriteHistory()
    history.record("p/shrink", [(T.exp(T.exp(v)), T.exp(v))], graph)   # A -> B
    # another node simplifies into A's expression, on its way down: not an undo
    history.record("p/shrink", [(T.exp(T.exp(T.exp(v))), T.exp(T.exp(v)))], graph)
    assert history.conflicts == []
    with pytest.warns(RuleConflictWarning, match="'p/shrink' and 'p/grow' undo each other"):
        history.record("p/grow", [(T.exp(v), T.exp(T.exp(v)))], graph)   # B -> A


def test_a_cycle_of_three_rules_is_named_once():
    to_pow = rule("mul_to_pow", P.mul(x, x), lambda x: x ** 2)
    back = rule("pow_to_sqr", P.pow(x, 2), lambda x: T.sqr(x))
    three = Pipeline((Pass("toy", RuleSet("toy", (to_mul, to_pow, back)), fixpoint=True),))
    v = T.dvector("v")
    with pytest.warns(RuleConflictWarning) as caught, \
            pytest.raises(RuntimeError, match=r"last 5 sweeps: .*toy/pow_to_sqr") as err:
        function([v], T.sqr(v), mode=Mode(optimizer=three))
    assert str(err.value).count(" at node ") == 1          # the cycle once, not per rotation
    conflicts = [w for w in caught if issubclass(w.category, RuleConflictWarning)]
    assert len(conflicts) == 1
    assert all(f"'toy/{r}'" in str(conflicts[0].message)
               for r in ("sqr_to_mul", "mul_to_pow", "pow_to_sqr"))
