"""The Pipeline value: order, subsets, and random graphs equal under FAST_RUN and FAST_COMPILE."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.rewrite.pipeline import FAST_COMPILE, PIPELINE, resolve

UNARY = {
    "exp_tanh": lambda a: T.exp(T.tanh(a)), "sin": T.sin, "neg": lambda a: -a,
    "log1p_sqr": lambda a: T.log(1 + a * a), "log_sigmoid": lambda a: T.log(T.sigmoid(a)),
    "sqr": lambda a: a ** 2, "times_one": lambda a: a * 1, "plus_zero": lambda a: a + 0,
    "double_neg": lambda a: T.neg(T.neg(a)), "expm1": lambda a: T.exp(a) - 1,
    "sum_keep": lambda a: T.sum(a, axis=1, keepdims=True) + a, "transpose2": lambda a: a.T.T,
}
BINARY = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "self_sub": lambda a, b: a - a + b, "max": T.maximum, "scaled": lambda a, b: 0.5 * a + b,
}

leaves = st.sampled_from([("x",), ("y",), ("c", 0.5), ("c", 2.0)])
trees = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), kids),
        st.tuples(st.sampled_from(sorted(BINARY)), kids, kids)),
    max_leaves=12)


def _build(tree, x, y):
    head = tree[0]
    if head == "x":
        return x
    if head == "y":
        return y
    if head == "c":
        return T.constant(tree[1]) + 0 * x
    if head in UNARY:
        return UNARY[head](_build(tree[1], x, y))
    return BINARY[head](_build(tree[1], x, y), _build(tree[2], x, y))


@settings(max_examples=40, deadline=None)
@given(trees, st.integers(0, 2 ** 16))
def test_random_graphs_fast_run_equals_fast_compile(tree, seed):
    x, y = T.dmatrices("x", "y")
    out = _build(tree, x, y)
    rng = np.random.default_rng(seed)
    values = [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (3, 4))]
    fast = function([x, y], out, mode="FAST_RUN", on_unused_input="ignore")
    quick = function([x, y], out, mode="FAST_COMPILE", on_unused_input="ignore")
    none = function([x, y], out, mode=Mode(optimizer=None), on_unused_input="ignore")
    want = none(*values)
    np.testing.assert_allclose(quick(*values), want, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast(*values), want, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(values[0], values[0].copy())  # inputs never overwritten


def test_pipeline_order_and_subsets():
    assert [p.name for p in PIPELINE.passes] == [
        "merge", "constant_fold", "canonicalize", "scan_pushout", "subtensor_join", "stabilize",
        "specialize", "fuse_elemwise", "inplace", "dce"]
    assert [p.name for p in FAST_COMPILE.passes] == ["merge", "constant_fold", "stabilize",
                                                     "dce"]
    assert resolve("fast_run") is PIPELINE and resolve(None) is None
    assert [p.name for p in resolve("merge").passes] == ["merge"]
    with pytest.raises(ValueError, match="fast_run"):
        resolve("fastest")


def test_only_rules_runs_nothing_else():
    only = PIPELINE.only_rules("stabilize/log1p")
    assert [p.name for p in only.passes] == ["stabilize"]
    assert [r.name for r in only.active_rules(only.passes[0])] == ["log1p"]


def test_inputs_survive_fast_run():
    x = T.dvector("x")
    fn = function([x], T.sin(T.exp(x) + x))
    xv = np.array([0.1, 0.2])
    fn(xv)
    np.testing.assert_array_equal(xv, [0.1, 0.2])


def test_find_rule_reports_unsafe_and_doc():
    from nbgraph.rewrite.pipeline import find_rule
    assert find_rule("canonicalize/div_self").unsafe == "x == 0 gives nan, not 1"
    assert find_rule("stabilize/log1p").unsafe is None
    assert "Composite" in find_rule("fuse_elemwise/fuse_elemwise").doc
    with pytest.raises(KeyError):
        find_rule("stabilize/nope")


@pytest.mark.parametrize("base", [FAST_COMPILE, PIPELINE.only("canonicalize"), PIPELINE],
                         ids=["fast_compile", "only_canonicalize", "fast_run"])
def test_including_a_pass_leaves_its_unsafe_rules_off(base):
    x = T.dvector("x")
    pipeline = base.including("canonicalize")
    rules = [r.name for r in pipeline.active_rules(pipeline.passes[
        [p.name for p in pipeline.passes].index("canonicalize")])]
    assert "mul_one" in rules and "mul_zero" not in rules and "div_self" not in rules
    fn = function([x], x * 0, mode=Mode(optimizer=pipeline))
    with np.errstate(invalid="ignore"):
        assert np.isnan(fn(np.array([np.inf]))).all()  # inf * 0 stays nan
    for allowed in [pipeline.including("unsafe"), pipeline.including("canonicalize/mul_zero"),
                    base.including("canonicalize", "unsafe"),
                    base.including("canonicalize/mul_zero")]:
        fn = function([x], x * 0, mode=Mode(optimizer=allowed))
        assert "canonicalize/mul_zero" in [e.rule for e in fn.trace.events()]


def test_pass_check_runs_after_its_rules():
    from nbgraph.rewrite.inplace import check_destroyers
    from nbgraph.rewrite.pipeline import Pass, Pipeline
    inplace = next(p for p in PIPELINE.passes if p.name == "inplace")
    assert inplace.check is check_destroyers
    assert all(p.check is None for p in PIPELINE.passes if p.name != "inplace")
    seen = []
    canonicalize = next(p for p in PIPELINE.passes if p.name == "canonicalize")
    checked = Pass("canonicalize", canonicalize.rules, fixpoint=True,
                   check=lambda fgraph: seen.append(list(fgraph.outputs)))
    x = T.dvector("x")
    fn = function([x], T.exp(x) * 1, mode=Mode(optimizer=Pipeline((checked,))))
    assert seen == [list(fn.maker.fgraph.outputs)]
    assert seen[0][0].owner.op.scalar_op.name == "exp"  # called after mul_one fired
