"""``CStyleRenderer``: Kernel IR -> readable C (one statement per scalar op, ``t<uid>``
temporaries). Statements, helpers (``prelude``) and reduction semantics (``reductions``) are
written once; a target language (CUDA) changes class attributes and the loop and launch shape
only (STYLE B8).
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Sequence

from ..ops.scalar import SCALAR_OPS
from .arrays import array_helpers, render_elemwise_arrays, render_reduce_arrays
from .kernel import C_TYPES, Kernel, Stmt
from .literals import c_literal
from .prelude import C99, RUNTIME, Dialect, helpers
from .reductions import REDUCTIONS

# The table's ``libm`` column: math functions with float variants (``expf``) and, where
# ``simd``, vector variants in glibc's libmvec (>= 2.35 on x86-64); declaring those
# ``omp declare simd`` lets ``#pragma omp simd`` loops call the vector forms without
# -ffast-math (glibc only declares them under __FAST_MATH__).
LIBM = tuple(spec.libm for spec in SCALAR_OPS if spec.libm)
SIMD_MATH = tuple((spec.libm, spec.nin) for spec in SCALAR_OPS if spec.libm and spec.simd)
_LIBM_CALL = re.compile(r"\b(" + "|".join(LIBM) + r")\(")
_DOUBLE_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d*(?:[eE][-+]?\d+)?)(?![\w.])")


@functools.cache  # constant text: built once, not on every compile
def simd_declarations() -> str:
    """``omp declare simd`` for the vector math functions, unary ones first."""
    lines = ["#if defined(__x86_64__) && defined(__GLIBC__) && defined(_OPENMP)"]
    for fn, nin in sorted(SIMD_MATH, key=lambda row: row[1]):
        lines += ["#pragma omp declare simd notinbranch",
                  f"double {fn}({', '.join(['double'] * nin)});",
                  "#pragma omp declare simd notinbranch",
                  f"float {fn}f({', '.join(['float'] * nin)});"]
    lines.append("#endif")
    return "\n".join(lines)


def float32_math(expr: str) -> str:
    """``exp(x)`` -> ``expf(x)`` and ``1.0`` -> ``1.0f``: float32 rows compute in float."""
    expr = _LIBM_CALL.sub(lambda m: m.group(1) + "f(", expr)
    return _DOUBLE_LITERAL.sub(lambda m: m.group(1) + "f", expr)


class CStyleRenderer:
    """Renders kernels as C99 functions over ``char **p`` operand pointers."""

    kernel_prefix = "void"
    helper_prefix = "static void"
    index_t = "int64_t"
    first_index = "0"
    stride = "1"
    simd_pragma = "#pragma omp simd"
    preamble: tuple[str, ...] = ("#include <math.h>", "#include <stdint.h>",
                                 "#include <stdbool.h>",
                                 "#ifdef _OPENMP\n#include <omp.h>\n#endif")
    types: dict[str, str] = C_TYPES     # dtype -> the language's type
    dialect: Dialect = C99              # how the helpers are spelled
    runtime: str | None = RUNTIME       # host threading runtime and the nbg_lookup table
    #                                     (None: a host API launches the kernels by name)

    # -- one scalar statement ------------------------------------------------------------------
    def ctype(self, dtype: str) -> str:
        return self.types[dtype]

    def loop(self, start: str, bound: str) -> str:
        """The header of the elementwise loop over ``i``, in this language's index and stride."""
        return f"for ({self.index_t} i = {start}; i < {bound}; i += {self.stride}) {{"

    def statement(self, stmt: Stmt) -> str:
        ctype = self.ctype(stmt.dtype)
        if stmt.spec is None:
            return f"const {ctype} {stmt.tmp} = {c_literal(stmt.value, stmt.dtype)};"
        spec = stmt.spec
        # a row's ``{type}`` is the output's type in this language (Cast{...} uses it)
        target = "bool" if stmt.dtype == "bool" else ctype
        # operands in the dtype NumPy's loop computes in (``int / int`` is a float division)
        wanted = spec.operand_dtypes(stmt.arg_dtypes)
        template = spec.c_template(wanted).replace("{type}", target)
        args = [a if d == w else f"({self.ctype(w)}){a}"
                for a, d, w in zip(stmt.args, stmt.arg_dtypes, wanted, strict=True)]
        if spec.name in ("isnan", "isinf") and stmt.arg_dtypes[0] not in ("float32", "float64"):
            args = [f"(double){args[0]}"]
        if spec.name == "invert" and stmt.arg_dtypes[0] == "bool":
            expr = f"(!{args[0]})"  # NumPy's ~ on bool is logical not
        else:
            expr = template.format(*args[: spec.nin])
            for extra in args[spec.nin:]:  # n-ary add/mul: fold left, one C expression
                expr = template.format(expr, extra)
        dtypes = {stmt.dtype, *stmt.arg_dtypes}
        if "float32" in dtypes and "float64" not in dtypes:
            expr = float32_math(expr)
        if stmt.dtype == "bool":
            expr = f"({expr}) != 0"
        return f"{ctype} {stmt.tmp} = {expr};  /* Elemwise{{{stmt.scalar_name}}} uid {stmt.uid} */"

    def body(self, kernel: Kernel) -> list[str]:
        return [self.statement(s) for s in kernel.body]

    # -- elementwise: contiguous range, then strided ---------------------------------------------
    def _operands(self, k: Kernel, rows: bool = False) -> tuple[list[str], list[str],
                                                               list[str]]:
        """(setup, per-element loads, stores) for contiguous operands indexed by ``i``; with
        ``rows``, full operands start at row ``r`` of ``cols`` elements, "row" operands restart
        on every row and "col" operands give one value per row."""
        setup, loads = [], []
        for j, a in enumerate(k.inputs):
            t = self.ctype(a.dtype)
            if a.role == "scalar":
                setup.append(f"const {t} {a.name} = *(const {t} *)p[{j}];  /* broadcast */")
            elif rows and a.role == "col":
                setup.append(f"const {t} {a.name} = ((const {t} *)p[{j}])[r];  /* per row */")
            else:
                start = "" if not rows else ";  /* every row */" if a.role == "row" \
                    else " + r * cols;"
                setup.append(f"const {t} *p_{a.name} = (const {t} *)p[{j}]"
                             + (start or ";"))
                loads.append(f"const {t} {a.name} = p_{a.name}[i];")
        stores = []
        nin = len(k.inputs)
        for j, (o, res) in enumerate(zip(k.outputs, k.results, strict=True)):
            t = self.ctype(o.dtype)
            setup.append(f"{t} *p_{o.name} = ({t} *)p[{nin + j}]"
                         + (" + r * cols;" if rows else ";"))
            stores.append(f"p_{o.name}[i] = {res};")
        return setup, loads, stores

    def render_elemwise(self, k: Kernel) -> str:
        setup, loads, stores = self._operands(k)
        inner = indent(loads + self.body(k) + stores, 2)
        contig = "\n".join([
            f"/* {k.title}: contiguous operands */",
            f"{self.helper_prefix} {k.name}_range({self.index_t} lo, {self.index_t} hi, "
            "char **p)",
            "{", indent(setup, 1), f"    {self.simd_pragma}",
            "    " + self.loop(f"lo + {self.first_index}", "hi"),
            inner, "    }", "}",
            f"{self.kernel_prefix} {k.name}_contig(int64_t n, char **p) "
            f"{{ nbg_run({k.name}_range, n, p, {self.cost(k)}); }}"])
        rows = "\n\n" + self.render_rows(k) if k.by_rows else ""
        return contig + "\n\n" + self.render_strided(k) + rows

    def render_fast(self, k: Kernel) -> str:
        """The kernel's entry points for contiguous operands (the module built first)."""
        if k.reduce is not None:
            return self.render_reduce(k)
        parts = self.render_elemwise(k).split("\n\n")
        return "\n\n".join([parts[0]] + ([self.render_rows(k)] if k.by_rows else []))

    def render_rows(self, k: Kernel) -> str:
        """C-contiguous operands over (rows, cols): "row" operands restart on every row,
        "col" operands give one value per row, so the inner loop is contiguous (vectorized)."""
        setup, loads, stores = self._operands(k, rows=True)
        return "\n".join([
            f"/* {k.title}: rows of broadcast operands */",
            f"{self.helper_prefix} {k.name}_rowrange(int64_t lo, int64_t hi, int64_t cols, "
            "char **p)",
            "{", "    for (int64_t r = lo; r < hi; r++) {", indent(setup, 2),
            f"        {self.simd_pragma}",
            "        for (int64_t i = 0; i < cols; i++) {",
            indent(loads + self.body(k) + stores, 3), "        }", "    }", "}",
            f"{self.kernel_prefix} {k.name}_rows(int64_t rows, int64_t cols, char **p) "
            f"{{ nbg_run_rows({k.name}_rowrange, rows, cols, p, {self.cost(k)}); }}"])

    def cost(self, k: Kernel) -> int:
        """Work per element for the threading threshold: 1, plus each row's ``work`` (8 per
        transcendental call)."""
        return 1 + sum(s.spec.work for s in k.body if s.spec is not None)

    def _strided_loads(self, k: Kernel, base: str) -> tuple[list[str], list[str]]:
        loads, stores = [], []
        nin = len(k.inputs)
        for j, a in enumerate(k.inputs):
            t = self.ctype(a.dtype)
            loads.append(f"const {t} {a.name} = *(const {t} *)({base}[{j}] + i * s[{j}]);")
        for j, (o, res) in enumerate(zip(k.outputs, k.results, strict=True)):
            t = self.ctype(o.dtype)
            stores.append(f"*({t} *)({base}[{nin + j}] + i * s[{nin + j}]) = {res};")
        return loads, stores

    def render_strided(self, k: Kernel) -> str:
        nops = len(k.inputs) + len(k.outputs)
        loads, stores = self._strided_loads(k, "b")
        inner = indent(loads + self.body(k) + stores, 4)
        # rows whose every operand steps one element (column slices such as an LSTM's gate
        # blocks, transposed blocks): contiguous loads, vectorized like the contiguous loop
        ops = [(j, a) for j, a in enumerate(k.inputs)] + \
            [(len(k.inputs) + j, o) for j, o in enumerate(k.outputs)]
        unit = " && ".join(f"s[{j}] == (int64_t)sizeof({self.ctype(a.dtype)})" for j, a in ops)
        setup = [f"{'const ' if j < len(k.inputs) else ''}{self.ctype(a.dtype)} *p_{a.name} = "
                 f"({'const ' if j < len(k.inputs) else ''}{self.ctype(a.dtype)} *)b[{j}];"
                 for j, a in ops]
        row_loads = [f"const {self.ctype(a.dtype)} {a.name} = p_{a.name}[i];" for a in k.inputs]
        row_stores = [f"p_{o.name}[i] = {res};" for o, res in zip(k.outputs, k.results,
                                                                     strict=True)]
        rows = indent(setup + [self.simd_pragma, "for (int64_t i = 0; i < inner; i++) {"]
                      + ["    " + line for line in row_loads + self.body(k) + row_stores]
                      + ["}"], 3)
        return textwrap.dedent(f"""\
            /* {k.title}
               any strides: st[k * nd + d] is operand k's byte stride along dimension d
               (0 where it broadcasts); the last dimension is the inner loop */
            {self.kernel_prefix} {k.name}_strided(int nd, const int64_t *shape, char **p,
                                                  const int64_t *st)
            {{
                int64_t idx[NBG_MAXDIM] = {{0}}, outer = 1, s[{nops}];
                for (int d = 0; d < nd - 1; d++) outer *= shape[d];
                const int64_t inner = shape[nd - 1];
                for (int k = 0; k < {nops}; k++) s[k] = st[k * nd + nd - 1];
                const int unit = {unit};
                for (int64_t o = 0; o < outer; o++) {{
                    char *b[{nops}];
                    for (int k = 0; k < {nops}; k++) {{
                        b[k] = p[k];
                        for (int d = 0; d < nd - 1; d++) b[k] += idx[d] * st[k * nd + d];
                    }}
                    if (unit) {{
            {{rows}}
                    }} else {{
                        for ({self.index_t} i = 0; i < inner; i++) {{
            {{inner}}
                        }}
                    }}
                    for (int d = nd - 2; d >= 0; d--) {{
                        if (++idx[d] < shape[d]) break;
                        idx[d] = 0;
                    }}
                }}
            }}
            """).replace("{rows}", rows).replace("{inner}", inner)

    # -- reductions ------------------------------------------------------------------------------
    def _reduce_loops(self, k: Kernel, update: str, pragma: str) -> list[str]:
        """The inner loop over ``i < n`` from the operand bases ``c[]``: contiguous loads
        (vectorized, libmvec for transcendentals) when every stride is one element, else
        strided loads."""
        contig = " && ".join(f"s[{j}] == (int64_t)sizeof({self.ctype(a.dtype)})"
                             for j, a in enumerate(k.inputs))
        setup = [f"const {self.ctype(a.dtype)} *p_{a.name} = "
                 f"(const {self.ctype(a.dtype)} *)c[{j}];" for j, a in enumerate(k.inputs)]
        loads = [f"const {self.ctype(a.dtype)} {a.name} = p_{a.name}[i];" for a in k.inputs]
        strided, _ = self._strided_loads(k, "c")
        body = self.body(k)
        lines = [f"if ({contig}) {{", indent(setup, 1), *([f"    {pragma}"] if pragma else []),
                 "    for (int64_t i = 0; i < n; i++) {", indent(loads + body + [update], 2),
                 "    }", "} else {", "    for (int64_t i = 0; i < n; i++) {",
                 indent(strided + body + [update], 2), "    }", "}"]
        return "\n".join(lines).split("\n")

    def render_reduce(self, k: Kernel) -> str:
        """A reduction over the last ``nr`` of ``nk + nr`` dimensions (the thunk moves the
        reduced axes last, as views). Two loop orders:

        - each output reduces its own run, the inner loop along the last reduced dimension
          (a reduction over trailing axes: ``sum(x, axis=1)``);
        - when the last axis is kept (a reduction over leading axes: the bias gradient
          ``sum(dh, axis=0)``), whole rows stream into a block of NBG_RBLOCK accumulators,
          in row order (NumPy's order for this layout).

        Either order is right for any strides; only the one that suits C-contiguous inputs
        is emitted (both doubled the C compile of a graph's reductions).
        """
        red = k.reduce
        assert red is not None
        nin = len(k.inputs)
        acc_t, out_t = self.ctype(red.acc_dtype), self.ctype(k.outputs[0].dtype)
        kind = REDUCTIONS[red.kind]
        init = kind.identity_literal(red.acc_dtype)
        update = kind.update("acc", "arg", k.results[0], "r0 + i", acc_t)
        pragma = f"{self.simd_pragma} {kind.clause.format(a='acc')}" if kind.clause else ""
        row_update = kind.update("acc[i]", "arg[i]", k.results[0], "r", acc_t)
        each = indent(self._reduce_loops(k, update, pragma), 3)
        rows = indent(self._reduce_loops(k, row_update, self.simd_pragma), 3)
        final = kind.final("acc", "arg", out_t)
        row_final = kind.final("acc[i]", "arg[i]", out_t)
        cost = self.cost(k)
        each_fn = textwrap.dedent(f"""\
            /* {k.title}: a {red.kind} over the last nr of nk + nr dimensions; inputs have
               byte strides st[k * nd + d]; the output p[{nin}] is contiguous over the kept ones */
            static void {k.name}_each(int nk, int nr, const int64_t *shape, char **p,
                                      const int64_t *st, int64_t lo, int64_t hi)
            {{
                const int nd = nk + nr;
                const int64_t n = shape[nd - 1];
                int64_t n_red_outer = 1, n_red, s[{nin}];
                for (int d = nk; d < nd - 1; d++) n_red_outer *= shape[d];
                n_red = n_red_outer * n;
                for (int k = 0; k < {nin}; k++) s[k] = st[k * nd + nd - 1];
                {out_t} *out = ({out_t} *)p[{nin}];
                for (int64_t o = lo; o < hi; o++) {{
                    char *b[{nin}], *c[{nin}];
                    nbg_seek({nin}, nd, 0, nk, shape, st, o, p, b);
                    {acc_t} acc = {init};
                    int64_t arg = 0;
                    for (int64_t ro = 0; ro < n_red_outer; ro++) {{
                        const int64_t r0 = ro * n;
                        nbg_seek({nin}, nd, nk, nd - 1, shape, st, ro, b, c);
            {{each}}
                    }}
                    (void)arg;
                    (void)n_red;
                    out[o] = {final};
                }}
            }}

            """).replace("{each}", each)
        rows_fn = textwrap.dedent(f"""\
            /* {k.title}: a {red.kind}, rows streamed into blocks of the kept last dimension */
            static void {k.name}_rows(int nk, int nr, const int64_t *shape, char **p,
                                      const int64_t *st, int64_t lo, int64_t hi)
            {{
                const int nd = nk + nr;
                const int64_t cols = shape[nk - 1];
                const int64_t nb = (cols + NBG_RBLOCK - 1) / NBG_RBLOCK;
                int64_t n_red = 1, s[{nin}];
                for (int d = nk; d < nd; d++) n_red *= shape[d];
                for (int k = 0; k < {nin}; k++) s[k] = st[k * nd + nk - 1];
                for (int64_t t = lo; t < hi; t++) {{
                    const int64_t o = t / nb, c0 = (t % nb) * NBG_RBLOCK;
                    const int64_t n = cols - c0 < NBG_RBLOCK ? cols - c0 : NBG_RBLOCK;
                    char *b[{nin}], *c[{nin}];
                    {acc_t} acc[NBG_RBLOCK];
                    int64_t arg[NBG_RBLOCK];
                    nbg_seek({nin}, nd, 0, nk - 1, shape, st, o, p, b);
                    for (int k = 0; k < {nin}; k++) b[k] += c0 * s[k];
                    for (int64_t i = 0; i < n; i++) {{ acc[i] = {init}; arg[i] = 0; }}
                    for (int64_t r = 0; r < n_red; r++) {{
                        nbg_seek({nin}, nd, nk, nd, shape, st, r, b, c);
            {{rows}}
                    }}
                    {out_t} *out = ({out_t} *)p[{nin}] + o * cols + c0;
                    for (int64_t i = 0; i < n; i++) out[i] = {row_final};
                }}
            }}

            """).replace("{rows}", rows)
        if red.keeps_last:
            body, fn = rows_fn, f"{k.name}_rows"
            tasks = "n_out / shape[nk - 1] * ((shape[nk - 1] + NBG_RBLOCK - 1) / NBG_RBLOCK)"
        else:
            body, fn, tasks = each_fn, f"{k.name}_each", "n_out"
        return body + textwrap.dedent(f"""\
            {self.kernel_prefix} {k.name}_reduce(int nk, int nr, const int64_t *shape, char **p,
                                  const int64_t *st)
            {{
                int64_t n_out = 1, n_red = 1;
                for (int d = 0; d < nk; d++) n_out *= shape[d];
                for (int d = nk; d < nk + nr; d++) n_red *= shape[d];
                if (n_out == 0) return;
                const int64_t tasks = {tasks};
                nbg_run_tasks({fn}, tasks, n_out * n_red * {cost}, nk, nr, shape, p, st);
            }}
            """)

    # -- a whole module --------------------------------------------------------------------------
    def render_kernel(self, k: Kernel) -> str:
        return self.render_reduce(k) if k.reduce is not None else self.render_elemwise(k)

    def render_module(self, kernels: Sequence[Kernel], variant: str = "all") -> str:
        """One source file for a graph: preamble, helpers, the runtime, the kernels, and (with
        a runtime) a lookup table.

        ``variant`` "fast" keeps the contiguous, rows and reduction entry points, "strided"
        the elementwise kernels' strided ones too (built on first need: compiling them for
        every kernel doubled the C compile of a graph), "all" everything. With a runtime,
        each kernel also gets its entry point over NumPy arrays (``arrays``).
        """
        parts = ["\n".join(self.preamble)] if self.preamble else []
        if self.simd_pragma:
            parts.append(simd_declarations())
        parts.append(helpers(self.dialect))
        if self.runtime is not None:
            parts += [self.runtime, array_helpers(object.__basicsize__)]
        fast, strided = variant in ("fast", "all"), variant in ("strided", "all")
        for k in kernels:
            if variant == "all" or (strided and k.reduce is None):
                parts.append(self.render_kernel(k))
            elif fast:
                parts.append(self.render_fast(k))
            else:
                continue
            if self.runtime is not None:
                parts.append(render_reduce_arrays(k, self.types) if k.reduce is not None
                             else render_elemwise_arrays(k, self.types, strided))
        if self.runtime is not None:
            parts.append(lookup_table(kernels, fast, strided))
        return "\n\n".join(parts) + "\n"


