"""Value AND gradient finite and right at extreme inputs (issue 12), in float32 and float64,
on every linker: the sigmoid forms at +-800, the softmax forms at logits +-1000.

``grad`` builds the gradient before any rewrite (d log(1 + exp(x)) is ``g / (1 + exp(x)) *
exp(x)``), so these pass only if stabilize rewrites the gradient forms too. References are
analytic, in float64.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rewrite_helpers import rules_fired
from scipy import special

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.gradient import grad
from nbgraph.ops import nnet
from nbgraph.ops import nnet_bias as N_

LINKERS = ["py", "vm", "c"]
DTYPES = ["float64", "float32"]
RTOL = {"float64": 1e-12, "float32": 2e-6}
TINY = {"float64": 1e-300, "float32": 1e-37}
# sigmoid(x) - t cancels: its error is a few ulp of 1, not of the difference
CANCELS = "binary_crossentropy(sigmoid(x), t)"
EDGES = np.array([-800.0, -100.0, -30.0, -1.0, 0.0, 0.5, 30.0, 100.0, 800.0])
TARGET = np.linspace(0.0, 1.0, len(EDGES))


def _softplus(v: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, v)


def _bce(v: np.ndarray, t: np.ndarray) -> np.ndarray:
    return t * _softplus(-v) + (1 - t) * _softplus(v)


# name -> (build(x, t), value(v, t), d value / dv (v, t)): elementwise forms of a vector x
# (t, the targets, only matters to the cross-entropy)
SIGMOID_FORMS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
    "softplus": (lambda x, t: T.softplus(x), lambda v, t: _softplus(v),
                 lambda v, t: special.expit(v)),
    "log1p(exp(x))": (lambda x, t: T.log1p(T.exp(x)), lambda v, t: _softplus(v),
                      lambda v, t: special.expit(v)),
    "log(1 + exp(x))": (lambda x, t: T.log(1 + T.exp(x)), lambda v, t: _softplus(v),
                        lambda v, t: special.expit(v)),
    "log(sigmoid(x))": (lambda x, t: T.log(T.sigmoid(x)), lambda v, t: -_softplus(-v),
                        lambda v, t: special.expit(-v)),
    "log(1 - sigmoid(x))": (lambda x, t: T.log(1 - T.sigmoid(x)), lambda v, t: -_softplus(v),
                            lambda v, t: -special.expit(v)),
    "binary_crossentropy(sigmoid(x), t)": (
        lambda x, t: nnet.binary_crossentropy(T.sigmoid(x), t), _bce,
        lambda v, t: special.expit(v) - t),
}


def _check(got: np.ndarray, want: np.ndarray, dtype: str, atol: float | None = None) -> None:
    got = np.asarray(got)
    assert got.dtype == dtype
    assert np.isfinite(got).all(), got
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=atol or TINY[dtype])


def _ulps_of_one(form: str, dtype: str) -> float | None:
    return 4 * float(np.finfo(dtype).eps) if form == CANCELS else None


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", SIGMOID_FORMS, ids=list(SIGMOID_FORMS))
def test_sigmoid_form_value_and_gradient(form, dtype, linker):
    build, value, derivative = SIGMOID_FORMS[form]
    x, t = T.vector("x", dtype=dtype), T.vector("t", dtype=dtype)
    out = build(x, t)
    fn = function([x, t], [out, grad(T.sum(out), x)], mode=Mode(linker, "fast_run"),
                  on_unused_input="ignore")
    got, slope = fn(EDGES.astype(dtype), TARGET.astype(dtype))
    _check(got, value(EDGES, TARGET), dtype)
    _check(slope, derivative(EDGES, TARGET), dtype, _ulps_of_one(form, dtype))


@functools.cache
def _compiled_sigmoid_form(form: str, dtype: str) -> Any:
    build = SIGMOID_FORMS[form][0]
    x, t = T.vector("x", dtype=dtype), T.vector("t", dtype=dtype)
    out = build(x, t)
    return function([x, t], [out, grad(T.sum(out), x)], mode=Mode("c", "fast_run"),
                    on_unused_input="ignore")


@settings(max_examples=40, deadline=None)
@given(form=st.sampled_from(list(SIGMOID_FORMS)), dtype=st.sampled_from(DTYPES),
       values=st.lists(st.floats(-1000, 1000), min_size=1, max_size=6))
def test_sigmoid_forms_at_random_points(form, dtype, values):
    # anywhere in [-1000, 1000], not only at the chosen edges: finite and right
    _, value, derivative = SIGMOID_FORMS[form]
    v = np.asarray(values, dtype=dtype)
    target = np.linspace(0.0, 1.0, len(v)).astype(dtype)
    got, slope = _compiled_sigmoid_form(form, dtype)(v, target)
    exact, t = v.astype("float64"), target.astype("float64")
    _check(got, value(exact, t), dtype)
    _check(slope, derivative(exact, t), dtype, _ulps_of_one(form, dtype))


LOGITS = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0],
                   [0.0, 0.0, 0.0], [-1000.0, -1000.0, 999.0]])
LABELS = np.array([1, 2, 0, 0], dtype="int32")
BIAS = np.array([0.5, -0.25, 0.0])
N = len(LABELS)


def _nll(v: np.ndarray) -> np.ndarray:
    return -special.log_softmax(v, axis=1)[np.arange(N), LABELS]


def _nll_grad(v: np.ndarray) -> np.ndarray:
    return (special.softmax(v, axis=1) - np.eye(v.shape[1])[LABELS]) / N


def _bias_nll(x: Any, y: Any) -> Any:
    return T.mean(N_.crossentropy_softmax_1hot_with_bias(x, BIAS.astype(x.dtype), y)[0])


# name -> (scalar cost(x, y), cost(v), d cost / dv) on the logits matrix
SOFTMAX_FORMS: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
    "categorical_crossentropy(softmax(x), y)": (
        lambda x, y: T.mean(nnet.categorical_crossentropy(nnet.softmax(x), y)),
        lambda v: _nll(v).mean(), _nll_grad),
    "-mean(log(softmax(x))[arange(n), y])": (
        lambda x, y: -T.mean(T.log(nnet.softmax(x))[T.arange(y.shape[0]), y]),
        lambda v: _nll(v).mean(), _nll_grad),
    "crossentropy_softmax_1hot_with_bias(x, b, y)": (
        _bias_nll, lambda v: _nll(v + BIAS).mean(), lambda v: _nll_grad(v + BIAS)),
    "sum(log(softmax(x)))": (
        lambda x, y: T.sum(T.log(nnet.softmax(x))),
        lambda v: special.log_softmax(v, axis=1).sum(),
        lambda v: 1 - v.shape[1] * special.softmax(v, axis=1)),
    "sum(log(sum(exp(x), axis=1)))": (
        lambda x, y: T.sum(T.log(T.sum(T.exp(x), axis=1))),
        lambda v: special.logsumexp(v, axis=1).sum(), lambda v: special.softmax(v, axis=1)),
    "log(sum(exp(x)))": (
        lambda x, y: T.log(T.sum(T.exp(x))), lambda v: special.logsumexp(v),
        lambda v: special.softmax(v, axis=None)),
}


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", SOFTMAX_FORMS, ids=list(SOFTMAX_FORMS))
def test_softmax_form_value_and_gradient(form, dtype, linker):
    build, value, derivative = SOFTMAX_FORMS[form]
    x, y = T.matrix("x", dtype=dtype), T.ivector("y")
    cost = build(x, y)
    fn = function([x, y], [cost, grad(cost, x)], mode=Mode(linker, "fast_run"),
                  on_unused_input="ignore")
    got, slope = fn(LOGITS.astype(dtype), LABELS)
    _check(got, value(LOGITS), dtype)
    _check(slope, derivative(LOGITS), dtype)


def test_log_softmax_gradient_is_rewritten():
    # the index form's gradient reaches softmax through g / softmax: the rule removes it
    x, y = T.dmatrix("x"), T.ivector("y")
    cost = -T.mean(T.log(nnet.softmax(x))[T.arange(y.shape[0]), y])
    fn = function([x, y], grad(cost, x))
    assert {"stabilize/log_softmax_grad"} <= set(rules_fired(fn))
    ops = {type(n.op).__name__ for n in fn.maker.fgraph.apply_nodes}
    assert "SoftmaxGrad" not in ops


def test_unstabilized_gradients_are_nan():
    # the failures these rules fix (no rewrites: the gradients as grad builds them)
    x = T.dvector("x")
    raw = Mode("py", None)
    for out in (T.log(1 + T.exp(x)), T.log(T.exp(x) / (1 + T.exp(x)))):
        fn = function([x], grad(T.sum(out), x), mode=raw)
        with np.errstate(all="ignore"):
            assert np.isnan(fn(np.array([800.0, -800.0]))).any()
    # log σ(x): sigmoid's own gradient rule cancels the 1 / σ(x) (ops/scalar_grads.py)
    fn = function([x], grad(T.sum(T.log(T.sigmoid(x))), x), mode=raw)
    np.testing.assert_array_equal(fn(np.array([800.0, -800.0])), [0.0, 1.0])


@pytest.mark.parametrize("build, rule", [
    (lambda x: T.exp(x) * (x / (2 + T.exp(x))), "stabilize/exp_over_1_plus_exp"),
    (lambda x: T.exp(x) * T.sigmoid(x), "stabilize/exp_over_1_plus_exp"),
    (lambda x: T.exp(2 * x) / (1 + T.exp(x)), "stabilize/exp_over_1_plus_exp"),
    (lambda x: -(x * T.log(T.sigmoid(x)) + (1 - x) * T.log(T.sigmoid(x))),
     "stabilize/sigmoid_binary_crossentropy"),
    (lambda x: -(x * T.log(T.sigmoid(x)) + (2 - x) * T.log(1 - T.sigmoid(x))),
     "stabilize/sigmoid_binary_crossentropy"),
    (lambda x: T.sin(x) * x / x, "canonicalize/mul_div_cancel"),
])
def test_guard_declines(build, rule):
    x = T.dvector("x")
    fn = function([x], build(x))
    assert rule not in rules_fired(fn)


@pytest.mark.parametrize("build, numpy", [
    (lambda x: T.exp(x) / (1 + T.exp(x)), special.expit),
    (lambda x: T.sin(x) * T.exp(x) / (1 + T.exp(x)), lambda v: np.sin(v) * special.expit(v)),
    (lambda x: T.exp(x) * (T.cos(x) / (1 + T.exp(x))),
     lambda v: np.cos(v) * special.expit(v)),
    (lambda x: T.exp(x) * T.exp(x) * T.sin(x) / (1 + T.exp(x)),
     lambda v: np.exp(v) * np.sin(v) * special.expit(v)),
])
def test_exp_over_1_plus_exp_forms(build, numpy):
    x = T.dvector("x")
    fn = function([x], build(x))
    assert "stabilize/exp_over_1_plus_exp" in rules_fired(fn)
    with np.errstate(over="ignore", invalid="ignore"):
        want = numpy(EDGES)
    np.testing.assert_allclose(fn(EDGES), want, rtol=1e-12, atol=1e-300)


def test_binary_crossentropy_with_constant_target():
    # 1 - t folds to a constant first; the rule still sees the pair (written by hand:
    # nnet.binary_crossentropy of a sigmoid builds the logits form itself)
    x = T.dvector("x")
    s = T.sigmoid(x)
    fn = function([x], -(TARGET * T.log(s) + (1.0 - TARGET) * T.log(1.0 - s)))
    assert "stabilize/sigmoid_binary_crossentropy" in rules_fired(fn)
    np.testing.assert_allclose(fn(EDGES), _bce(EDGES, TARGET), rtol=1e-12)


def test_index_form_becomes_the_fused_op():
    # -mean(log(softmax(x))[arange(n), y]) computes one fused op and one softmax
    x, y = T.dmatrix("x"), T.ivector("y")
    cost = -T.mean(T.log(nnet.softmax(x))[T.arange(y.shape[0]), y])
    fn = function([x, y], [cost, grad(cost, x)])
    fired = rules_fired(fn)
    assert {"stabilize/crossentropy_index_form", "stabilize/softmax_from_crossentropy"} \
        <= set(fired)
    kinds = [type(n.op).__name__ for n in fn.maker.fgraph.apply_nodes]
    assert kinds.count("CrossentropySoftmax1Hot") == 1 and "Softmax" not in kinds
    value, slope = fn(LOGITS, LABELS)
    np.testing.assert_allclose(value, _nll(LOGITS).mean(), rtol=1e-12)
    np.testing.assert_allclose(slope, _nll_grad(LOGITS), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("build", [
    lambda x, y: T.log(nnet.softmax(x))[T.arange(1, y.shape[0] + 1) - 1, y],  # not arange(n)
    lambda x, y: T.log(nnet.softmax(x))[T.arange(2), y[:2]],     # 2 is not the row count
    lambda x, y: T.log(nnet.softmax(x).T)[T.arange(y.shape[0]), y],  # columns
])
def test_index_form_guard_declines(build):
    x, y = T.dmatrix("x"), T.ivector("y")
    out = build(x, y)
    fn = function([x, y], out)
    assert "stabilize/crossentropy_index_form" not in rules_fired(fn)
    square = LOGITS[:3] / 1000
    np.testing.assert_allclose(fn(square, LABELS[:3]),
                               function([x, y], out, mode=Mode("py", None))(square, LABELS[:3]),
                               rtol=1e-12)
