"""The CUDA linker: elementwise and reduction nodes become kernels in one CUDA source per
graph, built with CuPy's ``RawModule`` (NVRTC) and launched on CuPy arrays; Dot/Gemm go to
cuBLAS; DimShuffle is a device view; every other node runs its NumPy ``perform`` on the host.

Modules are cached by a hash of their source in memory; NVRTC's output is cached on disk by
CuPy (keyed by source, options, architecture and compiler version), and the source is kept in
``compiledir/_nbg_cuda_<sha16>/kernels.cu`` for display and the ``nvcc`` check.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..codegen.cuda_render import CudaRenderer, RankedKernel, with_rank
from ..codegen.kernel import Kernel, reduce_layout
from ..codegen.plan import plan
from ..config import config
from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Constant, Variable
from ..core.op import InnerCompiler
from ..link.kernel_linker import Cells, KernelLinker, Operands, Profile, Thunk
from ..ops.elemwise import check_broadcast
from . import blas
from .device import device_properties, is_device_array, require_cupy, to_device, to_host
from .transfer import SHAPE_READERS
from .types import GpuFromHost, GpuTensorType, HostFromGpu

# NVRTC options: no fused multiply-add contraction, so results match the C backend (which
# builds with -ffp-contract=off) to the last bits more often; never --use_fast_math.
NVRTC_OPTIONS = ("--std=c++11", "--fmad=false")
BLOCK = 256
_MODULES: dict[str, Any] = {}     # source sha256 -> RawModule


def source_key(source: str) -> str:
    return hashlib.sha256((source + "\0" + " ".join(NVRTC_OPTIONS)).encode()).hexdigest()


def load(source: str, profile: Profile | None = None) -> Any:
    """The compiled module for ``source``: from memory, else built (CuPy's disk cache makes a
    rebuild in a new process a cache hit)."""
    key = source_key(source)
    module = _MODULES.get(key)
    if module is not None:
        return module
    cupy = require_cupy("the CUDA linker")
    start = time.perf_counter()
    _save_source(key, source)
    module = cupy.RawModule(code=source, options=NVRTC_OPTIONS)
    module.compile()   # compile now: errors belong to function(), not to the first call
    _MODULES[key] = module
    if profile is not None:
        profile.record_phase("cuda_compile", time.perf_counter() - start)
    return module


def _save_source(key: str, source: str) -> None:
    folder = os.path.join(config.compiledir, f"_nbg_cuda_{key[:16]}")
    path = os.path.join(folder, "kernels.cu")
    if os.path.exists(path):
        return
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)   # atomic: a reader sees all of it or nothing
    except OSError:
        pass  # the cache folder is a convenience; the module is built from memory


def ranked_plan(fgraph: FunctionGraph, nodes: Sequence[Apply]
                ) -> tuple[dict[Apply, RankedKernel], dict[Apply, Apply]]:
    """``codegen.plan.plan`` (the C linker's kernels and prologue fusion), each kernel given
    the rank it loops over."""
    kernels, absorbed = plan(fgraph, nodes)
    ranked = {}
    for node, kern in kernels.items():
        nd = node.inputs[0].ndim if kern.reduce is not None else node.outputs[0].ndim
        ranked[node] = with_rank(kern, nd)
    return ranked, absorbed


def render_source(fgraph: FunctionGraph, nodes: Sequence[Apply],
                  renderer: CudaRenderer | None = None) -> tuple[str, dict[Apply, str]]:
    """(the module's CUDA source, each kernel node's part of it) — no GPU needed."""
    renderer = renderer or CudaRenderer()
    kernels, absorbed = ranked_plan(fgraph, nodes)
    source = renderer.render_module(list(kernels.values()))
    by_node = {node: renderer.render_kernel(k) for node, k in kernels.items()}
    for pro, red in absorbed.items():
        by_node[pro] = by_node[red]
    return source, by_node


class CudaLinker(KernelLinker):
    """Kernels for elementwise/reduction nodes, cuBLAS for Dot/Gemm, device views for
    DimShuffle, host ``perform`` for the rest. Values move to the device where a device node
    reads them and back where a host node or (without the ``gpu`` pass) a graph output does;
    with the pass, transfers are nodes."""

    name = "cuda"
    blas_note = "/* cuBLAS through cupy.matmul */\n"

    def __init__(self, renderer: CudaRenderer | None = None):
        self.renderer = renderer or CudaRenderer()

    def make_thunks(self, fgraph: FunctionGraph, nodes: list[Apply],
                    storage: dict[Variable, list], profile: Profile | None,
                    compiler: InnerCompiler) -> tuple[list[Thunk], dict[Apply, str]]:
        require_cupy("the CUDA linker (device='cuda', mode='GPU')")
        return super().make_thunks(fgraph, nodes, storage, profile, compiler)

    def plan(self, fgraph: FunctionGraph, nodes: Sequence[Apply]
             ) -> tuple[dict[Apply, RankedKernel], dict[Apply, Apply]]:
        return ranked_plan(fgraph, nodes)

    def load_module(self, kernels: list[Kernel], profile: Profile | None, start: float) -> Any:
        source = self.renderer.render_module(kernels)
        if profile is not None:
            profile.record_phase("codegen", time.perf_counter() - start)
        return load(source, profile)

    def operand_cells(self, storage: dict[Variable, list]) -> Operands:
        """Storage cells, except that a constant is uploaded once, at link time."""
        uploaded: dict[Variable, list] = {}

        def cells(variables: Sequence[Variable]) -> Cells:
            found = []
            for v in variables:
                if isinstance(v, Constant):
                    if v not in uploaded:
                        uploaded[v] = [to_device(v.data, v.type.dtype)]
                    found.append(uploaded[v])
                else:
                    found.append(storage[v])
            return found

        return cells

    def elemwise_thunk(self, node: Apply, kern: Kernel, module: Any, k: int,
                       in_cells: Cells, out_cells: Cells) -> Thunk:
        return elemwise_thunk(node, kern, module, in_cells, out_cells)

    def reduce_thunk(self, node: Apply, prologue: Apply | None, kern: Kernel, module: Any,
                     k: int, in_cells: Cells, out_cells: Cells) -> Thunk:
        return reduce_thunk(node, prologue, kern, module, in_cells, out_cells)

    def blas_thunk(self, node: Apply, operands: Operands, out_cells: Cells) -> Thunk | None:
        if not blas.handles(node):
            return None
        return blas.make_thunk(node, operands(node.inputs), out_cells)

    def view_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells) -> Thunk:
        return dimshuffle_thunk(node, in_cells[0], out_cells)

    def op_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells,
                 compiler: InnerCompiler) -> Thunk:
        if isinstance(node.op, (GpuFromHost, HostFromGpu)):
            return node.op.make_thunk(node, in_cells, out_cells, compiler=compiler)
        return host_thunk(node, in_cells, out_cells, compiler)

    def host_outputs(self, node: Apply, thunk: Thunk, out_cells: Cells,
                     outputs: set[Variable]) -> Thunk:
        """Without the ``gpu`` pass a graph output made on the device comes back as NumPy."""
        picked = [cell for v, cell in zip(node.outputs, out_cells, strict=True)
                  if v in outputs and not isinstance(v.type, GpuTensorType)]
        if not picked:
            return thunk

        def run() -> None:
            thunk()
            for cell in picked:
                cell[0] = to_host(cell[0])

        return run


def host_thunk(node: Apply, in_cells: Cells, out_cells: Cells, compiler: InnerCompiler
               ) -> Thunk:
    """A host op: device inputs are copied back first (shape readers only read ``.shape``);
    the op's own thunk runs on the copies (inner graphs compiled by ``compiler``)."""
    host_cells: Cells = [[None] for _ in in_cells]
    run = node.op.make_thunk(node, host_cells, out_cells, compiler=compiler)
    reads_shape_only = isinstance(node.op, SHAPE_READERS)

    def thunk() -> None:
        for cell, host in zip(in_cells, host_cells, strict=True):
            value = cell[0]
            if not reads_shape_only and is_device_array(value):
                value = to_host(value)
            host[0] = value
        try:
            run()
        finally:  # the copies are not kept between calls
            for host in host_cells:
                host[0] = None

    return thunk


def dimshuffle_thunk(node: Apply, in_cell: list, out_cells: list[list]) -> Callable[[], None]:
    op = node.op
    dtype = node.inputs[0].dtype
    cell = out_cells[0]

    def thunk() -> None:
        cupy = require_cupy()
        x = to_device(in_cell[0], dtype)
        if op.dropped:
            x = cupy.squeeze(x, axis=op.dropped)
        x = cupy.transpose(x, op.perm)
        if op.augment:
            x = cupy.expand_dims(x, op.augment)
        cell[0] = x

    return thunk


# -- launching kernels ------------------------------------------------------------------------
def grid_for(n: int, block: int = BLOCK) -> int:
    """Enough blocks to fill every multiprocessor many times over, no more (the loop strides)."""
    props = device_properties()
    return max(1, min(math.ceil(n / block), props["sm_count"] * 32, props["max_grid"]))


def _element_strides(a: Any, nd: int) -> list[int]:
    """Strides in elements (CuPy gives bytes); 0 along broadcast dimensions."""
    return [s // a.itemsize for s in a.strides] if nd else []


def elemwise_thunk(node: Apply, kern: Kernel, module: Any, in_cells: list[list],
                   out_cells: list[list]) -> Callable[[], None]:
    """Contiguous kernel when every full-size operand is C-contiguous with the output's
    shape, else the strided kernel over broadcast views (element strides)."""
    contig = module.get_function(f"{kern.name}_contig")
    strided = module.get_function(f"{kern.name}_strided")
    in_dtypes = [a.dtype for a in kern.inputs]
    out_dtypes = [o.dtype for o in kern.outputs]
    full = [j for j, a in enumerate(kern.inputs) if not a.scalar]
    nd = node.outputs[0].ndim

    def thunk() -> None:
        cupy = require_cupy()
        vals = [to_device(c[0], d) for c, d in zip(in_cells, in_dtypes, strict=True)]
        shape = tuple(np.broadcast_shapes(*(v.shape for v in vals)))
        if any(v.shape != shape for v in vals):
            check_broadcast(node, vals, shape)
        outs = [cupy.empty(shape, d) for d in out_dtypes]
        n = math.prod(shape)
        if n:
            fast = all(vals[j].shape == shape and vals[j].flags.c_contiguous for j in full) \
                and all(vals[j].size == 1 for j in range(len(vals)) if j not in full)
            if fast:
                contig((grid_for(n),), (BLOCK,), (np.int64(n), *vals, *outs))
            else:
                views = [cupy.broadcast_to(v, shape) for v in vals] + outs
                strides = [np.int64(s) for v in views for s in _element_strides(v, nd)]
                contig_args = [np.int64(d) for d in shape]
                strided((grid_for(n),), (BLOCK,),
                        (np.int64(n), *contig_args, *views, *strides))
        for cell, out in zip(out_cells, outs, strict=True):
            cell[0] = out

    return thunk


def _reduce_threads(n_red: int, cap: int) -> int:
    """A power of two from 32 to ``cap``: short rows do not idle most of a block."""
    threads = 32
    while threads < cap and threads < n_red:
        threads *= 2
    return threads


def reduce_thunk(node: Apply, prologue: Apply | None, kern: Kernel, module: Any,
                 in_cells: list[list], out_cells: list[list]) -> Callable[[], None]:
    """Move the reduced axes last (views), then one block per output row, split into chunks
    across blocks (and combined by ``_finish``) when there are few long rows."""
    reduce_fn = module.get_function(f"{kern.name}_reduce")
    finish_fn = module.get_function(f"{kern.name}_finish")
    red = kern.reduce
    assert red is not None
    in_dtypes = [a.dtype for a in kern.inputs]
    out_dtype = kern.outputs[0].dtype
    acc_dtype = red.acc_dtype
    cap = CudaRenderer.reduce_threads

    def thunk() -> None:
        cupy = require_cupy()
        vals = [to_device(c[0], d) for c, d in zip(in_cells, in_dtypes, strict=True)]
        shape, keep, perm = reduce_layout(node, prologue, red, vals)
        views = [cupy.broadcast_to(v, shape).transpose(perm) for v in vals]
        dims = [shape[d] for d in perm]
        n_out = math.prod(shape[d] for d in keep)
        n_red = math.prod(shape[d] for d in red.axes)
        out = cupy.empty([shape[d] for d in keep], out_dtype)
        if n_out:
            props = device_properties()
            threads = _reduce_threads(n_red, cap)
            parts = 1
            if n_out < 2 * props["sm_count"] and n_red > 16 * threads:
                # few long rows: split each over several blocks, then combine the partials
                parts = min(math.ceil(4 * props["sm_count"] / n_out),
                            math.ceil(n_red / (16 * threads)), 1024)
            chunk = math.ceil(n_red / parts) if n_red else 0
            part_acc = cupy.empty(n_out * parts if parts > 1 else 1, acc_dtype)
            part_arg = cupy.empty(n_out * parts if parts > 1 else 1, "int64")
            strides = [np.int64(s) for v in views for s in _element_strides(v, len(dims))]
            reduce_fn((n_out * parts,), (threads,),
                      (np.int64(n_out), np.int64(n_red), np.int64(chunk), np.int64(parts),
                       *[np.int64(d) for d in dims], *views, *strides, out, part_acc,
                       part_arg))
            if parts > 1:
                finish_fn((n_out,), (_reduce_threads(parts, cap),),
                          (np.int64(n_red), np.int64(parts), part_acc, part_arg, out))
        out_cells[0][0] = out

    return thunk
