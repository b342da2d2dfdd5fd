"""canonicalize: each rule's structure, trace and values; guards and unsafe gating."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import op_names, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import cast_spec
from nbgraph.rewrite.pipeline import PIPELINE


def _sum_sum(x):
    return T.sum(T.sum(x, axis=1), axis=0)


CASES = [
    ("canonicalize/mul_one", lambda x: T.exp(x) * 1, ["exp"]),
    ("canonicalize/add_zero", lambda x: 0 + T.exp(x), ["exp"]),
    ("canonicalize/sub_zero", lambda x: T.exp(x) - 0, ["exp"]),
    ("canonicalize/sub_self", lambda x: x - x, ["second"]),
    ("canonicalize/neg_neg", lambda x: T.neg(T.neg(T.exp(x))), ["exp"]),
    ("canonicalize/div_one", lambda x: T.exp(x) / 1, ["exp"]),
    ("canonicalize/pow_one", lambda x: T.exp(x) ** 1, ["exp"]),
    ("canonicalize/add_neg", lambda x: T.exp(x) + (-x), ["exp", "sub"]),
    ("canonicalize/sub_neg", lambda x: T.exp(x) - (-x), ["exp", "add"]),
    ("canonicalize/div_self", lambda x: x / x, ["second"]),
    ("canonicalize/mul_zero", lambda x: x * 0, ["second"]),
    ("canonicalize/cast_same", lambda x: Elemwise(cast_spec("float64"))(x), []),
    ("canonicalize/fill_useless", lambda x: T.fill(x, T.exp(x)), ["exp"]),
    ("canonicalize/flatten_add", lambda x: (x + T.exp(x)) + T.sin(x), ["exp", "sin", "add"]),
    ("canonicalize/flatten_mul", lambda x: (x * T.exp(x)) * T.sin(x), ["exp", "sin", "mul"]),
    ("canonicalize/useless_dimshuffle", lambda x: T.exp(x.dimshuffle(0, 1)), ["exp"]),
    ("canonicalize/dimshuffle_dimshuffle", lambda x: T.exp(x.T.T), ["exp"]),
    ("canonicalize/useless_reshape", lambda x: T.exp(x.reshape(x.shape, ndim=2)),
     ["exp"]),
    ("canonicalize/sum_sum", _sum_sum, ["Sum{acc_dtype=float64}"]),
]


@pytest.mark.parametrize("rule, build, ops_after", CASES, ids=[c[0] for c in CASES])
def test_rule(rule, build, ops_after, check_rule):
    check_rule(rule, build, ops_after, [T.dmatrix("x")])


def test_drop_neutral_nary(check_rule):
    x, y = T.dmatrices("x", "y")
    # exp(y) is never -0.0, so the 0 can go (x + 0 + y is +0.0 at x = y = -0.0: it stays)
    check_rule("canonicalize/drop_neutral", lambda x, y: T.add(x, 0, T.exp(y)), ["exp", "add"],
               [x, y])


@pytest.mark.parametrize("build, rule", [
    (lambda x: x * 2, "canonicalize/mul_one"),            # 2 is not the neutral element
    (lambda x: x + 1, "canonicalize/add_zero"),
    (lambda x: x - T.exp(x), "canonicalize/sub_self"),    # different operands
    (lambda x: x.T, "canonicalize/useless_dimshuffle"),   # a real transpose
])
def test_guard_declines(build, rule):
    x = T.dmatrix("x")
    fn = function([x], build(x), mode=Mode(optimizer=PIPELINE.only("canonicalize")))
    assert rule not in rules_fired(fn)


def test_mul_one_declines_when_broadcast_would_change_type():
    x = T.drow("x")  # x * ones(3, 4) is a matrix, x alone a row: the types differ
    ones = T.constant(np.ones((3, 4)))
    fn = function([x], x * ones, mode=Mode(optimizer=PIPELINE.only_rules(
        "canonicalize/mul_one")))
    assert rules_fired(fn) == []
    np.testing.assert_allclose(fn(np.ones((1, 4))), np.ones((3, 4)))


def test_unsafe_rule_off_by_default():
    x = T.dvector("x")
    fn = function([x], x / x, mode=Mode(optimizer=PIPELINE.only("canonicalize")))
    assert "canonicalize/div_self" not in rules_fired(fn)
    assert np.isnan(fn(np.zeros(2))).all()  # the graph keeps x/x semantics at 0
    unsafe = Mode(optimizer=PIPELINE.only("canonicalize").including("unsafe"))
    fn = function([x], x / x, mode=unsafe)
    assert "canonicalize/div_self" in rules_fired(fn)


@pytest.mark.parametrize("rule, build", [("canonicalize/sub_self", lambda x: x - x),
                                         ("canonicalize/mul_zero", lambda x: x * 0)])
def test_unsafe_rules_keep_nan_at_inf_and_nan_by_default(rule, build):
    x = T.dvector("x")
    special = np.array([np.inf, np.nan, 1.0])
    fn = function([x], build(x))  # FAST_RUN
    assert rule not in rules_fired(fn)
    with np.errstate(invalid="ignore"):
        want, got = build(special), fn(special)
    np.testing.assert_array_equal(got, want)  # nan, nan, 0: NumPy's values
    fn = function([x], build(x), mode=Mode().including(rule))
    assert rule in rules_fired(fn)


def test_flatten_keeps_shared_inner_node():
    x = T.dvector("x")
    inner = x + T.exp(x)
    fn = function([x], [inner + T.sin(x), inner * 2],
                  mode=Mode(optimizer=PIPELINE.only("canonicalize")))
    assert "canonicalize/flatten_add" not in rules_fired(fn)
    assert "add" in op_names(fn.maker.fgraph)


@pytest.mark.parametrize("rule", ["canonicalize/fill_useless", "canonicalize/useless_reshape",
                                  "canonicalize/shape_to_shape_i", "canonicalize/shape_i_infer",
                                  "canonicalize/fill_shape_from_input"])
def test_shape_unsafe_rules_run_by_default_and_say_so(rule):
    from nbgraph.rewrite.pipeline import find_rule
    found = find_rule(rule)
    assert found.unsafe is None  # on in FAST_RUN, as Theano/PyTensor's shape_unsafe rewrites
    assert found.doc.startswith("removes a run-time shape check; ")
    canonicalize = next(p for p in PIPELINE.passes if p.name == "canonicalize")
    assert found in PIPELINE.active_rules(canonicalize)


def test_fill_useless_drops_the_fill_shape_check():
    x, y = T.dvectors("x", "y")
    out = T.fill(y, T.exp(x))
    unchecked = function([x, y], out)
    assert "canonicalize/fill_useless" in rules_fired(unchecked)
    np.testing.assert_allclose(unchecked(np.zeros(3), np.zeros(4)), np.ones(3))
    checked = function([x, y], out, mode=Mode(optimizer=None))
    with pytest.raises(ValueError):
        checked(np.zeros(3), np.zeros(4))


@pytest.mark.parametrize("build, rule", [
    (lambda x: T.log(T.exp(x)), "canonicalize/log_exp"),
    (lambda x: T.log1p(T.expm1(x)), "canonicalize/log1p_expm1"),
])
def test_inverse_pairs_cancel(build, rule):
    # exact where the unrewritten pair overflows: log(exp(800)) is inf computed as written
    x = T.dvector("x")
    fn = function([x], build(x) * 2)
    assert rule in rules_fired(fn)
    values = np.array([-800.0, -1e-20, 0.5, 800.0])
    np.testing.assert_array_equal(fn(values), 2 * values)
    assert "canonicalize/log_exp" not in rules_fired(function([x], T.log(T.exp(x) + 1)))
