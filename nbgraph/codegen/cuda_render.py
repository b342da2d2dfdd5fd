"""``CudaRenderer``: the C renderer's scalar statements, emitted as CUDA kernels.

Statements (one per table row, ``t<uid>`` temporaries), the helpers (``prelude``, spelled by
the ``CUDA`` dialect) and the reductions' semantics (``reductions``) are the C renderer's; this
class changes the language attributes and emits GPU-shaped loops: a grid-stride loop for
elementwise nodes, and a block-level shared-memory tree (plus a second pass over partials) for
reductions. No libc headers: the source compiles under NVRTC as it is, and under ``nvcc -c``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .c_render import CStyleRenderer, indent
from .kernel import Kernel
from .prelude import CUDA, Dialect
from .reductions import REDUCTIONS

# builtin C++ types only: NVRTC has no <stdint.h>
CUDA_TYPES: dict[str, str] = {
    "float64": "double", "float32": "float", "bool": "unsigned char",
    "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
    "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
    "uint64": "unsigned long long",
}

REDUCE_THREADS = 256  # shared-memory tree width; the launcher uses a power of two up to this


class CudaRenderer(CStyleRenderer):
    """Renders kernels as ``extern "C" __global__`` functions taking typed device pointers.

    Elementwise nodes get ``<k>_contig(n, ptrs...)`` (a grid-stride loop over contiguous
    operands) and ``<k>_strided(n, dims..., ptrs..., strides...)`` (element strides, 0 where
    an operand broadcasts, the rank fixed at render time). Reductions get ``<k>_reduce`` (one
    block per output row and chunk, a shared-memory tree) and ``<k>_finish`` (the tree over
    the chunks' partials when a row was split across blocks).
    """

    kernel_prefix = 'extern "C" __global__ void'
    helper_prefix = "__device__ __forceinline__ void"
    index_t = "long long"                  # no libc headers assumed under NVRTC
    first_index = "blockIdx.x * (long long)blockDim.x + threadIdx.x"
    stride = "(long long)blockDim.x * gridDim.x"
    simd_pragma = ""
    preamble: tuple[str, ...] = ()
    types: dict[str, str] = CUDA_TYPES
    dialect: Dialect = CUDA
    runtime = None                         # CuPy launches the kernels by name
    reduce_threads = REDUCE_THREADS

    # -- elementwise ---------------------------------------------------------------------------
    def _pointer_params(self, k: Kernel) -> list[str]:
        params = [f"const {self.ctype(a.dtype)} *p_{a.name}" for a in k.inputs]
        params += [f"{self.ctype(o.dtype)} *p_{o.name}" for o in k.outputs]
        return params

    def render_elemwise(self, k: Kernel) -> str:
        setup, loads = [], []
        for a in k.inputs:
            t = self.ctype(a.dtype)
            if a.scalar:
                setup.append(f"const {t} {a.name} = *p_{a.name};  /* broadcast */")
            else:
                loads.append(f"const {t} {a.name} = p_{a.name}[i];")
        stores = [f"p_{o.name}[i] = {res};" for o, res in zip(k.outputs, k.results, strict=True)]
        params = ", ".join([f"{self.index_t} n", *self._pointer_params(k)])
        contig = "\n".join([
            f"/* {k.title}: contiguous operands, one grid-stride loop */",
            f"{self.kernel_prefix} {k.name}_contig({params})", "{", *_lines(setup, 1),
            "    " + self.loop(self.first_index, "n"), indent(loads + self.body(k) + stores, 2),
            "    }", "}"])
        return contig + "\n\n" + self.render_strided(k)

    def render_strided(self, k: Kernel) -> str:
        """Any layout: unravel the flat index over the output's dims, then element strides."""
        nd = rank(k)
        dims = [f"d{d}" for d in range(nd)]
        ops = [a.name for a in k.inputs] + [o.name for o in k.outputs]
        strides = [f"s_{name}_{d}" for name in ops for d in range(nd)]
        params = [f"{self.index_t} n", *[f"{self.index_t} {d}" for d in dims],
                  *self._pointer_params(k), *[f"{self.index_t} {s}" for s in strides]]
        unravel = _unravel("i", dims, "j")
        loads = [f"const {self.ctype(a.dtype)} {a.name} = p_{a.name}[{_offset(a.name, nd)}];"
                 for a in k.inputs]
        stores = [f"p_{o.name}[{_offset(o.name, nd)}] = {res};"
                  for o, res in zip(k.outputs, k.results, strict=True)]
        return "\n".join([
            f"/* {k.title}: any strides (in elements, 0 where an operand broadcasts) */",
            f"{self.kernel_prefix} {k.name}_strided({', '.join(params)})", "{",
            "    " + self.loop(self.first_index, "n"),
            indent(unravel + loads + self.body(k) + stores, 2), "    }", "}"])

    # -- reductions ----------------------------------------------------------------------------
    def _tree(self, k: Kernel) -> list[str]:
        """Accumulators (and indices) into shared memory, then a tree over the block
        (blockDim.x is a power of two): log2(threads) steps instead of a serial loop."""
        red = k.reduce
        assert red is not None
        acc_t = self.ctype(red.acc_dtype)
        threads = self.reduce_threads
        combine = REDUCTIONS[red.kind].merge("sv[t]", "sa[t]", "sv[t + s]", "sa[t + s]")
        if REDUCTIONS[red.kind].tracks_index:
            head = [f"__shared__ {acc_t} sv[{threads}];",
                    f"__shared__ long long sa[{threads}];", "sv[t] = acc; sa[t] = arg;"]
        else:
            head = [f"__shared__ {acc_t} sv[{threads}];", "sv[t] = acc;"]
        return [*head, "__syncthreads();",
                "for (int s = blockDim.x / 2; s > 0; s >>= 1) {",
                f"    if (t < s) {{ {combine} }}", "    __syncthreads();", "}"]

    def render_reduce(self, k: Kernel) -> str:
        red = k.reduce
        assert red is not None
        nr = len(red.axes)
        nd = rank(k)
        nk = nd - nr
        acc_t, out_t = self.ctype(red.acc_dtype), self.ctype(k.outputs[0].dtype)
        dims = [f"d{d}" for d in range(nd)]        # kept dims first, then the reduced ones
        strides = [f"s_{a.name}_{d}" for a in k.inputs for d in range(nd)]
        params = ["long long n_out", "long long n_red", "long long chunk", "long long parts",
                  *[f"long long {d}" for d in dims], *self._pointer_params(k)[:len(k.inputs)],
                  *[f"long long {s}" for s in strides],
                  f"{out_t} *out", f"{acc_t} *part_acc", "long long *part_arg"]
        kept = _unravel("row", dims[:nk], "j")
        bases = [f"const long long b_{a.name} = {_offset(a.name, nk) if nk else '0'};"
                 for a in k.inputs]
        reduced = _unravel("q", dims[nk:], "j", first=nk)
        loads = [f"const {self.ctype(a.dtype)} {a.name} = "
                 f"p_{a.name}[b_{a.name} + {_offset(a.name, nd, first=nk)}];" for a in k.inputs]
        kind = REDUCTIONS[red.kind]
        update = kind.update("acc", "arg", k.results[0], "q", acc_t)
        init = kind.identity_literal(red.acc_dtype)
        arg_init = ["long long arg = 0;"] if kind.tracks_index else []
        arg_store = "part_arg[blockIdx.x] = sa[0]; " if kind.tracks_index else ""
        body = ["const int t = threadIdx.x;",
                "const long long row = blockIdx.x / parts, part = blockIdx.x % parts;",
                *kept, *bases,
                "const long long lo = part * chunk;",
                "const long long hi = lo + chunk < n_red ? lo + chunk : n_red;",
                f"{acc_t} acc = {init};", *arg_init,
                "for (long long q = lo + t; q < hi; q += blockDim.x) {",
                *["    " + line for line in reduced + loads + self.body(k) + [update]], "}",
                *self._tree(k),
                "if (t == 0) {",
                f"    if (parts == 1) out[row] = {kind.final('sv[0]', 'sa[0]', out_t)};",
                f"    else {{ part_acc[blockIdx.x] = sv[0]; {arg_store}}}", "}"]
        finish = ["const int t = threadIdx.x;", "const long long row = blockIdx.x;",
                  f"{acc_t} acc = {init};", *arg_init,
                  "for (long long q = t; q < parts; q += blockDim.x) {",
                  f"    const {acc_t} b = part_acc[row * parts + q];",
                  *(["    const long long ib = part_arg[row * parts + q];"]
                    if kind.tracks_index else []),
                  "    " + kind.merge("acc", "arg", "b", "ib"),
                  "}", *self._tree(k),
                  f"if (t == 0) out[row] = {kind.final('sv[0]', 'sa[0]', out_t)};"]
        return "\n".join([
            f"/* {k.title}",
            f"   a {red.kind} over the last {nr} of {nd} dims: block b reduces chunk b % parts",
            "   of row b / parts with a shared-memory tree; parts > 1 leaves partials for",
            f"   {k.name}_finish */",
            f"{self.kernel_prefix} {k.name}_reduce({', '.join(params)})", "{",
            indent(body, 1), "}", "",
            f"{self.kernel_prefix} {k.name}_finish(long long n_red, long long parts, "
            f"const {acc_t} *part_acc, const long long *part_arg, {out_t} *out)", "{",
            indent(finish, 1), "}"])


@dataclass(frozen=True)
class RankedKernel(Kernel):
    """A kernel with the rank it loops over (the output's for elementwise nodes, the reduced
    input's for reductions): strided kernels take one size and one stride per dimension."""

    ndim: int = 1


def with_rank(kernel: Kernel, ndim: int) -> RankedKernel:
    fields = {f.name: getattr(kernel, f.name) for f in dataclasses.fields(Kernel)}
    return RankedKernel(**fields, ndim=ndim)


def rank(kernel: Kernel) -> int:
    if isinstance(kernel, RankedKernel):
        return kernel.ndim
    if kernel.reduce is not None:
        return max(kernel.reduce.axes, default=0) + 1
    return 1


def _unravel(flat: str, dims: Sequence[str], prefix: str, first: int = 0) -> list[str]:
    """``j<d> = `` the index along each dim of flat index ``flat`` (row-major)."""
    if not dims:
        return []
    name = f"r_{flat}"
    lines = [f"long long {name} = {flat};"]
    for d in range(len(dims) - 1, 0, -1):
        lines.append(f"const long long {prefix}{first + d} = {name} % {dims[d]}; "
                     f"{name} /= {dims[d]};")
    lines.append(f"const long long {prefix}{first} = {name};")
    return lines


def _offset(operand: str, nd: int, first: int = 0) -> str:
    terms = [f"j{d} * s_{operand}_{d}" for d in range(first, nd)]
    return " + ".join(terms) if terms else "0"


def _lines(lines: Sequence[str], level: int) -> list[str]:
    return ["    " * level + line for line in lines]

