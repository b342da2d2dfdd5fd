"""stabilize: rules' structure/trace/values, guards, and stability on real numbers."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import op_names, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.gradient import grad
from nbgraph.ops import nnet
from nbgraph.rewrite.pipeline import PIPELINE

CASES = [
    ("stabilize/sigmoid", lambda x: 1 / (1 + T.exp(-x)), ["sigmoid"]),
    ("stabilize/one_minus_sigmoid", lambda x: 1 - T.sigmoid(x), ["neg", "sigmoid"]),
    ("stabilize/log1p", lambda x: T.log(1 + x), ["log1p"]),
    ("stabilize/softplus", lambda x: T.log1p(T.exp(x)), ["softplus"]),
    ("stabilize/log1p_sub", lambda x: T.log(1 - x), ["neg", "log1p"]),
    ("stabilize/expm1", lambda x: T.exp(x) - 1, ["expm1"]),
    ("stabilize/log_sigmoid", lambda x: T.log(T.sigmoid(x)), ["neg", "softplus", "neg"]),
    ("stabilize/log_softmax", lambda x: T.log(nnet.softmax(x)), ["LogSoftmax"]),
]


@pytest.mark.parametrize("rule, build, ops_after", CASES, ids=[c[0] for c in CASES])
def test_rule(rule, build, ops_after, check_rule):
    fn = check_rule(rule, build, ops_after, [T.dmatrix("x")])
    assert all(n.outputs[0].owner.tag.created_by == rule
               for n in fn.maker.fgraph.toposort())


def test_logsumexp(check_rule):
    fn = check_rule("stabilize/logsumexp", lambda x: T.log(T.sum(T.exp(x), axis=1)),
                    ["Max{axis=[1]}", "isinf", "InplaceDimShuffle{x}", "switch",
                     "InplaceDimShuffle{0,x}", "sub", "exp",
                     "Sum{axis=[1], acc_dtype=float64}", "log", "add"], [T.dmatrix("x")])
    big = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(fn(big), [1000 + np.log(2), np.log1p(np.exp(-1000.0))])


def test_crossentropy_softmax(check_rule, rng):
    labels = T.ivector("y")
    check_rule("stabilize/crossentropy_softmax",
                    lambda x, y: nnet.categorical_crossentropy(nnet.softmax(x), y),
                    [str(nnet.crossentropy_softmax_1hot(T.dmatrix(), labels)[0].owner.op)],
                    [T.dmatrix("x"), labels],
               values=[rng.normal(size=(3, 4)), np.array([0, 3, 1], dtype="int32")])


@pytest.mark.parametrize("build, rule", [
    (lambda x: T.log(2 + x), "stabilize/log1p"),           # log(2+x) is not log1p
    (lambda x: T.log1p(T.exp(x) * 2), "stabilize/softplus"),
    (lambda x: T.exp(x) - 2, "stabilize/expm1"),
    (lambda x: T.log(T.tanh(x)), "stabilize/log_sigmoid"),
    (lambda x: 2 / (1 + T.exp(x)), "stabilize/sigmoid"),
    (lambda x: 1 - T.tanh(x), "stabilize/one_minus_sigmoid"),
])
def test_guard_declines(build, rule):
    x = T.dvector("x")
    fn = function([x], build(x), mode=Mode(optimizer=PIPELINE.only("stabilize")))
    assert rule not in rules_fired(fn)


def test_log_one_minus_sigmoid_goes_through_one_minus_sigmoid():
    # the walk runs inputs to outputs, so 1 - σ(x) is rewritten before its log is visited:
    # log(1 - σ(x)) -> log(σ(-x)) -> -softplus(x), with no rule of its own
    x = T.dvector("x")
    fn = function([x], T.log(1 - T.sigmoid(x)), mode=Mode(optimizer=PIPELINE.only("stabilize")))
    assert rules_fired(fn) == ["stabilize/one_minus_sigmoid", "stabilize/log_sigmoid"]
    assert op_names(fn.maker.fgraph) == ["softplus", "neg"]
    np.testing.assert_allclose(fn(np.array([800.0, 0.0, -30.0])),
                               [-800.0, -np.log(2), -np.logaddexp(0, -30.0)], rtol=1e-15)


def test_log1p_tiny_value():
    x = T.dvector("x")
    fn = function([x], T.log(1 + x))
    assert fn(np.array([1e-20]))[0] == 1e-20  # log(1 + 1e-20) in floating point is 0


def test_log_sigmoid_far_left():
    x = T.dvector("x")
    fn = function([x], T.log(T.sigmoid(x)))
    np.testing.assert_allclose(fn(np.array([-800.0, 0.0])), [-800.0, -np.log(2)])


def test_logsumexp_at_1000():
    x = T.dvector("x")
    fn = function([x], T.log(T.sum(T.exp(x))))
    np.testing.assert_allclose(fn(np.array([1000.0, 1000.0])), 1000 + np.log(2))


def test_logsumexp_with_infinities_matches_numpy():
    # a shift by max(x) = +-inf would give inf - inf = nan; NumPy's unshifted form does not
    x = T.dmatrix("x")
    fn = function([x], T.log(T.sum(T.exp(x), axis=1)))
    assert "stabilize/logsumexp" in rules_fired(fn)
    rows = np.array([[np.inf, 0.0], [-np.inf, -np.inf], [np.inf, -np.inf], [1000.0, 1000.0]])
    with np.errstate(divide="ignore", over="ignore"):
        got, want = fn(rows), np.log(np.sum(np.exp(rows), axis=1))
    np.testing.assert_array_equal(got[:3], [np.inf, -np.inf, np.inf])
    np.testing.assert_array_equal(got[:3], want[:3])
    np.testing.assert_allclose(got[3], 1000 + np.log(2))


def test_softmax_crossentropy_far_apart_logits():
    x, y = T.dmatrix("x"), T.ivector("y")
    loss = T.mean(nnet.categorical_crossentropy(nnet.softmax(x), y))
    fn = function([x, y], [loss, grad(loss, x)])
    assert "stabilize/crossentropy_softmax" in rules_fired(fn)
    logits = np.array([[0.0, 1000.0], [1000.0, 0.0]])
    value, g = fn(logits, np.array([0, 0], dtype="int32"))
    assert np.isfinite(value) and np.isfinite(g).all()
    np.testing.assert_allclose(value, 500.0)
    np.testing.assert_allclose(g, [[-0.5, 0.5], [0.0, 0.0]], atol=1e-12)


def test_log_softmax_far_apart_logits():
    x = T.dmatrix("x")
    fn = function([x], T.log(nnet.softmax(x)))
    assert op_names(fn.maker.fgraph) == ["LogSoftmax"]
    np.testing.assert_allclose(fn(np.array([[0.0, 1000.0]])), [[-1000.0, 0.0]])


def test_crossentropy_softmax_grad(check_rule, rng):
    x, labels = T.dmatrix("x"), T.ivector("y")

    def build(x, y):
        return grad(T.sum(nnet.categorical_crossentropy(nnet.softmax(x), y)), x)

    # the Sum and first second are grad's seed fill(cost, 1.0), which only canonicalize removes
    after = ["Softmax", "CrossentropyCategorical1Hot", "Sum{acc_dtype=float64}", "second",
             "InplaceDimShuffle{x}", "second", "CrossentropySoftmax1HotDx"]
    check_rule("stabilize/crossentropy_softmax_grad", build, after, [x, labels],
               values=[rng.normal(size=(3, 4)), np.array([0, 3, 1], dtype="int32")])


def test_logistic_regression_cost_and_gradient_finite():
    z, y = T.dvector("z"), T.dvector("y")
    p = 1 / (1 + T.exp(-z))
    xent = T.sum(-y * T.log(p) - (1 - y) * T.log(1 - p))
    fn = function([z, y], [xent, grad(xent, z)])
    zv, yv = np.array([-50.0, 40.0, 0.3]), np.array([1.0, 0.0, 1.0])
    value, g = fn(zv, yv)
    softplus = np.logaddexp(0, [50.0, 40.0, -0.3])
    np.testing.assert_allclose(value, softplus.sum())
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-zv)) - yv, rtol=1e-9)


def test_log_one_plus_exp_is_softplus_and_finite():
    x = T.dvector("x")
    fn = function([x], T.log(1 + T.exp(x)))
    assert op_names(fn.maker.fgraph) == ["softplus"]
    np.testing.assert_allclose(fn(np.array([800.0, 0.0, -800.0])),
                               [800.0, np.log(2), np.exp(-800.0)], rtol=1e-15)
