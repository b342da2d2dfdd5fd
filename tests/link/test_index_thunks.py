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
    def refuse(*args):
        raise AssertionError("perform ran")
    for op in ops:
        monkeypatch.setattr(op, "perform", refuse)


def test_slices_ints_and_variable_bounds_run_without_perform(rng, monkeypatch):
    x = T.dtensor3("x")
    n = T.lscalar("n")
    outs = [x[:, 2:5], x[1, ::-2], x[-1, 0, 1], x[:, n:n + 2, ::2], T.tanh(x[0, :, 1:3])]
    a = rng.standard_normal((3, 6, 4))
    f = nbgraph.function([x, n], outs, mode=C)
    _no_perform(monkeypatch, subtensor.Subtensor)
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
    f = nbgraph.function([x, y], outs, mode=C)
    _no_perform(monkeypatch, subtensor.IncSubtensor)
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
    f = nbgraph.function([x, i], outs, mode=C)
    _no_perform(monkeypatch, subtensor.AdvancedSubtensor1, subtensor.AdvancedSubtensor)
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
