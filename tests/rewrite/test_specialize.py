"""specialize: pow rules, dot + add -> Gemm, argmax(softmax(x)) -> argmax(x)."""

from __future__ import annotations

import numpy as np
import pytest
from rewrite_helpers import op_names, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.ops import nnet
from nbgraph.rewrite.pipeline import PIPELINE

CASES = [
    ("specialize/pow_2", lambda x: x ** 2, ["sqr"]),
    ("specialize/pow_half", lambda x: x ** 0.5, ["sqrt"]),
    ("specialize/pow_neg1", lambda x: x ** -1, ["inv"]),
]


@pytest.mark.parametrize("rule, build, ops_after", CASES, ids=[c[0] for c in CASES])
def test_rule(rule, build, ops_after, check_rule):
    check_rule(rule, build, ops_after, [T.dmatrix("x")])


@pytest.mark.parametrize("build", [
    lambda z, a, b: z + T.dot(a, b),
    lambda z, a, b: T.dot(a, b) + z,
    lambda z, a, b: z + 0.5 * T.dot(a, b),
    lambda z, a, b: z - T.dot(a, b),
])
def test_gemm(build, check_rule, rng):
    z, a, b = T.dmatrices("z", "a", "b")
    values = [rng.normal(size=(3, 4)), rng.normal(size=(3, 5)), rng.normal(size=(5, 4))]
    check_rule("specialize/gemm", build, ["Gemm{no_inplace}"], [z, a, b], values=values)


@pytest.mark.parametrize("build, rule", [
    (lambda x: x ** 3, "specialize/pow_2"),
    (lambda x: x ** 2.5, "specialize/pow_half"),
    (lambda x: x ** -2, "specialize/pow_neg1"),
])
def test_pow_guard(build, rule):
    x = T.dvector("x")
    fn = function([x], build(x), mode=Mode(optimizer=PIPELINE.only("specialize")))
    assert rule not in rules_fired(fn)


def test_pow_neg1_declines_on_integers():
    # NumPy refuses int ** -1; inv(x) cast back to the int result type gave 0 for |x| > 1
    x = T.ivector("x")
    fn = function([x], x ** -1, mode=Mode(optimizer=PIPELINE.only("specialize")))
    assert "specialize/pow_neg1" not in rules_fired(fn)
    assert "pow" in op_names(fn.maker.fgraph)
    f = T.fvector("f")
    fn = function([f], f ** -1, mode=Mode(optimizer=PIPELINE.only("specialize")))
    assert rules_fired(fn) == ["specialize/pow_neg1"]
    np.testing.assert_allclose(fn(np.array([2.0, -4.0], "float32")), [0.5, -0.25])


def test_gemm_knows_mul_by_its_scalar_op_not_its_printed_name(check_rule, rng):
    from nbgraph.ops.elemwise import Elemwise
    from nbgraph.ops.scalar import SCALAR_BY_NAME
    scale = Elemwise(SCALAR_BY_NAME["mul"], name="scale")  # prints "scale", is a mul
    z, a, b = T.dmatrices("z", "a", "b")
    values = [rng.normal(size=(3, 4)), rng.normal(size=(3, 5)), rng.normal(size=(5, 4))]
    check_rule("specialize/gemm", lambda z, a, b: z + scale(0.5, T.dot(a, b)),
               ["Gemm{no_inplace}"], [z, a, b], values=values)
    inplace = Elemwise(SCALAR_BY_NAME["mul"], {0: 1})  # writes into dot's buffer: not a scale
    fn = function([z, a, b], z + inplace(0.5, T.dot(a, b)),
                  mode=Mode(optimizer=PIPELINE.only("specialize")))
    assert "specialize/gemm" not in rules_fired(fn)


def test_gemm_declines_broadcast_z_and_shared_dot(rng):
    row, a, b, z = T.drow("row"), T.dmatrix("a"), T.dmatrix("b"), T.dmatrix("z")
    product = T.dot(a, b)
    mode = Mode(optimizer=PIPELINE.only("specialize"))
    fn = function([row, a, b], row + product, mode=mode)   # z must be a full matrix
    assert "specialize/gemm" not in rules_fired(fn)
    fn = function([z, a, b], [z + product, product * 2], mode=mode)  # dot read twice
    assert "specialize/gemm" not in rules_fired(fn)
    av, bv, zv = rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2, 2))
    np.testing.assert_allclose(fn(zv, av, bv)[0], zv + av @ bv)
    assert "dot" in op_names(fn.maker.fgraph)


@pytest.mark.parametrize("op", [nnet.softmax, nnet.logsoftmax])
@pytest.mark.parametrize("kind", [T.argmax, T.argmin])
def test_argmax_softmax(op, kind, rng):
    x = T.dmatrix("x")
    fn = function([x], kind(op(x), axis=1))
    assert "specialize/argmax_softmax" in rules_fired(fn)
    assert not any("Softmax" in str(n.op) for n in fn.maker.fgraph.apply_nodes)
    values = rng.normal(size=(5, 4))
    np.testing.assert_array_equal(fn(values), np.argmax(values, axis=1) if kind is T.argmax
                                  else np.argmin(values, axis=1))


def test_argmax_softmax_declines_other_axes():
    # softmax normalises each row, so the winner down a column may change
    x = T.dmatrix("x")
    fn = function([x], T.argmax(nnet.softmax(x), axis=0))
    assert "specialize/argmax_softmax" not in rules_fired(fn)
    values = np.array([[5.0, 0.0], [1.0, -10.0]])   # argmax(values, axis=0) is [0, 0]
    np.testing.assert_array_equal(fn(values), [1, 0])
