"""Shape inference rules (canonicalize): x.shape of an expression read off its inputs without
computing the expression; every op's ``infer_shape`` against the shape it really produces;
specify_shape; the shape simplifications (alloc(...).shape[0], x[1:][1:], fill)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rewrite_helpers import op_names, rules_fired

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.fgraph import FunctionGraph
from nbgraph.core.gradient import grad
from nbgraph.ops import nnet
from nbgraph.ops.alloc import ExtractDiag
from nbgraph.ops.join import Split
from nbgraph.ops.linalg import Det, EyeLike, MatrixInverse, Pinv, Trace
from nbgraph.ops.nnet_bias import crossentropy_softmax_argmax_1hot_with_bias
from nbgraph.rewrite.pipeline import PIPELINE
from nbgraph.rewrite.shape_rules import inferred_dim, make_vector_constant

LABELS = np.array([0, 2, 1], dtype="int32")


def test_concatenate_shape_is_a_sum_of_sizes():
    x, y = T.dmatrices("x", "y")
    fn = function([x, y], T.concatenate([T.exp(x), y]).shape[0])
    assert op_names(fn.maker.fgraph) == ["Shape_i{0}", "Shape_i{0}", "add"]
    assert fn(np.ones((2, 3)), np.ones((4, 3))) == 6


def test_shape_of_expression_is_not_computed():
    # Theano's tutorial: function([x], (x ** 2).shape) runs MakeVector(Shape_i{0}(x), ...)
    x = T.dmatrix("x")
    fn = function([x], (x ** 2).shape)
    assert op_names(fn.maker.fgraph) == ["Shape_i{0}", "Shape_i{1}", "MakeVector{int64}"]
    assert "canonicalize/shape_to_shape_i" in rules_fired(fn)
    np.testing.assert_array_equal(fn(np.ones((2, 5))), [2, 5])


def test_shape_of_input_is_left_alone():
    x = T.dmatrix("x")
    fn = function([x], x.shape, mode=Mode(optimizer=PIPELINE.only("canonicalize")))
    assert rules_fired(fn) == []
    np.testing.assert_array_equal(fn(np.ones((2, 5))), [2, 5])


def test_shape_of_unknown_op_keeps_shape_i(rng):
    # Subtensor has no infer_shape: its size is read from its output when run
    x = T.dvector("x")
    fn = function([x], T.exp(x[1:]).shape[0])
    assert "Subtensor{int64::}" in op_names(fn.maker.fgraph)
    assert fn(rng.normal(size=5)) == 4


def test_alloc_shape_is_its_size_argument():
    x = T.dmatrix("x")
    n = x.shape[0] + 1
    fn = function([x], T.alloc(0.0, n, 3).shape[0])
    assert "Alloc" not in {type(a.op).__name__ for a in fn.maker.fgraph.apply_nodes}
    assert rules_fired(fn).count("canonicalize/shape_i_infer") >= 1
    assert fn(np.ones((4, 2))) == 5


def test_alloc_of_constants_shape_is_constant():
    x = T.dmatrix("x")
    fn = function([x], T.alloc(x[0, 0], 2, 3).shape)
    assert op_names(fn.maker.fgraph) == []   # a constant output
    np.testing.assert_array_equal(fn(np.ones((4, 2))), [2, 3])


@pytest.mark.parametrize("build, numpy", [
    (lambda x, y: x + y, lambda a, b: a + b),
    (lambda x, y: T.exp(x) * y.dimshuffle("x", 0), lambda a, b: np.exp(a) * b),
    (lambda x, y: T.sum(x, axis=0) + y, lambda a, b: a.sum(axis=0) + b),
    (lambda x, y: T.dot(x, x.T), lambda a, b: a @ a.T),
    (lambda x, y: x.dimshuffle(1, "x", 0), lambda a, b: a.T[:, None, :]),
    (lambda x, y: T.max(x, axis=1, keepdims=True), lambda a, b: a.max(axis=1, keepdims=True)),
    (lambda x, y: nnet.softmax(x), lambda a, b: a),
    (lambda x, y: nnet.logsoftmax(x * 2), lambda a, b: a),
    (lambda x, y: x.reshape((x.shape[1], x.shape[0])), lambda a, b: a.T),
    (lambda x, y: x.reshape((3, -1)), lambda a, b: a.reshape(3, -1)),
    (lambda x, y: T.specify_shape(x, (3, 4)) + 1, lambda a, b: a),
    (lambda x, y: T.addbroadcast(x[:1], 0) * 2, lambda a, b: a[:1]),
    (lambda x, y: grad(T.sum(nnet.softmax(x) ** 2), x), lambda a, b: a),
    (lambda x, y: T.concatenate([x, T.exp(x)], axis=1), lambda a, b: np.hstack([a, a])),
    (lambda x, y: T.exp(x)[:, 1], lambda a, b: a[:, 1]),
    (lambda x, y: T.exp(x)[1:], lambda a, b: a[1:]),
    (lambda x, y: T.exp(x)[[0, 2]][:, [1, 1, 3]], lambda a, b: a[[0, 2]][:, [1, 1, 3]]),
], ids=["add", "broadcast", "sum", "dot", "dimshuffle", "keepdims", "softmax", "logsoftmax",
        "reshape", "reshape_minus_one", "specify_shape", "rebroadcast", "softmax_grad", "join",
        "int_index", "slice", "mixed_advanced"])
def test_inferred_shape_matches_computed(build, numpy, rng):
    x, y = T.dmatrix("x"), T.dvector("y")
    xv, yv = rng.normal(size=(3, 4)), rng.normal(size=4)
    out = build(x, y)
    fn = function([x, y], [out, out.shape], on_unused_input="ignore")
    value, shape = fn(xv, yv)
    assert tuple(shape) == value.shape == numpy(xv, yv).shape


def test_infer_shape_of_each_op_against_its_output(rng):
    # each op's infer_shape, evaluated without rewrites, equals the shape it produces
    x, y = T.dmatrix("x"), T.ivector("y")
    b = T.dvector("b")
    outputs = [nnet.softmax(x), nnet.logsoftmax(x), nnet.categorical_crossentropy(
        nnet.softmax(x), y), *nnet.crossentropy_softmax_1hot(x, y),
        *crossentropy_softmax_argmax_1hot_with_bias(x, b, y),
        T.alloc(1.0, x.shape[1], 2), T.dot(x, x.T), T.sum(x, axis=1), x.T,
        T.specify_shape(x, (3, 3)), T.make_vector([x.shape[0], x.shape[1]]),
        x.reshape((9,)), x.shape, x.shape[0], T.concatenate([x, x, x], axis=0), x[:, 1],
        x[2], T.inc_subtensor(x[1:], 1.0), x[[0, 2, 2, 1]], T.set_subtensor(x[[0, 1]], 0.0),
        T.inc_subtensor(x[[0, 1], [1, 2]], 1.0), T.eye(x.shape[0], x.shape[1] + 1),
        T.argmax(x, axis=1), MatrixInverse()(x), Det()(x), Trace()(x), EyeLike()(x),
        Pinv()(x[:2]), *Split(2)(x, 1, [1, 2]), T.arange(x.shape[0]), T.arange(1, x.shape[1], 2),
        T.arange(x.shape[0] + 0.5), T.diag(x[0]), T.diag(T.diag(x[0], 1)), ExtractDiag(-2)(x),
        T.cumsum(x), T.cumsum(x, axis=1), T.tile(x, (2, x.shape[0])), T.tile(x[0], (3, 1, 2)),
        T.repeat(x, 2, axis=0), T.repeat(x, x.shape[0], axis=1),
        T.repeat(x, T.constant(np.array([1, 0, 3])), axis=1), x[T.arange(3), y],
        x[y, y[::-1]]]
    fgraph = FunctionGraph([x, y, b], outputs)
    dims = [inferred_dim(v, k) for v in fgraph.outputs for k in range(v.ndim)]
    assert all(d is not None for d in dims)
    sizes = function([x, y, b], [*fgraph.outputs, *dims], mode=Mode("py", None),
                     on_unused_input="ignore")(rng.normal(size=(3, 3)), LABELS,
                                               rng.normal(size=3))
    values, inferred = sizes[:len(outputs)], iter(sizes[len(outputs):])
    for value in values:
        assert tuple(int(next(inferred)) for _ in range(np.ndim(value))) == np.shape(value)


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), axis=st.sampled_from([0, 1, None]))
def test_random_shapes_infer_like_numpy(rows, cols, axis):
    x, v = T.dmatrix("x"), T.dvector("v")
    out = T.sum(T.exp(x) * v.dimshuffle("x", 0) + T.alloc(1.0, x.shape[0], 1), axis=axis)
    fn = function([x, v], out.shape)
    assert "Sum" not in " ".join(op_names(fn.maker.fgraph))
    xv, vv = np.ones((rows, cols)), np.ones(cols)
    want = np.sum(np.exp(xv) * vv + 1.0, axis=axis).shape
    np.testing.assert_array_equal(fn(xv, vv), want)


# -- specify_shape ------------------------------------------------------------------------------
def test_specify_shape_static_type_and_check():
    x = T.dmatrix("x")
    y = T.specify_shape(x, (2, 3))
    assert y.type.shape == (2, 3)
    fn = function([x], y * 2)
    np.testing.assert_allclose(fn(np.ones((2, 3))), 2 * np.ones((2, 3)))
    with pytest.raises(AssertionError, match=r"has shape \(3, 3\) but the shape specified "
                                             r"is \(2, 3\)"):
        fn(np.ones((3, 3)))


def test_specify_shape_symbolic_sizes():
    x, n = T.dmatrix("x"), T.lscalar("n")
    y = T.specify_shape(x, (n, 3))
    assert y.type.shape == (None, 3)
    fn = function([x, n], [y.sum(), y.shape])
    total, shape = fn(np.ones((4, 3)), 4)
    assert total == 12 and list(shape) == [4, 3]
    with pytest.raises(AssertionError):
        fn(np.ones((4, 3)), 5)


def test_specify_shape_errors_and_grad(rng):
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="2 dimensions but the shape has 3 entries"):
        T.specify_shape(x, (1, 2, 3))
    with pytest.raises(ValueError, match="cannot have length 4"):
        T.specify_shape(T.specify_shape(x, (2, 3)), (2, 4))
    g = function([x], grad(T.sum(T.specify_shape(x, (2, 3)) ** 2), x))(np.ones((2, 3)))
    np.testing.assert_allclose(g, 2 * np.ones((2, 3)))


def test_specify_shape_from_vector():
    x = T.dmatrix("x")
    assert T.specify_shape(x, T.constant(np.array([2, 3]))).type.shape == (2, 3)
    shp = T.lvector("shp")
    with pytest.raises(ValueError, match="known length"):
        T.specify_shape(x, shp)


# -- simplifications ----------------------------------------------------------------------------
@pytest.mark.parametrize("build, numpy, after", [
    (lambda x: x[1:][1:], lambda v: v[2:], "Subtensor{int64::}"),
    (lambda x: x[1:5][2:], lambda v: v[3:5], "Subtensor{int64:int64:}"),
    (lambda x: x[1:][:2], lambda v: v[1:3], "Subtensor{int64:int64:}"),
    (lambda x: x[2:6][1:9], lambda v: v[3:6], "Subtensor{int64:int64:}"),
    (lambda x: x[:4][1:2], lambda v: v[1:2], "Subtensor{int64:int64:}"),
])
def test_subtensor_merge(build, numpy, after):
    x = T.dvector("x")
    fn = function([x], build(x), mode=Mode(optimizer=PIPELINE.only_rules(
        "canonicalize/subtensor_merge")))
    assert op_names(fn.maker.fgraph) == [after]
    value = np.arange(8.0)
    np.testing.assert_array_equal(fn(value), numpy(value))


@pytest.mark.parametrize("build", [
    lambda x: x[1:][-2:],       # negative: depends on the length
    lambda x: x[::2][1:],       # a step
    lambda x: x[1:][1],         # an int index
])
def test_subtensor_merge_declines(build):
    x = T.dvector("x")
    fn = function([x], build(x))
    assert "canonicalize/subtensor_merge" not in rules_fired(fn)


def test_mul_div_cancel_rules():
    x = T.dvector("x")
    # x * y / x for x = exp(.) never 0: on by default
    fn = function([x], T.exp(x) * T.sin(x) / T.exp(x))
    assert "canonicalize/mul_div_cancel" in rules_fired(fn)
    assert op_names(fn.maker.fgraph) == ["sin"]
    # for a plain x it changes 0/0 = nan into y: off unless asked for by name
    plain = x * T.sin(x) / x
    assert op_names(function([x], plain).maker.fgraph) == ["Composite"]
    unsafe = function([x], plain, mode=Mode().including("canonicalize/mul_div_cancel_any"))
    assert op_names(unsafe.maker.fgraph) == ["sin"]
    np.testing.assert_allclose(unsafe(np.array([0.0, 1.0])), np.sin([0.0, 1.0]))


def test_fill_takes_shape_from_input():
    # the gradient of sum(exp(x)) fills exp(x)'s shape; exp is computed once, not twice
    x = T.dvector("x")
    fn = function([x], T.fill(T.exp(x), 3.0) + x, mode=Mode("py", "fast_run"))
    assert "canonicalize/fill_shape_from_input" in rules_fired(fn)
    assert "exp" not in str(fn.maker.fgraph.toposort())
    np.testing.assert_allclose(fn(np.array([1.0, 800.0])), [4.0, 803.0])


@pytest.mark.parametrize("build, fires", [
    (lambda x: T.exp(x)[:], True),
    (lambda x: T.exp(x)[0:, ::1], True),
    (lambda x: T.exp(x)[:x.shape[0]], True),
    (lambda x: T.exp(x)[1:], False),
    (lambda x: T.exp(x)[:-1], False),
    (lambda x: T.exp(x)[::2], False),
    (lambda x: T.exp(x)[:x.shape[1]], False),   # another axis's length
])
def test_useless_subtensor(build, fires, rng):
    x = T.dmatrix("x")
    fn = function([x], build(x))
    assert ("canonicalize/useless_subtensor" in rules_fired(fn)) == fires
    value = rng.normal(size=(4, 3))
    np.testing.assert_allclose(fn(value), function([x], build(x), mode=Mode("py", None))(value))


def test_make_vector_constant_keeps_float_entries():
    # constant folding runs first, so apply the rule to the node directly
    ints = T.make_vector([T.constant(2), T.constant(3)])
    floats = T.make_vector([T.constant(2.5), T.constant(0.5)], dtype="float64")
    fgraph = FunctionGraph([], [ints, floats])
    by_dtype = {n.op.dtype: n for n in fgraph.apply_nodes}
    (folded,) = make_vector_constant.fn(fgraph, by_dtype["int64"])
    np.testing.assert_array_equal(folded.data, [2, 3])
    assert make_vector_constant.fn(fgraph, by_dtype["float64"]) is None
