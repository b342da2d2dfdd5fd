"""``function`` semantics as Theano 1.0 documents them: inputs, outputs, updates, givens,
errors, shared-variable borrowing, aliasing, ``eval``, ``copy`` and pickling."""

from __future__ import annotations

import gc
import io
import pickle
import warnings
import weakref

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph import In, Mode, Out, function, shared
from nbgraph.compile.function_module import Function, MissingInputError, UnusedInputError
from nbgraph.misc import pkl_utils


# -- outputs -------------------------------------------------------------------------------
def test_single_output_is_returned_bare(rng):
    x = T.dvector("x")
    value = rng.normal(size=4)
    out = function([x], T.exp(x))(value)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, np.exp(value), rtol=1e-15)


@pytest.mark.parametrize("wrap", [list, tuple])
def test_list_of_outputs_returns_a_list(wrap, rng):
    x = T.dvector("x")
    value = rng.normal(size=4)
    single = function([x], wrap([x * 2]))(value)
    assert isinstance(single, list) and len(single) == 1
    both = function([x], wrap([x * 2, x.sum()]))(value)
    assert isinstance(both, list)
    np.testing.assert_allclose(both[0], value * 2, rtol=1e-15)
    np.testing.assert_allclose(both[1], value.sum(), rtol=1e-15)


def test_no_outputs_runs_updates_only():
    count = shared(np.int64(0), name="count")
    tick = function([], [], updates=[(count, count + 1)])
    assert tick() == []
    tick()
    assert count.get_value() == 2


def test_no_outputs_argument_at_all_returns_an_empty_list():
    # Theano's function([], updates=...): outputs=None, and a call returns [] (issue 14)
    count = shared(np.int64(0), name="count")
    tick = function([], updates=[(count, count + 1)])
    assert tick() == []
    assert count.get_value() == 1


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_an_intermediate_input_cuts_the_graph_there(mode):
    # function([y], 2 * y) with y = exp(x) + 1 computes from y's value; x is not needed
    x = T.dvector("x")
    y = T.exp(x) + 1
    f = function([y], 2 * y, mode=mode)
    yv = np.array([1.0, -2.0, 3.5])
    np.testing.assert_allclose(f(yv), 2 * yv, rtol=1e-15)
    ops = [str(node.op) for node in f.maker.fgraph.toposort()]
    assert not any("exp" in op for op in ops), ops
    # the caller's graph is untouched: y still computes from x
    np.testing.assert_allclose(y.eval({x: np.zeros(2)}), [2.0, 2.0], rtol=1e-15)


def test_an_intermediate_input_next_to_its_own_ancestor():
    # both x and y = exp(x) as inputs: the output reads y's given value, not exp(x)
    x = T.dvector("x")
    y = T.exp(x)
    f = function([x, y], x + y)
    np.testing.assert_allclose(f([1.0, 2.0], [10.0, 20.0]), [11.0, 22.0], rtol=1e-15)


# -- inputs: names, defaults, checks ---------------------------------------------------------
def test_keyword_arguments_by_input_name():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x - y)
    assert f(y=1.0, x=5.0) == 4.0
    assert f(5.0, y=1.0) == 4.0
    with pytest.raises(TypeError, match="'z'"):
        f(x=1.0, z=2.0)
    with pytest.raises(TypeError, match="'x'.*twice|twice.*'x'"):
        f(1.0, x=2.0)


def test_in_defaults_and_renamed_inputs():
    x, y, w = T.dscalars("x", "y", "w")
    f = function([x, In(y, value=1.0), In(w, value=2.0, name="w_by_name")], (x + y) * w)
    assert f(3.0) == 8.0
    assert f(3.0, 0.0) == 6.0
    assert f(3.0, w_by_name=10.0) == 40.0
    with pytest.raises(TypeError, match="'w'"):
        f(3.0, w=1.0)  # the In's name replaces the Variable's


def test_missing_argument_names_the_input():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(TypeError, match=r"\by\b"):
        f(1.0)


