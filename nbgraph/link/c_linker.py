"""The C linker: elementwise and reduction nodes become kernels in one C file per graph, built
through the cache and loaded with cffi; Dot/Gemm/Gemv call NumPy's BLAS (c_blas.py), DimShuffle is
a view, every other node runs its Python ``perform``. The loop over nodes is KernelLinker's.

Calls go through cffi's ABI mode (``dlopen``): the module needs no Python headers, so a cold
compile is one small gcc run, and a call costs about as much as an API-mode call once the
operand pointers are taken with ``ffi.from_buffer``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..codegen.c_render import CStyleRenderer
from ..codegen.kernel import Kernel
from ..config import NbgraphWarning, config
from ..core.graph import Apply
from ..core.op import InnerCompiler
from . import _cffi_abi, cache
from .c_blas import blas_thunk
from .c_op import c_op_thunk, has_c_code
from .c_thunks import StridedEntry, elemwise_thunk, reduce_thunk
from .generated import exec_generated
from .index_thunks import index_thunk
from .kernel_linker import Cells, KernelLinker, Operands, Profile, Thunk
from .library import LIBRARIES, Library

FFI = _cffi_abi.ffi  # the declarations in ``c_abi.CDEF``, pre-parsed (no pycparser at import)

# -fwrapv: signed overflow wraps, as NumPy's integers do (undefined behaviour in plain C)
BASE_FLAGS = ("-O2", "-std=gnu11", "-fno-math-errno", "-ffp-contract=off", "-fwrapv", "-fopenmp")
MAXDIM = 32
_WARNED = False


def compiler_flags(extra: Sequence[str] = ()) -> list[str]:
    """``-O2 -fno-math-errno -ffp-contract=off -fopenmp`` (+ ``-march=native`` on x86-64):
    no -ffast-math, so IEEE semantics hold; ``extra`` (``CLinker(cflags=)``) appends.

    -O2, not -O3: gcc 12 builds the elementwise benchmark's module in 0.09 s instead of
    0.16 s, and the ``omp simd`` loops vectorize either way (N=1e7 runs 5-15% slower)."""
    flags = list(BASE_FLAGS)
    if platform.machine() in ("x86_64", "AMD64"):
        flags.append("-march=native")
    return flags + list(extra)


def link_libs() -> list[str]:
    if platform.machine() in ("x86_64", "AMD64") and sys.platform.startswith("linux"):
        return ["-lmvec", "-lm"]
    return ["-lm"]


def thread_count() -> int:
    n = config.openmp_threads
    if n > 0:
        return n
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _spin_briefly() -> None:
    """OpenMP threads spin-wait after a parallel region by default (300k spins); on a machine
    with few cores that steals time from BLAS and other processes, so spin briefly, then
    sleep. libgomp reads this when it loads (with the first kernel library) and OpenMP has no
    call to change it later; a value the user set wins."""
    os.environ.setdefault("GOMP_SPINCOUNT", "10000")


def load(source: str, profile: Profile | None = None, cflags: Sequence[str] = ()) -> Any:
    """Build (or find) the library for ``source`` and dlopen it; CompileError on failure."""
    compiler = cache.find_compiler()
    if compiler is None:
        raise cache.CompileError("no C compiler found (set $CC or install gcc)")
    source, flags, libs = cache.canonical_source(source), compiler_flags(cflags), link_libs()
    _, path = cache.library_path(source, config.compiledir, compiler, flags, libs)
    lib = LIBRARIES.get(path)
    if lib is None:  # the first load (while loaded) checks the file against its hash
        result = _build(source, compiler, flags, libs)
        if profile is not None:
            profile.record_phase("cache_hit" if result.cached else "c_compile",
                                 result.seconds)
        _spin_briefly()
        lib = _open(result.path, source, compiler, flags, libs)
        LIBRARIES[path] = lib
    elif profile is not None:
        profile.record_phase("cache_hit", 0.0)
    lib.nbg_set_threads(thread_count())
    return lib


def _build(source: str, compiler: str, flags: list[str], libs: list[str]) -> cache.BuildResult:
    return cache.build(source, config.compiledir, compiler, flags, libs,
                       lock_timeout=config.lock_timeout, compile_timeout=config.compiler_timeout,
                       max_bytes=int(config.cache_max_mb * 2**20))


def _open(path: str, source: str, compiler: str, flags: list[str], libs: list[str]
          ) -> Library:
    """dlopen ``path`` (closed when the last function using it goes); an entry another
    process evicted between the check and the load is built again (a few times at most)."""
    for _ in range(2):
        try:
            return Library(FFI, path)
        except OSError:
            path = _build(source, compiler, flags, libs).path
    return Library(FFI, path)


def _warn_fallback(err: Exception) -> None:
    global _WARNED
    stderr = getattr(err, "stderr", "")
    if stderr:
        print(stderr, file=sys.stderr)
    if not _WARNED:
        _WARNED = True
        warnings.warn(f"C linker unavailable ({err}); falling back to the Python linker",
                      NbgraphWarning, stacklevel=5)


class CLinker(KernelLinker):
    """Compiled kernels for elementwise and reduction nodes, NumPy's BLAS for Dot/Gemm/Gemv, a view
    for DimShuffle, Python ``perform`` for the rest.

    ``cflags`` are appended to the compiler flags (they are part of the cache key):

    >>> mode = Mode(linker=CLinker(cflags=["-fsanitize=address"]))
    """

    name = "c"
    python_without_kernels = False  # BLAS, view and indexing thunks need no compiler
    fails_before_writing = True    # kernel thunks check shapes first (compile/atomic.py)

    def __init__(self, renderer: CStyleRenderer | None = None, cflags: Sequence[str] = ()):
        self.renderer = renderer or CStyleRenderer()
        self.cflags = tuple(cflags)

    def load_module(self, kernels: list[Kernel], profile: Profile | None, start: float
                    ) -> Loaded | None:
        """One module with the contiguous entry points; the strided ones in a second module
        built on first need, or in this one when some kernel reads a slice or transpose
        made in the graph (it would be built on the first call anyway)."""
        both = any(k.reads_views for k in kernels)
        source = self.renderer.render_module(kernels, "all" if both else "fast")
        if profile is not None:
            profile.record_phase("codegen", time.perf_counter() - start)
        try:
            lib = load(source, profile, self.cflags)
        except (cache.CompileError, OSError) as err:
            _warn_fallback(err)
            return None
        strided = StridedEntry((lambda: lib) if both else (
            lambda: load(self.renderer.render_module(kernels, "strided"), profile, self.cflags)))
        return Loaded(lib, strided)

    def elemwise_thunk(self, node: Apply, kern: Kernel, module: Loaded, k: int,
                       in_cells: Cells, out_cells: Cells) -> Thunk:
        return _keeping(module, elemwise_thunk(node, kern, module.lib, k, in_cells, out_cells,
                                               module.strided))

    def reduce_thunk(self, node: Apply, prologue: Apply | None, kern: Kernel, module: Loaded,
                     k: int, in_cells: Cells, out_cells: Cells) -> Thunk:
        return _keeping(module, reduce_thunk(node, prologue, kern, module.lib, k, in_cells,
                                             out_cells))

    def blas_thunk(self, node: Apply, operands: Operands, out_cells: Cells) -> Thunk | None:
        return blas_thunk(node, operands(node.inputs), out_cells)

    def view_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells) -> Thunk:
        return dimshuffle_thunk(node, in_cells, out_cells)

    def index_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells) -> Thunk | None:
        return index_thunk(node, in_cells, out_cells)

    def op_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells,
                 compiler: InnerCompiler) -> Thunk:
        if has_c_code(node.op):  # a user's C op (Theano's c_code): compiled, cached (c_op.py)
            return c_op_thunk(node, in_cells, out_cells)
        return super().op_thunk(node, in_cells, out_cells, compiler)


def _keeping(module: Loaded, thunk: Thunk) -> Thunk:
    """``thunk``, holding the libraries its function pointers point into: they stay loaded
    while it lives, and are closed after (library.py)."""
    thunk.library = module  # type: ignore[attr-defined]
    return thunk


class Loaded(NamedTuple):
    """A graph's kernel library (contiguous, rows and reduction entry points) and its strided
    entry points, built on first need."""

    lib: Any
    strided: StridedEntry


def dimshuffle_thunk(node: Apply, in_cells: list[list], out_cells: list[list]
                     ) -> Callable[[], None]:
    """A DimShuffle as basic indexing and a transpose (views, 0.3 us instead of ``perform``'s
    squeeze/transpose/expand_dims, 2.4-4 us): index 0 drops a length-1 dimension, ``None``
    inserts one. Anything unexpected goes to ``perform``, which raises the op's own errors."""
    op = node.op
    nd = len(op.input_broadcastable)
    perm = op.perm if op.perm != tuple(range(len(op.perm))) else None
    drop = tuple(0 if d in op.dropped else slice(None) for d in range(nd))
    add = tuple(None if o == "x" else slice(None) for o in op.new_order)
    steps: list[tuple] = []
    if perm is None:  # one index does both: kept dimensions stay in order
        merged: list[int | slice | None] = []
        pending = list(op.dropped)
        for o in op.new_order:
            if o != "x":
                while pending and pending[0] < o:
                    merged.append(0)
                    pending.pop(0)
            merged.append(None if o == "x" else slice(None))
        steps = [tuple(merged + [0] * len(pending))] if op.dropped or op.augment else []
    else:
        steps = ([drop] if op.dropped else []) + [perm] + ([add] if op.augment else [])
    in_cell, out_cell = in_cells[0], out_cells[0]
    slow = op.make_thunk(node, in_cells, out_cells)
    ndarray, dropped = np.ndarray, op.dropped
    src = ["def thunk():", "    x = c[0]",
           "    if type(x) is not ndarray or x.ndim != nd:", "        return slow()"]
    if dropped:
        src += [f"    if {' or '.join(f'x.shape[{d}] != 1' for d in dropped)}:",
                "        return slow()"]
    expr = "x"
    for k, step in enumerate(steps):
        expr = f"{expr}.transpose(s{k})" if step is perm else f"{expr}[s{k}]"
    src.append(f"    o[0] = {expr}")
    scope = {"c": in_cell, "o": out_cell, "ndarray": ndarray, "nd": nd, "slow": slow,
             **{f"s{k}": step for k, step in enumerate(steps)}}
    exec_generated("\n".join(src) + "\n", scope, "dimshuffle view")  # integers, index tuples
    return scope["thunk"]


