"""The CUDA linker with its kernels run on the CPU (``cuda_on_cpu``), so that they are tested
where no GPU is: the GPU tests' differential set of graphs against the C linker and NumPy,
long reductions split across blocks, argmax/argmin with NaNs, grid-stride loops. Not marked
``gpu``: it needs g++ only. The math is glibc's, not CUDA's (see cuda_on_cpu)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from unittest import mock

import numpy as np
import pytest
from cuda_on_cpu import CXX, H200, CpuKernel, load_on_cpu, on_cpu
from differential_graphs import all_cases

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.gpu import render_cuda

pytestmark = pytest.mark.skipif(CXX is None, reason="g++ not found (CUDA kernels are C++)")

TOL = {"float64": 1e-12, "float32": 1e-5}
CASES = list(all_cases(np.random.default_rng(1234)))
# one multiprocessor: at most 32 blocks, so grid-stride loops go round and rows of a few
# thousand elements are split across blocks
ONE_SM = {"sm_count": 1, "max_threads": 1024, "max_grid": 2**31 - 1}
DEVICES = [pytest.param(H200, id="h200"), pytest.param(ONE_SM, id="one-sm")]


def on_gpu(inputs: list, outputs: Any, values: Sequence[np.ndarray],
           device: dict[str, int] | None = None) -> tuple[list[np.ndarray], list[str]]:
    """(the CUDA linker's outputs, the kernels it launched in order), run on the CPU;
    every kernel node of the graph launched at least once where the inputs are not empty."""
    launched: list[str] = []
    real_call = CpuKernel.__call__

    def record(kernel: CpuKernel, *args: Any) -> None:
        launched.append(kernel.name)
        real_call(kernel, *args)

    with on_cpu(device), mock.patch.object(CpuKernel, "__call__", record):
        f = nbgraph.function(inputs, outputs, mode=Mode("cuda", "fast_run"))
        got = f(*values)
    planned = set(re.findall(r"__global__ void (k\d+)_", render_cuda(f)))
    if all(v.size for v in values):
        assert {name.rsplit("_", 1)[0] for name in launched} == planned, launched
    return (got if isinstance(got, list) else [got]), launched


def on_host(inputs: list, outputs: Any, values: Sequence[np.ndarray], linker: str
            ) -> list[np.ndarray]:
    got = nbgraph.function(inputs, outputs, mode=Mode(linker, "fast_run"))(*values)
    return got if isinstance(got, list) else [got]


def assert_close(got: Any, want: Any, scale: float = 0.0, what: str = "") -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert type(got) is np.ndarray and got.shape == want.shape and got.dtype == want.dtype, what
    if want.dtype.kind == "f":
        rtol = TOL[str(want.dtype)]
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1e-3, scale),
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_differential_against_c_and_numpy(case):
    name, inputs, outputs, values = case
    with np.errstate(all="ignore"):
        got, _ = on_gpu(inputs, outputs, values)
        refs = {linker: on_host(inputs, outputs, values, linker) for linker in ("c", "py")}
    scale = float(sum(np.abs(v.astype("float64")).sum() for v in values)) \
        if name.startswith(("prologue", "sum", "mean", "prod")) else 0.0
    for linker, want in refs.items():
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, scale, f"output {k} against the {linker} linker")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_long_reductions_split_rows_across_blocks(dtype, device, rng):
    x = T.vector("x", dtype=dtype)
    m = T.matrix("m", dtype=dtype)
    a = rng.standard_normal(100_003).astype(dtype)
    b = rng.standard_normal((3, 20_000)).astype(dtype)
    outs = [T.sum(x), T.argmin(x), T.mean(T.exp(m), axis=1), T.argmax(m, axis=1)]
    got, launched = on_gpu([x, m], outs, [a, b], device)
    # both whole-vector reductions left partials for a second pass
    assert sum(name.endswith("_finish") for name in launched) >= 2, launched
    np.testing.assert_allclose(got[0], a.astype("float64").sum(), rtol=TOL[dtype],
                               atol=TOL[dtype] * 1e3)
    assert got[1] == a.argmin()
    np.testing.assert_allclose(got[2], np.exp(b.astype("float64")).mean(axis=1),
                               rtol=TOL[dtype] * 10)
    np.testing.assert_array_equal(got[3], b.argmax(axis=1))


def nan_matrix(dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Rows of 3000 (several elements per thread, split across blocks on small devices): NaNs
    late and early in a row, a row of NaNs, a tied maximum and minimum, a row without NaN."""
    a = rng.standard_normal((5, 3000)).astype(dtype)
    a[0, [2900, 1000, 1001]] = np.nan
    a[1, 0] = np.nan
    a[2] = np.nan
    a[3, [17, 2500]] = 9.0
    a[3, [5, 2999]] = -9.0
    return a


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_argmax_argmin_take_the_first_nan(axis, dtype, device, rng):
    x = T.matrix("x", dtype=dtype)
    a = nan_matrix(dtype, rng)
    if axis == 0:
        a = a.T   # long columns (a strided view): 5 blocks, not 3000 blocks of 5 elements
    outs = [T.argmax(x, axis=axis), T.argmin(x, axis=axis), T.max(x, axis=axis),
            T.min(x, axis=axis)]
    got, _ = on_gpu([x], outs, [a], device)
    want = [np.argmax(a, axis=axis), np.argmin(a, axis=axis), np.max(a, axis=axis),
            np.min(a, axis=axis)]
    c_linker = on_host([x], outs, [a], "c")
    for k, (g, w, c) in enumerate(zip(got, want, c_linker, strict=True)):
        np.testing.assert_array_equal(g, w, err_msg=f"output {k} against NumPy")
        np.testing.assert_array_equal(g, c, err_msg=f"output {k} against the C linker")


@pytest.mark.parametrize("device", DEVICES)
def test_grid_stride_loops_cover_every_element(device, rng):
    """50000 elements: 196 blocks of 256 threads on the H200, 32 blocks (six elements a
    thread) on one multiprocessor; contiguous operands, and a transposed one."""
    x, y = T.dmatrices("x", "y")
    a = rng.standard_normal((250, 200))
    b = rng.standard_normal((200, 250)).T
    outs = [T.exp(x) * 2 - x, T.tanh(x) * y]
    got, launched = on_gpu([x, y], outs, [a, b], device)
    assert sorted(name.split("_")[1] for name in launched) == ["contig", "strided"]
    np.testing.assert_allclose(got[0], np.exp(a) * 2 - a, rtol=1e-12)
    np.testing.assert_allclose(got[1], np.tanh(a) * b, rtol=1e-12)


# -- the emulator itself ------------------------------------------------------------------------
BLOCK_SUMS = """
extern "C" __global__ void block_sums(const double *x, double *out, long long *ids)
{
    __shared__ double sv[64];
    const int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const int b = blockIdx.x + gridDim.x * blockIdx.y;
    const int threads = blockDim.x * blockDim.y * blockDim.z;
    ids[b * threads + t] = blockIdx.y * 1000000LL + blockIdx.x * 10000 + threadIdx.z * 100
                           + threadIdx.y * 10 + threadIdx.x;
    sv[t] = x[b * threads + t];
    __syncthreads();
    for (int s = threads / 2; s > 0; s >>= 1) {
        if (t < s) sv[t] += sv[t + s];
        __syncthreads();
    }
    if (t == 0) out[b] = sv[0];
}
"""


def test_threads_see_their_indices_and_share_memory_per_block():
    """A 2 x 3 grid of 4 x 2 x 8 blocks: each thread's indices, and a shared-memory tree per
    block (the blocks reuse one __shared__ array, one after another)."""
    grid, block = (3, 2), (4, 2, 8)
    x = np.arange(6 * 64, dtype="float64") ** 2
    out, ids = np.zeros(6), np.zeros(6 * 64, dtype="int64")
    load_on_cpu(BLOCK_SUMS).get_function("block_sums")(grid, block, (x, out, ids))
    np.testing.assert_array_equal(out, x.reshape(6, 64).sum(axis=1))
    by, bx, tz, ty, tx = np.meshgrid(range(2), range(3), range(8), range(2), range(4),
                                     indexing="ij")
    want = by * 1000000 + bx * 10000 + tz * 100 + ty * 10 + tx
    np.testing.assert_array_equal(ids, want.ravel())


def test_launches_are_checked_like_cuda_launches():
    kernel = load_on_cpu(BLOCK_SUMS).get_function("block_sums")
    x, out, ids = np.zeros(64), np.zeros(1), np.zeros(64, dtype="int64")
    with pytest.raises(RuntimeError, match="error 1"):   # over 1024 threads in a block
        kernel((1,), (2048,), (x, out, ids))
    with pytest.raises(TypeError, match="NumPy scalars"):
        kernel((1,), (64,), (x, out, 3))