def test_too_many_arguments_names_the_inputs():
    x, y = T.dscalars("x", "y")
    f = function([x, y], x + y)
    with pytest.raises(TypeError, match=r"2.*3|x, y"):
        f(1.0, 2.0, 3.0)


def test_wrong_rank_names_the_input():
    x = T.dvector("x")
    y = T.dmatrix("y")
    f = function([x, y], x + y)
    with pytest.raises(TypeError, match="'y'|y"):
        f(np.ones(2), np.ones(2))


def test_float64_into_float32_input_needs_allow_input_downcast():
    x = T.fvector("x")
    data = np.array([0.1, 0.2], dtype="float64")
    strict = function([x], x * 2)
    with pytest.raises(TypeError, match="x"):
        strict(data)
    loose = function([x], x * 2, allow_input_downcast=True)
    out = loose(data)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, (data * 2).astype("float32"), rtol=1e-7)
    per_input = function([In(x, allow_downcast=True)], x * 2)
    assert per_input(data).dtype == np.float32


def test_lossless_conversions_are_accepted():
    x = T.dvector("x")
    f = function([x], x + 1)
    np.testing.assert_array_equal(f([1, 2, 3]), [2.0, 3.0, 4.0])  # list of ints
    np.testing.assert_array_equal(f(np.arange(3, dtype="int32")), [1.0, 2.0, 3.0])


def test_inputs_must_be_a_list():
    x = T.dscalar("x")
    with pytest.raises(TypeError):
        function(x, x + 1)


# -- unused and missing inputs ----------------------------------------------------------------
def test_unused_input_raises_by_default():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match=r"\by\b"):
        function([x, y], x * 2)


def test_unused_input_warn():
    x, y = T.dscalars("x", "y")
    with pytest.warns(UserWarning, match=r"\by\b"):
        f = function([x, y], x * 2, on_unused_input="warn")
    assert f(3.0, 100.0) == 6.0  # the unused input still takes its position


