"""``bisect`` names the first rewrite that changed a value; ``why_not`` says why a rule did not
fire. Both replay the compile on a copy and name the nodes of ``fn.trace``."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.rewrite.engine import RuleSet, rule
from nbgraph.rewrite.pattern import P, x
from nbgraph.rewrite.pipeline import PIPELINE, Pass, Pipeline

_lying = rule("exp_to_log", P.exp(x), lambda x: T.log(x))   # a rewrite that changes values
BROKEN = Pipeline(PIPELINE.passes[:3] + (Pass("broken", RuleSet("broken", (_lying,))),)
                  + PIPELINE.passes[3:])


@pytest.mark.parametrize("linker", ["py", "c"])
def test_bisect_finds_the_rule_with_values_before_and_after(linker):
    v = T.dvector("v")
    fn = function([v], T.exp(v) * 2 + 1, mode=Mode(linker=linker, optimizer=BROKEN))
    value = np.array([1.0, 2.0])
    found = nbgraph.bisect(fn, value)
    assert found is not None and found.rule == "broken/exp_to_log"
    assert fn.trace.events()[found.event].rule == "broken/exp_to_log"
    np.testing.assert_allclose(found.before, np.exp(value) * 2 + 1)
    np.testing.assert_allclose(found.after, np.log(value) * 2 + 1)
    assert set(found.removed) == set(fn.trace.events()[found.event].removed)
    assert "broken/exp_to_log" in str(found)


def test_bisect_is_none_when_rewrites_keep_values_and_leaves_shared_alone():
    v = T.dvector("v")
    w = nbgraph.shared(np.array([0.5, -0.5]), name="w")
    out = T.log(1 + T.exp(v * w)) + T.sqr(v) / v
    fn = function([v], out, updates=[(w, w * 2)])
    assert fn.bisect(np.array([3.0, 4.0])) is None
    np.testing.assert_array_equal(w.get_value(), [0.5, -0.5])   # the replay ran no update


def test_bisect_accepts_stabilized_infinities():
    v = T.dvector("v")
    fn = function([v], T.log(1 + T.exp(v)))
    assert nbgraph.bisect(fn, np.array([800.0, -800.0])) is None


def test_bisect_checks_argument_count():
    v = T.dvector("v")
    with pytest.raises(TypeError, match="takes 1 inputs, 2 given"):
        nbgraph.bisect(function([v], v * 2), np.ones(2), np.ones(2))


def test_why_not_names_the_op_that_differed():
    v = T.dvector("v")
    one = T.constant(np.ones(2)) * T.constant(1.0)   # a "1" the pattern cannot see at merge
    fn = function([v], T.log(T.exp(v) - one))
    answers = fn.why_not("stabilize/log1p")
    (log_node,) = [n for n in fn.trace.passes[0].before.nodes if "log" in n.label]
    about_log = [w for w in answers if w.uid == log_node.uid]
    assert about_log, answers
    assert "expected add(...), found Elemwise{sub" in about_log[0].reason
    assert "input 0 of log" in about_log[0].reason


def test_why_not_says_when_it_fired_and_when_its_pass_had_not_run():
    v = T.dvector("v")
    fn = function([v], T.log(1 + T.exp(v)))
    reasons = [w.reason for w in fn.why_not("stabilize/log1p")]
    assert reasons[0] == "matches: the rule's pass 'stabilize' has not run yet"
    assert "the rule fired here" in reasons


def test_why_not_when_the_rule_is_off():
    v = T.dvector("v")
    fn = function([v], T.log(1 + T.exp(v)),
                  mode=Mode(optimizer=PIPELINE.excluding("stabilize/log1p")))
    first = fn.why_not("stabilize/log1p")[0]
    assert "switched off" in first.reason


def test_why_not_guard_declined():
    guarded = rule("never", P.exp(x), lambda x: None)
    only = Pipeline((Pass("g", RuleSet("g", (guarded,))),))
    v = T.dvector("v")
    fn = function([v], T.exp(v), mode=Mode(optimizer=only))
    (answer,) = fn.why_not("g/never")
    assert answer.after_pass == "g" and "guard declined" in answer.reason
    with pytest.raises(KeyError, match="no rule 'g/nope'"):
        fn.why_not("g/nope")
