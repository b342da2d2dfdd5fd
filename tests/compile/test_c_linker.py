"""The C linker: which nodes compile, the fallback warning, threads, output reuse."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile import c_linker, cache
from nbgraph.compile.mode import Mode
from nbgraph.config import NbgraphWarning, config

C = Mode("c", "fast_run")


def test_source_shows_c_for_kernels_and_python_for_the_rest():
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.dot(T.exp(x), x).sum(), mode=C)
    texts = list(f.source.values())
    assert any("exp(" in t and "#pragma omp simd" in t for t in texts)
    assert any("def perform" in t for t in texts)  # dot runs NumPy's BLAS


def test_no_compiler_falls_back_with_one_warning(monkeypatch):
    monkeypatch.setattr(cache, "find_compiler", lambda: None)
    monkeypatch.setattr(c_linker, "_WARNED", False)
    x = T.dvector("x")
    with pytest.warns(NbgraphWarning, match="falling back to the Python linker"):
        f = nbgraph.function([x], T.exp(x) + 1, mode=C)
    np.testing.assert_allclose(f(np.zeros(3)), np.full(3, 2.0))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbgraph.function([x], T.exp(x) + 2, mode=C)  # warned once only


def test_compile_failure_prints_stderr_then_falls_back(monkeypatch, capsys):
    monkeypatch.setattr(c_linker, "_WARNED", False)
    monkeypatch.setattr(c_linker, "compiler_flags", lambda: ["-O3", "-fno-such-flag"])
    x = T.dvector("x")
    with pytest.warns(NbgraphWarning):
        f = nbgraph.function([x], T.exp(x) * 3, mode=C)
    assert "fno-such-flag" in capsys.readouterr().err
    np.testing.assert_allclose(f(np.zeros(2)), [3.0, 3.0])


def test_outputs_are_fresh_while_the_caller_holds_them(rng):
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2, mode=C)
    a = f(np.zeros(4))
    b = f(np.ones(4))
    assert a is not b
    np.testing.assert_allclose(a, 2.0)


def test_intermediate_storage_is_reused(rng):
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.dot(T.exp(x), x), mode=C)
    exp_node = next(n for n in f.maker.fgraph.toposort() if "exp" in str(n.op))
    cell = f.storage_map[exp_node.outputs[0]]
    first = f(np.ones((3, 3)))
    address = id(cell[0])  # an id, not a reference: holding one would block the reuse
    second = f(np.full((3, 3), 2.0))
    assert id(cell[0]) == address  # nothing else held it: the kernel wrote into it again
    np.testing.assert_allclose(second, np.exp(np.full((3, 3), 2.0)) @ np.full((3, 3), 2.0))
    np.testing.assert_allclose(first, np.exp(np.ones((3, 3))) @ np.ones((3, 3)))


def test_thread_count_comes_from_config(monkeypatch):
    monkeypatch.setattr(config, "openmp_threads", 3)
    assert c_linker.thread_count() == 3
    monkeypatch.setattr(config, "openmp_threads", 0)
    assert c_linker.thread_count() >= 1


def test_large_inputs_use_threads_and_stay_correct(rng):
    x, y = T.dvectors("x", "y")
    f = nbgraph.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x), mode=C)
    a, b = rng.standard_normal(200_000), rng.standard_normal(200_000)
    ref = np.exp(-a * a) * np.sin(b) + 0.5 * a * b - np.tanh(a)
    np.testing.assert_allclose(f(a, b), ref, rtol=1e-12, atol=1e-14)
