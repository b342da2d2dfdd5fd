"""The CUDA linker against NumPy on a real GPU (marker ``gpu``; skipped without CuPy and a
device): the differential set in float64 (1e-12 relative) and float32 (1e-5), transfers,
device-resident shared variables, cuBLAS dot/gemm, borrowed device outputs. Its host side
(ops without a device version) runs everywhere."""

from __future__ import annotations

import numpy as np
import pytest
from differential_graphs import all_cases

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import Out
from nbgraph.compile.mode import Mode
from nbgraph.core.inner_graph import REFERENCE
from nbgraph.gpu import cuda_linker, has_cuda
from nbgraph.ops.scan.basic import scan
from nbgraph.ops.scan.op import Scan


def on_gpu(test):
    """Mark ``test`` as needing CuPy and a CUDA device (skipped without them)."""
    return pytest.mark.gpu(pytest.mark.skipif(not has_cuda(), reason="no CuPy/GPU")(test))

TOL = {"float64": 1e-12, "float32": 1e-5}
CASES = list(all_cases(np.random.default_rng(1234)))


def reference(inputs, outputs, values):
    return nbgraph.function(inputs, outputs, mode=Mode("py", "fast_run"))(*values)


def assert_close(got, want, scale=0.0):
    got, want = np.asarray(got), np.asarray(want)
    assert type(got) is np.ndarray and got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind == "f":
        rtol = TOL[str(want.dtype)]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1e-3, scale),
                                   equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


@on_gpu
@pytest.mark.parametrize("mode", ["GPU", "cuda-linker"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_differential_against_numpy(case, mode):
    name, inputs, outputs, values = case
    chosen = "GPU" if mode == "GPU" else Mode("cuda", "fast_run")
    with np.errstate(all="ignore"):
        got = nbgraph.function(inputs, outputs, mode=chosen)(*values)
        want = reference(inputs, outputs, values)
    scale = float(sum(np.abs(v.astype("float64")).sum() for v in values)) \
        if name.startswith(("prologue", "sum", "mean", "prod")) else 0.0
    for g, w in zip(got, want, strict=True):
        assert_close(g, w, scale)


@on_gpu
def test_long_full_reduction_splits_rows_across_blocks(rng):
    x = T.fvector("x")
    a = rng.standard_normal(3_000_001).astype("float32")
    f = nbgraph.function([x], [T.sum(x), T.max(x), T.argmin(x)], mode="GPU")
    total, top, low = f(a)
    np.testing.assert_allclose(total, a.astype("float64").sum(), rtol=1e-5, atol=1e-2)
    assert top == a.max() and low == a.argmin()


@on_gpu
def test_shared_variable_stays_on_device_across_calls(rng):
    import cupy
    w = nbgraph.shared(np.zeros(4), name="w", device="cuda")
    x = T.dvector("x")
    step = nbgraph.function([x], w.sum(), updates=[(w, w + x)], mode="GPU")
    for _ in range(3):
        step(np.ones(4))
    assert isinstance(w.get_value(borrow=True, return_internal_type=True), cupy.ndarray)
    np.testing.assert_array_equal(w.get_value(), [3.0, 3.0, 3.0, 3.0])


@on_gpu
def test_borrowed_output_is_a_device_array(rng):
    import cupy
    x = T.dmatrix("x")
    f = nbgraph.function([x], Out(T.exp(x), borrow=True), mode="GPU")
    a = rng.standard_normal((3, 4))
    out = f(a)
    assert isinstance(out, cupy.ndarray)
    np.testing.assert_allclose(out.get(), np.exp(a), rtol=1e-12)


@on_gpu
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mlp_step_matches_numpy(dtype, rng):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    w = nbgraph.shared(rng.standard_normal((8, 16)).astype(dtype) * 0.1, name="w")
    v = nbgraph.shared(rng.standard_normal((16, 2)).astype(dtype) * 0.1, name="v")
    out = T.dot(T.tanh(T.dot(x, w)), v)
    cost = T.mean((out - y) ** 2)
    gw, gv = nbgraph.grad(cost, [w, v])
    xs = rng.standard_normal((32, 8)).astype(dtype)
    ys = rng.standard_normal((32, 2)).astype(dtype)
    fns = [nbgraph.function([x, y], [cost, gw, gv], mode=m) for m in ("GPU", Mode("py"))]
    gpu, cpu = (f(xs, ys) for f in fns)
    for g, c in zip(gpu, cpu, strict=True):
        np.testing.assert_allclose(g, c, rtol=TOL[dtype] * 10, atol=TOL[dtype])


@on_gpu
def test_source_shows_cuda_under_the_gpu_linker():
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2, mode="GPU")
    assert any("__global__" in text for text in f.source.values())


class RecordingCompiler:
    """The reference InnerCompiler, counting the inner graphs it is asked for."""

    key = "recording"

    def __init__(self):
        self.calls = 0

    def function(self, inputs, outputs, mode=None):
        self.calls += 1
        return REFERENCE.function(inputs, outputs, mode)


def test_host_ops_compile_inner_graphs_with_the_linkers_compiler(rng):
    """A host op (Scan has no device version) runs its own thunk: the step graph comes from
    the compiler the CUDA linker was given, not from ``perform``'s reference."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    out, _ = scan(lambda xt, h: T.tanh(xt + h) * 0.5, sequences=x, outputs_info=h0)
    f = nbgraph.function([x, h0], out, mode=Mode("py", "fast_run"))
    xv = rng.normal(size=5)
    h, want = 0.3, []
    for v in xv:
        h = np.tanh(v + h) * 0.5
        want.append(h)
    np.testing.assert_allclose(f(xv, 0.3), want, rtol=1e-12)
    (node,) = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    in_cells = [f.storage_map[v] for v in node.inputs]   # what the call above gave the scan
    out_cells = [[None] for _ in node.outputs]
    compiler = RecordingCompiler()
    cuda_linker.host_thunk(node, in_cells, out_cells, compiler)()
    assert compiler.calls == 1
    for cell, var in zip(out_cells, node.outputs, strict=True):
        np.testing.assert_allclose(cell[0], f.storage_map[var][0], rtol=1e-12)
    assert any(np.allclose(cell[0][-len(want):], want, rtol=1e-12) for cell in out_cells)
