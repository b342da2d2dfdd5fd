"""``CudaRenderer``: the C renderer's scalar statements, emitted as CUDA kernels.

Statements (one per table row, ``t<uid>`` temporaries) come from ``CStyleRenderer``; this class
changes the language attributes and emits GPU-shaped loops: a grid-stride loop for elementwise
nodes, and a block-level shared-memory tree (plus a second pass over partials) for reductions.
No libc headers: the source compiles under NVRTC as it is, and under ``nvcc -c``.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .c_render import CStyleRenderer, c_literal, indent
from .kernel import Kernel, Stmt

# builtin C++ types only: NVRTC has no <stdint.h>
CUDA_TYPES: dict[str, str] = {
    "float64": "double", "float32": "float", "bool": "unsigned char",
    "int8": "signed char", "int16": "short", "int32": "int", "int64": "long long",
    "uint8": "unsigned char", "uint16": "unsigned short", "uint32": "unsigned int",
    "uint64": "unsigned long long",
}

REDUCE_THREADS = 256  # shared-memory tree width; the launcher uses a power of two up to this

CUDA_HELPERS = textwrap.dedent("""\
    /* NumPy's semantics for the table rows that are not one operator (C++ overloads) */
    #ifndef INFINITY
    #define INFINITY __int_as_float(0x7f800000)
    #endif
    #ifndef NAN
    #define NAN __int_as_float(0x7fffffff)
    #endif
    #define NBG_D __device__ __forceinline__
    #define NBG_ARG_NONE 0x7fffffffffffffffLL  /* "no index yet": loses every tie */
    template <class T> NBG_D T nbg_max(T a, T b) { return (a >= b || a != a) ? a : b; }
    template <class T> NBG_D T nbg_min(T a, T b) { return (a <= b || a != a) ? a : b; }
    template <class T> NBG_D T nbg_abs(T x) { return x < 0 ? (T)-x : x; }
    template <class T> NBG_D T nbg_sgn(T x) { return x > 0 ? (T)1 : (x < 0 ? (T)-1 : x); }
    template <class T> NBG_D T nbg_clip(T x, T lo, T hi) { return nbg_min(nbg_max(x, lo), hi); }
    template <class T> NBG_D T nbg_floordiv(T a, T b)  /* Python's floor division */
    { if (b == 0) return 0; T q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
    template <class T> NBG_D T nbg_mod(T a, T b)
    { if (b == 0) return 0; T m = a % b; return (m != 0 && ((m < 0) != (b < 0))) ? m + b : m; }
    #define NBG_FLOAT_HELPERS(T, F)                                                         \\
    NBG_D T nbg_abs(T x) { return fabs##F(x); }                                              \\
    NBG_D T nbg_sigmoid(T x) { return (T)1 / ((T)1 + exp##F(-x)); }                          \\
    NBG_D T nbg_softplus(T x)  /* log(1 + e^x) = max(x,0) + log1p(e^-|x|) */                \\
    { return (x > 0 ? x : (T)0) + log1p##F(exp##F(-fabs##F(x))); }                            \\
    NBG_D T nbg_mod(T a, T b)  /* npy_divmod: the sign follows b */                          \\
    { if (b == 0) return fmod##F(a, b);                                                       \\
      T m = fmod##F(a, b);                                                                    \\
      if (m) { if ((b < 0) != (m < 0)) m += b; } else m = copysign##F((T)0, b);               \\
      return m; }                                                                             \\
    NBG_D T nbg_floordiv(T a, T b)                                                            \\
    { if (b == 0) return a / b;                                                               \\
      T m = fmod##F(a, b), d = (a - m) / b;                                                   \\
      if (m && ((b < 0) != (m < 0))) d -= (T)1;                                               \\
      if (!d) return copysign##F((T)0, a / b);                                                \\
      T f = floor##F(d);                                                                      \\
      return (d - f > (T)0.5) ? f + (T)1 : f; }
    NBG_FLOAT_HELPERS(double, )
    NBG_FLOAT_HELPERS(float, f)
    #define nbg_invert(x) (~(x))
    /* argmax/argmin: does (b, ib) replace (a, ia)? The first NaN wins, then the strict
       extremum, then the smaller index (NumPy's choice). */
    template <class T> NBG_D bool nbg_arg_takes(T a, long long ia, T b, long long ib, bool max)
    {
        if (b != b) return a == a || ib < ia;
        if (a != a) return false;
        return (max ? b > a : b < a) || (b == a && ib < ia);
    }
    """)

# kind -> (combine two partial accumulators a <- a (+) b, value -> accumulator)
_COMBINE = {
    "sum": "{a} = {a} + {b};", "mean": "{a} = {a} + {b};", "prod": "{a} = {a} * {b};",
    "max": "{a} = nbg_max({a}, {b});", "min": "{a} = nbg_min({a}, {b});",
    "all": "{a} = {a} && {b};", "any": "{a} = {a} || {b};",
    "xor": "{a} = ({a} != 0) != ({b} != 0);",
}


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
    reduce_threads = REDUCE_THREADS

    def ctype(self, dtype: str) -> str:
        return CUDA_TYPES[dtype]

    def statement(self, stmt: Stmt) -> str:
        """The C statement, with casts spelled in builtin types and a row's ``cuda`` text."""
        spec = stmt.spec
        if spec is not None and spec.name.startswith("Cast{"):
            target = "bool" if stmt.dtype == "bool" else self.ctype(stmt.dtype)
            stmt = stmt._replace(spec=dataclasses.replace(spec, c=f"(({target}){{0}})"))
        elif spec is not None and spec.cuda is not None:
            stmt = stmt._replace(spec=dataclasses.replace(spec, c=spec.cuda))
        return super().statement(stmt)

    def _loop(self, bound: str) -> str:
        return (f"for ({self.index_t} i = {self.first_index}; i < {bound}; "
                f"i += {self.stride}) {{")

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
            "    " + self._loop("n"), indent(loads + self.body(k) + stores, 2), "    }", "}"])
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
            "    " + self._loop("n"), indent(unravel + loads + self.body(k) + stores, 2),
            "    }", "}"])

    # -- reductions ----------------------------------------------------------------------------
    def _reduce_init(self, k: Kernel) -> str:
        red = k.reduce
        assert red is not None
        acc = red.acc_dtype
        if red.kind in ("sum", "mean", "any", "xor"):
            return "0"
        if red.kind in ("prod", "all"):
            return "1"
        if acc in ("float32", "float64"):
            low = red.kind in ("max", "argmax")
            return "-INFINITY" if low else "INFINITY"
        if acc == "bool":
            return "0" if red.kind in ("max", "argmax") else "1"
        info = np.iinfo(acc)
        return c_literal(info.min if red.kind in ("max", "argmax") else info.max, acc)

    def _reduce_update(self, k: Kernel, value: str, index: str) -> str:
        red = k.reduce
        assert red is not None
        if red.kind in ("argmax", "argmin"):
            is_max = "true" if red.kind == "argmax" else "false"
            return (f"if (nbg_arg_takes(acc, arg, ({self.ctype(red.acc_dtype)}){value}, "
                    f"{index}, {is_max})) {{ acc = {value}; arg = {index}; }}")
        if red.kind in ("all", "any", "xor"):
            return _COMBINE[red.kind].format(a="acc", b=f"({value} != 0)")
        return _COMBINE[red.kind].format(a="acc", b=f"({self.ctype(red.acc_dtype)}){value}")

    def _reduce_combine(self, k: Kernel, a: str, ia: str, b: str, ib: str) -> str:
        red = k.reduce
        assert red is not None
        if red.kind in ("argmax", "argmin"):
            is_max = "true" if red.kind == "argmax" else "false"
            return (f"if (nbg_arg_takes({a}, {ia}, {b}, {ib}, {is_max})) "
                    f"{{ {a} = {b}; {ia} = {ib}; }}")
        return _COMBINE[red.kind].format(a=a, b=b)

    def _final(self, k: Kernel, acc: str, arg: str) -> str:
        red = k.reduce
        assert red is not None
        out_t = self.ctype(k.outputs[0].dtype)
        if red.kind == "mean":
            return f"({out_t})({acc} / (double)n_red)"
        if red.kind in ("argmax", "argmin"):
            return f"({arg} == NBG_ARG_NONE ? 0LL : {arg})"
        return f"({out_t}){acc}"

    def _tree(self, k: Kernel) -> list[str]:
        """Accumulators (and indices) into shared memory, then a tree over the block
        (blockDim.x is a power of two): log2(threads) steps instead of a serial loop."""
        acc_t = self.ctype(k.reduce.acc_dtype)  # type: ignore[union-attr]
        threads = self.reduce_threads
        combine = self._reduce_combine(k, "sv[t]", "sa[t]", "sv[t + s]", "sa[t + s]")
        if _has_arg(k):
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
        update = self._reduce_update(k, k.results[0], "q")
        init = self._reduce_init(k)
        arg_init = ["long long arg = NBG_ARG_NONE;"] if _has_arg(k) else []
        arg_store = "part_arg[blockIdx.x] = sa[0]; " if _has_arg(k) else ""
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
                f"    if (parts == 1) out[row] = {self._final(k, 'sv[0]', 'sa[0]')};",
                f"    else {{ part_acc[blockIdx.x] = sv[0]; {arg_store}}}", "}"]
        finish = ["const int t = threadIdx.x;", "const long long row = blockIdx.x;",
                  f"{acc_t} acc = {init};", *arg_init,
                  "for (long long q = t; q < parts; q += blockDim.x) {",
                  "    " + self._reduce_combine(k, "acc", "arg", "part_acc[row * parts + q]",
                                                "part_arg[row * parts + q]"),
                  "}", *self._tree(k),
                  f"if (t == 0) out[row] = {self._final(k, 'sv[0]', 'sa[0]')};"]
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

    # -- a whole module ------------------------------------------------------------------------
    def render_module(self, kernels: Sequence[Kernel]) -> str:
        """One CUDA source for a graph: helpers, then every kernel (no host code)."""
        parts = [*self.preamble, CUDA_HELPERS] + [self.render_kernel(k) for k in kernels]
        return "\n\n".join(parts) + "\n"


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


def _has_arg(kernel: Kernel) -> bool:
    return kernel.reduce is not None and kernel.reduce.kind in ("argmax", "argmin")


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

