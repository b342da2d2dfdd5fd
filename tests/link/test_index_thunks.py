"""The C linker's indexing thunks: one generated NumPy statement per node (no ``perform``),
equal to the Python linker and NumPy, with ``perform``'s errors where the statement fails."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.link.index_thunks import index_source
from nbgraph.ops import subtensor

C = Mode("c", "fast_run")
PY = Mode("py", "fast_run")


def both(inputs, outputs, values):
    return [nbgraph.function(inputs, outputs, mode=m)(*values) for m in (PY, C)]


def _no_perform(monkeypatch, *ops):
    # before compiling: a thunk built on perform holds the bound method it found then
    def refuse(*args):
        raise AssertionError("perform ran")
    for op in ops:
        monkeypatch.setattr(op, "perform", refuse)


def test_slices_ints_and_variable_bounds_run_without_perform(rng, monkeypatch):
    x = T.dtensor3("x")
    n = T.lscalar("n")
    outs = [x[:, 2:5], x[1, ::-2], x[-1, 0, 1], x[:, n:n + 2, ::2], T.tanh(x[0, :, 1:3])]
    a = rng.standard_normal((3, 6, 4))
    _no_perform(monkeypatch, subtensor.Subtensor)
    f = nbgraph.function([x, n], outs, mode=C)
    got = f(a, 1)
    want = [a[:, 2:5], a[1, ::-2], a[-1, 0, 1], a[:, 1:3, ::2], np.tanh(a[0, :, 1:3])]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-14)  # tanh: within an ulp of NumPy


def test_set_and_inc_subtensor_match_python(rng, monkeypatch):
    x, y = T.dmatrices("x", "y")
    outs = [T.set_subtensor(x[:, 1:3], y), T.inc_subtensor(x[::-1, 1:3], y * 2),
            T.inc_subtensor(x[2, 1:3], 1.5)]
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 2))
    py = nbgraph.function([x, y], outs, mode=PY)(a, b)
    _no_perform(monkeypatch, subtensor.IncSubtensor)
    f = nbgraph.function([x, y], outs, mode=C)
    c = f(a, b)
    for p, q in zip(py, c, strict=True):
        np.testing.assert_allclose(q, p, rtol=1e-15)
    want = a.copy()
    want[:, 1:3] = b
    np.testing.assert_array_equal(c[0], want)
    assert not np.shares_memory(c[0], a)  # the input is left alone


def test_integer_array_reads_match_numpy(rng, monkeypatch):
    x = T.dmatrix("x")
    i = T.lvector("i")
    outs = [x[i], x[i, 1:3], x[i, i]]
    a, idx = rng.standard_normal((5, 4)), np.array([3, 0, -1, 3])
    _no_perform(monkeypatch, subtensor.AdvancedSubtensor1, subtensor.AdvancedSubtensor)
    f = nbgraph.function([x, i], outs, mode=C)
    got = f(a, idx)
    for g, w in zip(got, [a[idx], a[idx, 1:3], a[idx, idx]], strict=True):
        np.testing.assert_array_equal(g, w)


def test_errors_come_from_perform():
    x = T.dmatrix("x")
    n = T.lscalar("n")
    f = nbgraph.function([x, n], x[n], mode=C)
    with pytest.raises(IndexError, match="Subtensor.*at node"):
        f(np.ones((2, 3)), 5)
    y = T.dmatrix("y")
    g = nbgraph.function([x, y], T.set_subtensor(x[:, :2], y), mode=C)
    with pytest.raises(ValueError, match="does not fit"):
        g(np.ones((2, 3)), np.ones((1, 2)))   # y's type does not broadcast


def test_a_broadcastable_value_takes_perform_and_broadcasts(rng):
    x = T.dmatrix("x")
    r = T.row("r", dtype="float64")
    py, c = both([x, r], T.inc_subtensor(x[:, :2], r), [np.zeros((3, 4)), np.ones((1, 2))])
    np.testing.assert_array_equal(c, py)
    assert c[:, :2].sum() == 6


def test_index_source_writes_constants_and_reads_cells():
    x = T.dmatrix("x")
    n = T.lscalar("n")
    node = x[1:n, ::2].owner
    assert index_source(node.op.idx_list, node.inputs[1:], 1).startswith("1:int(c")


# -- integer-array updates: np.add.at / assignment, generated ------------------------------------
def _updates(x, y, i, j):
    return [T.inc_subtensor(x[i], y), T.set_subtensor(x[i], y),           # AdvancedIncSubtensor1
            T.inc_subtensor(x[i, j], 1.5), T.set_subtensor(x[i, j], -1.0),  # AdvancedIncSubtensor
            T.inc_subtensor(x[i, 2], y[:, 0])]                             # arrays and an int


def test_integer_array_updates_match_numpy_without_perform(rng, monkeypatch):
    x, y = T.dmatrices("x", "y")
    i, j = T.lvectors("i", "j")
    a, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    idx, jdx = np.array([3, 0, -1, 3]), np.array([2, -3, 1, 2])  # repeats and negatives
    py = nbgraph.function([x, y, i, j], _updates(x, y, i, j), mode=PY)(a, b, idx, jdx)
    _no_perform(monkeypatch, subtensor.AdvancedIncSubtensor1, subtensor.AdvancedIncSubtensor)
    f = nbgraph.function([x, y, i, j], _updates(x, y, i, j), mode=C)
    got = f(a, b, idx, jdx)
    want = [a.copy() for _ in range(5)]
    np.add.at(want[0], idx, b)             # row 3 gets b[0] + b[3]
    want[1][idx] = b
    np.add.at(want[2], (idx, jdx), 1.5)    # (3, 2) twice: + 3.0
    want[3][idx, jdx] = -1.0
    np.add.at(want[4], (idx, 2), b[:, 0])
    for g, p, w in zip(got, py, want, strict=True):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(p, w)
    assert want[0][3, 0] == a[3, 0] + b[0, 0] + b[3, 0]
    assert not np.shares_memory(got[0], a)   # the input is left alone


def test_inplace_forms_write_into_their_input(rng, monkeypatch):
    x, y = T.dmatrices("x", "y")
    i = T.lvector("i")
    base = T.exp(x)   # an intermediate the in-place ops may overwrite
    outs = [subtensor.AdvancedIncSubtensor1(inplace=True)(base, y, i),
            subtensor.AdvancedIncSubtensor(("array", "array"), inplace=True,
                                           set_instead_of_inc=True)(T.sin(x), 7.0, i, i)]
    a, b, idx = rng.standard_normal((4, 2)), rng.standard_normal((3, 2)), np.array([1, 1, -1])
    _no_perform(monkeypatch, subtensor.AdvancedIncSubtensor1, subtensor.AdvancedIncSubtensor)
    f = nbgraph.function([x, y, i], outs, mode=C)
    assert [n.op.inplace for n in f.maker.fgraph.toposort()
            if isinstance(n.op, subtensor.AdvancedIncSubtensor1)] == [True]
    inc, put = f(a, b, idx)
    want = np.exp(a)
    np.add.at(want, idx, b)
    np.testing.assert_allclose(inc, want, rtol=1e-14, atol=1e-15)  # exp and sin: an ulp
    want = np.sin(a)
    want[idx, idx] = 7.0
    np.testing.assert_allclose(put, want, rtol=1e-14)


def test_integer_array_update_errors_come_from_perform():
    x, y = T.dmatrices("x", "y")
    i, j = T.lvectors("i", "j")
    f = nbgraph.function([x, y, i], T.inc_subtensor(x[i], y), mode=C)
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor1.*at node.*index 7 is out of"):
        f(np.zeros((3, 2)), np.ones((2, 2)), np.array([0, 7]))
    with pytest.raises(ValueError, match="does not fit the indexed region"):
        f(np.zeros((3, 2)), np.ones((1, 2)), np.array([0, 1]))  # y's type does not broadcast
    g = nbgraph.function([x, i, j], T.inc_subtensor(x[i, j], 1.0), mode=C)
    with pytest.raises(IndexError, match="AdvancedIncSubtensor.*at node"):
        g(np.zeros((3, 2)), np.array([0, 1]), np.array([0, 2]))
    with pytest.raises(IndexError, match="AdvancedIncSubtensor.*at node"):
        g(np.zeros((3, 2)), np.array([0, 1]), np.array([0, 1, 1]))  # arrays do not broadcast


def test_a_broadcastable_value_of_an_array_update_broadcasts(monkeypatch):
    x = T.dmatrix("x")
    r = T.row("r", dtype="float64")
    i = T.lvector("i")
    _no_perform(monkeypatch, subtensor.AdvancedIncSubtensor1)
    f = nbgraph.function([x, r, i], T.inc_subtensor(x[i], r), mode=C)
    got = f(np.zeros((3, 2)), np.array([[1.0, 2.0]]), np.array([2, 2]))
    np.testing.assert_array_equal(got, [[0, 0], [0, 0], [2, 4]])