def lookup_table(kernels: Sequence[Kernel], fast: bool, strided: bool) -> str:
    """``nbg_lookup(k, which)``: kernel k's contiguous, strided, reduction, rows and arrays
    entry points (0 where absent or not in this module)."""
    rows = []
    for k in kernels:
        if k.reduce is not None:
            rows.append(f"    {{0, 0, (void *){k.name}_reduce, 0, (void *){k.name}_rarrays}},"
                        if fast else "    {0, 0, 0, 0, 0},")
            continue
        present = fast or strided
        contig = f"(void *){k.name}_contig" if present else "0"
        by_rows = f"(void *){k.name}_rows" if present and k.by_rows else "0"
        strided_fn = f"(void *){k.name}_strided" if strided else "0"
        arrays = f"(void *){k.name}_arrays" if present else "0"
        rows.append(f"    {{{contig}, {strided_fn}, 0, {by_rows}, {arrays}}},")
    return "\n".join(["static void *nbg_table[][5] = {", *rows, "    {0, 0, 0, 0, 0}", "};",
                      "void *nbg_lookup(int k, int which) { return nbg_table[k][which]; }"])


def indent(lines: Sequence[str], level: int) -> str:
    """``lines`` joined, each non-empty one indented by ``level`` four-space steps."""
    pad = "    " * level
    return "\n".join(pad + line if line else line for line in lines)
