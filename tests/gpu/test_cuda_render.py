"""CUDA rendering without a GPU: the text of the kernels (language attributes, grid-stride
loops, float32 math, reduction trees), and an ``nvcc -c`` compile of every kernel of the
differential set of graphs (skipped only where nvcc is absent)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from differential_graphs import all_cases, cast_cases, layout_cases, reduction_cases, row_cases

import nbgraph
import nbgraph.tensor as T
from nbgraph.codegen.cuda_render import CudaRenderer
from nbgraph.compile.mode import Mode
from nbgraph.gpu import render_cuda
from nbgraph.gpu.cuda_linker import ranked_plan, render_source

NVCC = shutil.which("nvcc")


def compiled(inputs, outputs, optimizer="fast_run"):
    return nbgraph.function(inputs, outputs, mode=Mode("py", optimizer))


def cuda_of(inputs, outputs, optimizer="fast_run") -> str:
    return render_cuda(compiled(inputs, outputs, optimizer))


def test_elemwise_kernel_is_a_grid_stride_loop_over_typed_pointers():
    x, y = T.dvectors("x", "y")
    src = cuda_of([x, y], T.exp(x) * y + 1)
    assert 'extern "C" __global__ void k0_contig(long long n, const double *p_i0' in src
    assert ("for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; "
            "i += (long long)blockDim.x * gridDim.x)") in src
    assert 'extern "C" __global__ void k0_strided(' in src
    assert re.search(r"double t\d+ = exp\(i0\);  /\* Elemwise\{exp\} uid \d+ \*/", src)


def test_no_libc_headers_and_no_stdint_names():
    x = T.fmatrix("x")
    src = cuda_of([x], [T.cast(x, "int64"), T.cast(x, "uint8"), T.sum(x, axis=0)])
    assert "#include" not in src
    assert not re.search(r"\b(u?int\d+_t|_Generic)\b", src)
    assert "((long long)" in src and "((unsigned char)" in src


def test_float32_math_uses_accurate_float_functions():
    x = T.fvector("x")
    src = cuda_of([x], T.exp(x) + T.log1p(x) * T.tanh(x) + T.erf(x))
    for name in ("expf(", "log1pf(", "tanhf(", "erff("):
        assert name in src
    kernels = re.sub(r"/\*.*?\*/", "", src[src.index("k0_contig"):], flags=re.S)
    assert not re.search(r"\b(exp|log1p|tanh|erf)\(", kernels)   # no double math on floats
    assert "__expf" not in src and "__logf" not in src   # fast intrinsics lose accuracy
    assert "= 0.5f;" in cuda_of([x], T.exp(x) * 0.5 + x)   # no silent float64 literals


def test_float64_math_keeps_double_names():
    x = T.dvector("x")
    src = cuda_of([x], T.exp(x) * T.sin(x))
    body = src[src.index("k0_contig"):]
    assert "exp(" in body and "sin(" in body and "expf(" not in body


def test_reduction_is_a_block_tree_with_a_second_pass():
    x = T.fmatrix("x")
    src = cuda_of([x], T.sum(T.exp(x), axis=1))
    assert 'extern "C" __global__ void k0_reduce(' in src
    assert 'extern "C" __global__ void k0_finish(' in src
    assert "__shared__ double sv[256];" in src     # float32 sums accumulate in double
    assert "__syncthreads();" in src
    assert "for (int s = blockDim.x / 2; s > 0; s >>= 1)" in src
    assert "for (long long q = lo + t; q < hi; q += blockDim.x)" in src
    assert "expf(i0)" in src                        # the prologue is fused into the reduction


def test_argmax_tracks_indices_and_nan_first():
    """Each thread sees its elements in index order (the C rule); the tree merges pairs in
    either order, the smaller index counting as the earlier."""
    x = T.dmatrix("x")
    src = cuda_of([x], T.argmax(x, axis=0))
    assert "__shared__ long long sa[256];" in src
    assert "if (acc == acc && !(i0 <= acc)) { acc = i0; arg = q; }" in src
    assert ("if (sa[t + s] < sa[t] ? !(sv[t + s] == sv[t + s] && !(sv[t] <= sv[t + s])) "
            ": sv[t] == sv[t] && !(sv[t + s] <= sv[t])) { sv[t] = sv[t + s]; sa[t] = sa[t + s]; }"
            ) in src


def test_kernel_ranks_follow_the_graph():
    x = T.dtensor3("x")
    f = compiled([x], T.exp(x))
    kernels, _ = ranked_plan(f.maker.fgraph, f.maker.fgraph.toposort())
    (kern,) = kernels.values()
    assert kern.ndim == 3
    src = CudaRenderer().render_kernel(kern)
    assert "long long d0, long long d1, long long d2" in src


def test_render_cuda_works_on_a_c_compiled_function_and_maps_nodes():
    pytest.importorskip("nbgraph.link.c_linker")
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2, mode=Mode("c", "fast_run"))
    src = render_cuda(f)
    assert "__global__" in src
    _, by_node = render_source(f.maker.fgraph, f.maker.fgraph.toposort())
    assert all("__global__" in text for text in by_node.values()) and by_node
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2)


# -- nvcc -c over the differential set ---------------------------------------------------------
def module_of(cases, optimizer) -> str:
    """One CUDA file holding the kernels of every case (renamed c<case>_k<j> to coexist)."""
    renderer = CudaRenderer()
    kernels = []
    for idx, (_, inputs, outputs, _) in enumerate(cases):
        f = compiled(inputs, outputs, optimizer)
        planned, _ = ranked_plan(f.maker.fgraph, f.maker.fgraph.toposort())
        kernels += [dataclasses.replace(k, name=f"c{idx}_{k.name}") for k in planned.values()]
    assert kernels, "the cases produced no kernels"
    return renderer.render_module(kernels)


GROUPS = {
    "rows-float64": (lambda rng: row_cases("float64", rng), None),
    "rows-float32": (lambda rng: row_cases("float32", rng), None),
    "casts": (cast_cases, None),
    "layouts-float64": (lambda rng: layout_cases("float64", rng), "fast_run"),
    "layouts-float32": (lambda rng: layout_cases("float32", rng), "fast_run"),
    "reductions-float64": (lambda rng: reduction_cases("float64", rng), "fast_run"),
    "reductions-float32": (lambda rng: reduction_cases("float32", rng), "fast_run"),
}


@pytest.mark.skipif(NVCC is None, reason="nvcc not found")
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_nvcc_compiles_every_kernel(group, rng, tmp_path: Path):
    make, optimizer = GROUPS[group]
    source = module_of(list(make(rng)), optimizer)
    path = tmp_path / f"{group}.cu"
    path.write_text(source)
    # 177: an operand a row ignores (``second`` reads only its second input) is still loaded
    result = subprocess.run([NVCC, "-c", "--std=c++11", "--fmad=false", "-diag-suppress", "177",
                             str(path), "-o",
                             str(tmp_path / f"{group}.o")], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"nvcc rejected the {group} kernels:\n{result.stderr}"
    assert "warning" not in result.stderr.lower(), result.stderr


def test_the_differential_set_covers_every_row_and_reduction(rng):
    ids = [case[0] for case in all_cases(rng)]
    assert len(ids) == len(set(ids))
    assert {"sigmoid-float32", "argmax-axis0-float64", "cast-bool-int8"} <= set(ids)