def test_unused_input_ignore_is_silent():
    x, y = T.dscalars("x", "y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = function([x, y], x * 2, on_unused_input="ignore")
    assert f(3.0, 100.0) == 6.0


def test_missing_input_names_the_variable():
    x, y = T.dscalars("x", "y_missing")
    with pytest.raises(MissingInputError, match="y_missing"):
        function([x], x + y)


# -- updates and givens ------------------------------------------------------------------------
@pytest.mark.parametrize("as_dict", [False, True])
def test_updates_as_list_or_dict(as_dict):
    total = shared(np.float64(0.0), name="total")
    x = T.dscalar("x")
    pairs = [(total, total + x)]
    f = function([x], total, updates=dict(pairs) if as_dict else pairs)
    assert f(2.0) == 0.0  # outputs see the values from before the update
    assert f(3.0) == 2.0
    assert total.get_value() == 5.0


def test_updates_are_simultaneous():
    a = shared(np.array([1.0]), name="a")
    b = shared(np.array([2.0]), name="b")
    swap = function([], [], updates=[(a, b), (b, a)])
    swap()
    assert (a.get_value()[0], b.get_value()[0]) == (2.0, 1.0)


def test_update_must_keep_dtype():
    count = shared(np.int64(0), name="count")
    with pytest.raises(TypeError, match="count"):
        function([], [], updates=[(count, count + 0.5)])


def test_update_target_must_be_a_shared_variable():
    x, y = T.dvectors("x", "y")
    with pytest.raises(TypeError, match=r"updates: y \(TensorVariable\) is not a shared"):
        function([x], x * 2, updates=[(y, x)])
    with pytest.raises(TypeError, match="In"):  # the message names the way that works
        function([x], x * 2, updates=[(x, x + 1)])


def test_in_update_still_updates_an_explicit_input():
    x = T.dscalar("x")
    f = function([In(x, value=1.0, update=x * 2)], x)
    assert [float(f()) for _ in range(3)] == [1.0, 2.0, 4.0]


def test_givens_replace_variables_and_shared():
    state = shared(np.float64(10.0), name="state")
    x, y = T.dscalars("x", "y")
    out = state * 2 + x
    f = function([x, y], out, givens=[(state, y * 3)])
    assert f(1.0, 2.0) == 13.0
    assert state.get_value() == 10.0
    g = function([y], out, givens={x: y + 1})
    assert g(1.0) == 22.0


# -- shared variables: borrow semantics ------------------------------------------------------
def test_shared_clone_shares_storage():
    # Theano's SharedVariable.clone: a new variable on the same storage (it raised TypeError)
    w = shared(np.array([1.0, 2.0]), name="w")
    c = w.clone()
    assert c is not w and c.name == "w" and c.type == w.type
    w.set_value(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(c.get_value(), [3.0, 4.0])
    f = function([], c * 2)
    np.testing.assert_array_equal(f(), [6.0, 8.0])


def test_shared_copies_its_value_unless_borrowed():
    value = np.zeros(3)
    copied = shared(value)
    value[0] = 5.0
    assert copied.get_value()[0] == 0.0
    borrowed = shared(value, borrow=True)
    assert borrowed.get_value(borrow=True) is value


def test_get_value_copies_unless_borrowed():
    s = shared(np.zeros(3))
    got = s.get_value()
    got[0] = 7.0
    assert s.get_value()[0] == 0.0
    assert s.get_value(borrow=True) is s.get_value(borrow=True)


def test_set_value_copies_unless_borrowed():
    s = shared(np.zeros(3))
    new = np.ones(3)
    s.set_value(new)
    new[0] = 9.0
    assert s.get_value()[0] == 1.0
    s.set_value(new, borrow=True)
    assert s.get_value(borrow=True) is new


def test_set_value_checks_the_type():
    s = shared(np.zeros(3), name="s")
    with pytest.raises(TypeError, match="s"):
        s.set_value(np.zeros((2, 2)))


# -- outputs never alias inputs unless borrowed -------------------------------------------------
@pytest.mark.parametrize("build", [
    pytest.param(lambda x: x, id="identity"),
    pytest.param(lambda x: x.T, id="transpose"),
    pytest.param(lambda x: x.reshape((6,)), id="reshape"),
    pytest.param(lambda x: x[1:], id="slice"),
    pytest.param(lambda x: x.dimshuffle(1, "x", 0), id="dimshuffle"),
])
def test_outputs_do_not_alias_inputs(build, linker):
    x = T.dmatrix("x")
    value = np.arange(6.0).reshape(2, 3)
    before = value.copy()
    out = function([x], build(x), mode=Mode(linker=linker))(value)
    assert not np.shares_memory(out, value)
    out[...] = -1.0
    np.testing.assert_array_equal(value, before)


def test_outputs_do_not_alias_shared_values():
    s = shared(np.arange(3.0), name="s")
    out = function([], s)()
    out[0] = 42.0
    assert s.get_value()[0] == 0.0


def test_outputs_do_not_alias_each_other_or_previous_calls():
    x = T.dvector("x")
    f = function([x], [x * 2, x * 2])
    first, second = f(np.ones(2))
    kept = first.copy()
    f(np.full(2, 5.0))
    np.testing.assert_array_equal(first, kept)  # an old result is not overwritten
    assert not np.shares_memory(first, second)


def test_borrowed_output_has_the_right_value():
    x = T.dvector("x")
    f = function([x], Out(T.exp(x), borrow=True))
    np.testing.assert_allclose(f(np.zeros(2)), [1.0, 1.0], rtol=1e-15)


# -- Variable.eval, copy, pickling ---------------------------------------------------------------
def test_variable_eval():
    x, y = T.dscalars("x", "y")
    assert (x * y + 1).eval({x: 2.0, y: 3.0}) == 7.0
    assert T.constant(np.arange(3.0)).sum().eval() == 3.0
    with pytest.raises(MissingInputError):
        (x + y).eval({x: 1.0})


def test_variable_eval_does_not_keep_the_graph_alive():
    x = T.dvector("x")
    out = T.exp(x) * 2
    np.testing.assert_allclose(out.eval({x: np.zeros(2)}), [2.0, 2.0])
    np.testing.assert_allclose(out.eval({x: np.ones(2)}), 2 * np.exp([1.0, 1.0]))
    copy = pickle.loads(pickle.dumps(out))  # the cached function does not travel along
    assert getattr(copy.tag, "eval_functions", {}) == {}
    alive = weakref.ref(out)
    del out, x
    gc.collect()
    assert alive() is None


def test_copy_is_independent_but_shares_shared_variables():
    state = shared(np.int64(0), name="state")
    inc = T.lscalar("inc")
    acc = function([inc], state, updates=[(state, state + inc)])
    twin = acc.copy()
    assert twin is not acc
    acc(1)
    assert twin(10) == 1
    assert state.get_value() == 11


def test_copy_in_another_mode_keeps_the_graph_and_the_values():
    x = T.dvector("x")
    fn = function([x], T.log(1 + T.exp(x)))
    plain = fn.copy(mode=Mode(linker="py", optimizer=None))
    assert plain.maker.mode.linker == "py" and plain.trace is None
    value = np.array([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(plain(value), np.log1p(np.exp(value)), rtol=1e-12)
    assert fn.copy().maker.mode.optimizer == fn.maker.mode.optimizer


def test_why_not_bisect_and_memory_are_methods_of_function():
    # defined on the class itself (not patched on by the modules that compute them)
    assert {"why_not", "bisect", "memory"} <= set(vars(Function))


def _roundtrip_pickle(fn):
    return pickle.loads(pickle.dumps(fn))


def _roundtrip_pkl_utils(fn):
    buffer = io.BytesIO()
    pkl_utils.dump(fn, buffer)
    buffer.seek(0)
    return pkl_utils.load(buffer)


@pytest.mark.parametrize("roundtrip", [_roundtrip_pickle, _roundtrip_pkl_utils],
                         ids=["pickle", "pkl_utils"])
def test_function_pickles(roundtrip, rng):
    x = T.dmatrix("x")
    w = shared(rng.normal(size=(3, 2)), name="w")
    y = In(T.dscalar("y"), value=0.5)
    f = function([x, y], T.tanh(T.dot(x, w)) * y.variable, name="layer")
    g = roundtrip(f)
    value = rng.normal(size=(4, 3))
    np.testing.assert_allclose(g(value), f(value), rtol=1e-15)
    np.testing.assert_allclose(g(value, y=2.0), f(value, 2.0), rtol=1e-15)


def test_pickled_function_keeps_its_updates():
    state = shared(np.float64(1.0), name="state")
    double = function([], state, updates=[(state, state * 2)])
    double()
    clone = _roundtrip_pickle(double)
    assert clone() == 2.0  # the pickle carries the shared value at dump time
    assert clone() == 4.0


# -- runtime errors -----------------------------------------------------------------------------
def test_runtime_shape_error_names_node_and_both_shapes(linker):
    x, y = T.dvectors("x", "y")
    f = function([x, y], x + y, mode=Mode(linker=linker))
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    assert "(3,)" in message and "(4,)" in message
    assert "node" in message and "add" in message


def test_function_works_in_every_named_mode():
    x = T.dvector("x")
    for mode in ("FAST_RUN", "FAST_COMPILE", None):
        f = function([x], T.exp(x) + 1, mode=mode)
        np.testing.assert_allclose(f(np.zeros(2)), [2.0, 2.0], rtol=1e-15)
    assert isinstance(nbgraph.compile.mode.get_mode("FAST_RUN"), Mode)


def test_an_intermediate_input_reads_nothing_above_it():
    x = T.dvector("x")
    w = shared(np.array([2.0, 3.0]), name="w")
    y = T.exp(x * w) + 1
    fn = function([y], 2 * y)
    assert [spec.variable for spec in fn.maker.inputs if spec.implicit] == []
    np.testing.assert_array_equal(fn(np.array([1.0, 5.0])), [2.0, 10.0])
