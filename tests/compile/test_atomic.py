"""A call that raises leaves every shared variable as it was (issue 13, item 1): on every
linker and mode, whether the failure is a shape mismatch before, between or inside the
in-place updates, or a nan that NanGuardMode catches."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.debugmode import DebugMode
from nbgraph.compile.mode import Mode
from nbgraph.compile.nanguardmode import NanGuardError, NanGuardMode

# the modes besides Mode(linker, "fast_run") on every linker (the ``linker`` fixture)
OTHER_MODES = {
    "FAST_COMPILE": lambda: "FAST_COMPILE",
    "c-no-rewrites": lambda: Mode("c", None),
    "DebugMode": lambda: DebugMode(),
    "DebugMode-c": lambda: DebugMode(linker="c"),
    "NanGuardMode": lambda: NanGuardMode(),
    "NanGuardMode-c": lambda: NanGuardMode(linker="c"),
}


@pytest.fixture(params=["fast_run", *OTHER_MODES])
def make_mode(request, linker):
    """A mode factory: FAST_RUN's rewrites on ``linker``, then each debug or other mode once
    (on the py linker's run of the fixture only, so they are not repeated per linker)."""
    if request.param == "fast_run":
        return lambda: Mode(linker, "fast_run")
    if linker != "py":
        pytest.skip("modes with their own linker run once")
    return OTHER_MODES[request.param]


def _shared_pair():
    a = nbgraph.shared(np.arange(1.0, 4.0), name="a")
    b = nbgraph.shared(np.arange(10.0, 13.0), name="b")
    return a, b


@pytest.mark.parametrize("order", ["a_first", "b_first"])
def test_wrong_length_input_leaves_every_shared_variable_unchanged(make_mode, order):
    a, b = _shared_pair()
    x = T.dvector("x")
    pairs = [(a, a * 2), (b, b + x)]
    f = nbgraph.function([x], [], updates=pairs if order == "a_first" else pairs[::-1],
                         mode=make_mode())
    with pytest.raises(ValueError):
        f(np.ones(4))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [10.0, 11.0, 12.0])
    f(np.ones(3))  # and the function still works, updating both
    np.testing.assert_array_equal(a.get_value(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(b.get_value(), [11.0, 12.0, 13.0])


def test_failure_after_the_updates_are_computed_changes_nothing(make_mode):
    # the output fails (dot of mismatched shapes) while both updates could already be done
    a, b = _shared_pair()
    x, m = T.dvector("x"), T.dmatrix("m")
    f = nbgraph.function([x, m], T.dot(m, x), updates=[(a, a * 2), (b, b - x)],
                         mode=make_mode())
    with pytest.raises(ValueError):
        f(np.ones(3), np.ones((2, 5)))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [10.0, 11.0, 12.0])


@pytest.mark.parametrize("linker", ["py", "c"])
def test_nanguard_leaves_the_nan_out_of_the_shared_variable(linker):
    a, b = _shared_pair()
    x = T.dvector("x")
    f = nbgraph.function([x], [], updates=[(a, a * x), (b, b + 1)],
                         mode=NanGuardMode(linker=linker))
    with pytest.raises(NanGuardError):
        f(np.array([1.0, np.nan, 1.0]))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [10.0, 11.0, 12.0])


@pytest.mark.parametrize("linker", ["py", "c"])
def test_gemm_update_fails_atomically(linker):
    rng = np.random.default_rng(0)
    w0, c0 = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    w, c = nbgraph.shared(w0.copy(), name="w"), nbgraph.shared(c0.copy(), name="c")
    x, y = T.dmatrices("x", "y")
    f = nbgraph.function([x, y], [], updates=[(c, c * 0.5), (w, w - 0.1 * T.dot(x, y))],
                         mode=Mode(linker, "fast_run"))
    with pytest.raises(ValueError):
        f(np.ones((3, 2)), np.ones((5, 4)))
    np.testing.assert_array_equal(w.get_value(), w0)
    np.testing.assert_array_equal(c.get_value(), c0)
    xv, yv = rng.normal(size=(3, 2)), rng.normal(size=(2, 4))
    f(xv, yv)
    np.testing.assert_allclose(w.get_value(), w0 - 0.1 * xv @ yv, rtol=1e-12)
    np.testing.assert_allclose(c.get_value(), c0 * 0.5, rtol=1e-12)


def test_in_place_updates_still_write_into_the_shared_buffer():
    # atomicity must not cost the in-place update: the C kernel still writes into a's array
    a, b = _shared_pair()
    x = T.dvector("x")
    f = nbgraph.function([x], [], updates=[(a, a * 2), (b, b + x)], mode="FAST_RUN")
    before_a, before_b = a.get_value(borrow=True), b.get_value(borrow=True)
    f(np.ones(3))
    assert a.get_value(borrow=True) is before_a and b.get_value(borrow=True) is before_b
    np.testing.assert_array_equal(before_a, [2.0, 4.0, 6.0])


@pytest.mark.parametrize("linker", ["py", "c"])
def test_a_profiled_call_is_atomic_too(linker):
    a, b = _shared_pair()
    x = T.dvector("x")
    f = nbgraph.function([x], [], updates=[(a, a * 2), (b, b + x)],
                         mode=Mode(linker, "fast_run"), profile=True)
    with pytest.raises(ValueError):
        f(np.ones(4))
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [10.0, 11.0, 12.0])


@pytest.mark.parametrize("bad", ["x", "y"])
def test_two_updates_that_can_both_fail(make_mode, bad):
    # both in-place updates read an input: the second is checked before the first writes
    a, b = _shared_pair()
    x, y = T.dvectors("x", "y")
    f = nbgraph.function([x, y], [], updates=[(a, a + y), (b, b + x)], mode=make_mode())
    values = {"x": np.ones(3), "y": np.ones(3)}
    values[bad] = np.ones(5)
    with pytest.raises(ValueError):
        f(values["x"], values["y"])
    np.testing.assert_array_equal(a.get_value(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b.get_value(), [10.0, 11.0, 12.0])
    f(np.ones(3), np.full(3, 2.0))
    np.testing.assert_array_equal(a.get_value(), [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(b.get_value(), [11.0, 12.0, 13.0])


@pytest.mark.parametrize("linker", ["py", "c"])
def test_updates_reading_each_others_buffers_stay_simultaneous(linker):
    # a's update reads b, which b's update overwrites: that order is kept in the tail
    a, b = _shared_pair()
    x = T.dvector("x")
    f = nbgraph.function([x], [], updates=[(b, b + x), (a, a + b)],
                         mode=Mode(linker, "fast_run"))
    with pytest.raises(ValueError):
        f(np.ones(2))
    np.testing.assert_array_equal(b.get_value(), [10.0, 11.0, 12.0])
    f(np.ones(3))
    np.testing.assert_array_equal(a.get_value(), [11.0, 13.0, 15.0])
    np.testing.assert_array_equal(b.get_value(), [11.0, 12.0, 13.0])
