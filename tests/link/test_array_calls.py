"""Kernels called over NumPy arrays: C reads pointers, shapes and strides itself, so strided,
transposed, negative-stride and broadcast operands take no Python set-up per call."""

from __future__ import annotations

import re

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.codegen.arrays import ARRAY_STRUCT
from nbgraph.codegen.plan import plan
from nbgraph.compile.mode import Mode
from nbgraph.config import config
from nbgraph.core.types import TensorType
from nbgraph.link import array_calls, c_abi, c_thunks

C = Mode("c", "fast_run")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_c_and_cffi_declare_the_same_array_fields():
    assert _squeeze(ARRAY_STRUCT) in _squeeze(c_abi.CDEF)
    assert array_calls.LAYOUT_OK  # CPython and NumPy as tested here


@pytest.mark.parametrize("view", [
    lambda a: a[:, 3:8], lambda a: a[:5, :5].T, lambda a: a[::-1, ::-2][:5],
    lambda a: np.broadcast_to(a[0, :5], (5, 5)),
], ids=["slice", "transposed", "negative-stepped", "read-only-broadcast"])
def test_strided_operands_run_in_c_without_the_general_path(view, rng, monkeypatch):
    x, y = T.dmatrices("x", "y")
    f = nbgraph.function([x, y], [T.tanh(x) * y + 1, (x * y).sum(axis=1)], mode=C)
    base = rng.standard_normal((10, 10))
    a, b = view(base), view(base * 2)
    f(a, b)  # the first strided call builds the strided entry points
    def no_general(*args):
        raise AssertionError("the general path ran")
    monkeypatch.setattr(c_thunks, "_as_dtypes", no_general)
    monkeypatch.setattr(np, "broadcast_to", no_general)
    out, red = f(a, b)
    np.testing.assert_allclose(out, np.tanh(a) * b + 1, rtol=1e-14)
    np.testing.assert_allclose(red, (a * b).sum(axis=1), rtol=1e-13)


def test_other_types_and_bad_shapes_take_the_general_path(rng):
    x = T.dmatrix("x")
    b = TensorType("float64", shape=(1, None))("b")
    f = nbgraph.function([x, b], T.exp(x) - b, mode=C)
    a = rng.standard_normal((4, 6))[:, ::2]
    np.testing.assert_allclose(f(a, np.ones((1, 3))), np.exp(a) - 1)
    with pytest.raises(ValueError, match="broadcast"):
        f(a, np.ones((1, 4)))


def test_outputs_of_strided_calls_are_fresh_while_held(rng):
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.exp(x), mode=C)
    a = rng.standard_normal((6, 8))
    first = f(a[:, ::2])
    second = f(a[:, 1::2])
    assert first is not second
    np.testing.assert_allclose(first, np.exp(a[:, ::2]))
    np.testing.assert_allclose(second, np.exp(a[:, 1::2]))


def test_shape_source_reads_each_dimension_from_a_full_operand():
    assert array_calls.shape_source((False, False), [(True, False), (False, False)]) \
        == "a1.shape"
    assert array_calls.shape_source((False, False), [(True, False), (False, True)]) \
        == "(a1.shape[0], a0.shape[1], )"
    assert array_calls.shape_source((True,), [(True,)]) == "a0.shape"


def test_a_graph_that_slices_builds_its_strided_entry_points_at_once(tmp_path, monkeypatch,
                                                                    rng):
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    p, c = T.dmatrices("p", "c")
    gates = T.nnet.sigmoid(p[:, :4]) * c + T.tanh(p[:, 4:])
    f = nbgraph.function([p, c], gates, mode=C)
    assert all(k.reads_views for k in plan(f.maker.fgraph, f.maker.fgraph.toposort())[0]
               .values())
    pv, cv = rng.standard_normal((3, 8)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(f(pv, cv), 1 / (1 + np.exp(-pv[:, :4])) * cv
                               + np.tanh(pv[:, 4:]), rtol=1e-14)
    assert len([e for e in tmp_path.iterdir() if e.is_dir()]) == 1  # no second module
    x = T.dmatrix("x")
    g = nbgraph.function([x], T.exp(x) + 1, mode=C)  # no views in the graph: fast module only
    assert not any(k.reads_views for k in plan(g.maker.fgraph, g.maker.fgraph.toposort())[0]
                   .values())
