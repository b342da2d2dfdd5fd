"""The text every kernel module starts with: NumPy's semantics for the table rows that are not
one C operator (``helpers``, written once and spelled for C99 or CUDA by a ``Dialect``), and the
C threading and indexing runtime (``RUNTIME``, host code: C only).
"""

from __future__ import annotations

import functools
import re
import textwrap
from dataclasses import dataclass

_FAMILIES = textwrap.dedent("""\
    /* NumPy's semantics for the table rows that are not one C operator */
    #define NBG_FLOAT_HELPERS(T, S, F)                                                     \\
    /* NumPy's: NaN from either side, and b when they are equal (max(0.0, -0.0) is -0.0) */ \\
    static inline T nbg_max##S(T a, T b) { return (a > b || a != a) ? a : b; }            \\
    static inline T nbg_min##S(T a, T b) { return (a < b || a != a) ? a : b; }            \\
    static inline T nbg_abs##S(T x) { return fabs##F(x); }                                \\
    static inline T nbg_sgn##S(T x)  /* NumPy: sign(-0.0) is 0.0, sign(nan) is nan */      \\
    { return x > 0 ? (T)1 : (x < 0 ? (T)-1 : (x == 0 ? (T)0 : x)); }                      \\
    static inline T nbg_sigmoid##S(T x) { return (T)1 / ((T)1 + exp##F(-x)); }            \\
    static inline T nbg_softplus##S(T x)  /* log(1 + e^x) = max(x,0) + log1p(e^-|x|) */  \\
    { return (x > 0 ? x : (T)0) + log1p##F(exp##F(-fabs##F(x))); }                         \\
    static inline T nbg_clip##S(T x, T lo, T hi) { return nbg_min##S(nbg_max##S(x, lo), hi); } \\
    static inline T nbg_mod##S(T a, T b)  /* npy_divmod: the sign follows b */            \\
    { if (b == 0) return fmod##F(a, b);                                                    \\
      T m = fmod##F(a, b);                                                                 \\
      if (m) { if ((b < 0) != (m < 0)) m += b; } else m = copysign##F((T)0, b);            \\
      return m; }                                                                          \\
    static inline T nbg_floordiv##S(T a, T b)                                              \\
    { if (b == 0) return a / b;                                                            \\
      T m = fmod##F(a, b), d = (a - m) / b;                                                \\
      if (m && ((b < 0) != (m < 0))) d -= (T)1;                                            \\
      if (!d) return copysign##F((T)0, a / b);                                             \\
      T f = floor##F(d);                                                                   \\
      return (d - f > (T)0.5) ? f + (T)1 : f; }
    NBG_FLOAT_HELPERS(double, _d, )
    NBG_FLOAT_HELPERS(float, _f, f)
    /* SciPy's gammaln(-inf) is -inf (C's lgamma: +inf); gammaln computes in double */
    static inline double nbg_lgamma(double x) { return x == -INFINITY ? x : lgamma(x); }
    static inline int64_t nbg_max_l(int64_t a, int64_t b) { return a >= b ? a : b; }
    static inline int64_t nbg_min_l(int64_t a, int64_t b) { return a <= b ? a : b; }
    static inline int64_t nbg_abs_l(int64_t x) { return x < 0 ? -x : x; }
    static inline int64_t nbg_sgn_l(int64_t x) { return (x > 0) - (x < 0); }
    static inline int64_t nbg_clip_l(int64_t x, int64_t lo, int64_t hi)
    { return nbg_min_l(nbg_max_l(x, lo), hi); }
    /* Python's floor division. NumPy gives 0 for b == 0, and wraps INT64_MIN // -1 to
       INT64_MIN (x86 traps on that division, so -1 never reaches the divide) */
    static inline int64_t nbg_floordiv_l(int64_t a, int64_t b)
    { if (b == 0) return 0; if (b == -1) return (int64_t)(0 - (uint64_t)a);
      int64_t q = a / b;
      return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }
    static inline int64_t nbg_mod_l(int64_t a, int64_t b)
    { if (b == 0 || b == -1) return 0; int64_t m = a % b;
      return (m != 0 && ((m < 0) != (b < 0))) ? m + b : m; }
    static inline double nbg_sigmoid_l(int64_t x) { return nbg_sigmoid_d((double)x); }
    static inline double nbg_softplus_l(int64_t x) { return nbg_softplus_d((double)x); }
    /* uint64: past 2**63 an int64 helper reads it as negative (narrower unsigned types
       promote to int and fit int64) */
    static inline uint64_t nbg_max_u(uint64_t a, uint64_t b) { return a >= b ? a : b; }
    static inline uint64_t nbg_min_u(uint64_t a, uint64_t b) { return a <= b ? a : b; }
    static inline uint64_t nbg_abs_u(uint64_t x) { return x; }
    static inline uint64_t nbg_sgn_u(uint64_t x) { return x > 0; }
    static inline uint64_t nbg_clip_u(uint64_t x, uint64_t lo, uint64_t hi)
    { return nbg_min_u(nbg_max_u(x, lo), hi); }
    static inline uint64_t nbg_floordiv_u(uint64_t a, uint64_t b) { return b ? a / b : 0; }
    static inline uint64_t nbg_mod_u(uint64_t a, uint64_t b) { return b ? a % b : 0; }
    static inline double nbg_sigmoid_u(uint64_t x) { return nbg_sigmoid_d((double)x); }
    static inline double nbg_softplus_u(uint64_t x) { return nbg_softplus_d((double)x); }
    /* NumPy 2 compares int64 with uint64 exactly (C would convert the int64 to uint64, a
       float64 loop rounds past 2**53): a negative int64 is below every uint64, and the
       others compare as uint64. OP is the C comparison operator. */
    #define nbg_cmp_lu(a, OP, b) ((a) < 0 ? (-1 OP 0) : ((uint64_t)(a) OP (b)))
    #define nbg_cmp_ul(a, OP, b) ((b) < 0 ? (0 OP -1) : ((a) OP (uint64_t)(b)))
    """)

# the helpers a row calls by one name for every type: (name, parameters)
DISPATCHED = (("max", "a, b"), ("min", "a, b"), ("abs", "x"), ("sgn", "x"), ("sigmoid", "x"),
              ("softplus", "x"), ("clip", "x, lo, hi"), ("mod", "a, b"), ("floordiv", "a, b"))

# (the backslash ends the Python line: the C text is one line, as it always was)
_GENERIC = textwrap.dedent("""\
    #define NBG_PICK(x, name) _Generic((x), float: name##_f, double: name##_d,                \
        unsigned long: name##_u, unsigned long long: name##_u, default: name##_l)""")

_OVERLOADS = textwrap.dedent("""\
    /* C++ overloads pick a family as the C dialect's type switch does: float, double, uint64,
       else int64 */
    #define NBG_PICK(name, P, ...)                                                            \\
    NBG_D auto name(P(float)) -> decltype(name##_f(__VA_ARGS__))                              \\
    { return name##_f(__VA_ARGS__); }                                                         \\
    NBG_D auto name(P(double)) -> decltype(name##_d(__VA_ARGS__))                             \\
    { return name##_d(__VA_ARGS__); }                                                         \\
    NBG_D auto name(P(unsigned long long)) -> decltype(name##_u(__VA_ARGS__))                 \\
    { return name##_u(__VA_ARGS__); }                                                         \\
    template <class T> NBG_D auto name(P(T)) -> decltype(name##_l(__VA_ARGS__))               \\
    { return name##_l(__VA_ARGS__); }""")

_CUDA_HEAD = textwrap.dedent("""\
    #ifndef INFINITY
    #define INFINITY __int_as_float(0x7f800000)
    #endif
    #ifndef NAN
    #define NAN __int_as_float(0x7fffffff)
    #endif
    #define NBG_D __device__ __forceinline__""")


@dataclass(frozen=True)
class Dialect:
    """How one compiler spells the helpers: the same semantics, other words."""

    inline: str                 # the qualifier of every helper function
    int64: str                  # 64-bit integer types (NVRTC has no <stdint.h>)
    uint64: str
    head: str = ""              # definitions the helpers need first
    overloads: bool = False     # pick a family by C++ overloading, not C11 _Generic macros


C99 = Dialect("static inline", "int64_t", "uint64_t")
CUDA = Dialect("NBG_D", "long long", "unsigned long long", _CUDA_HEAD, overloads=True)
_C_WORDS = re.compile(r"\b(static inline|u?int64_t)\b")


@functools.cache  # constant text: built once, not on every compile
def helpers(dialect: Dialect) -> str:
    """NumPy's semantics for the table rows that are not one C operator, in ``dialect``: a
    family of functions per type (``nbg_max_d``, ``_f``, ``_l`` int64, ``_u`` uint64) and
    the one name a row calls (``nbg_max``), picked by type."""
    words = {"static inline": dialect.inline, "int64_t": dialect.int64,
             "uint64_t": dialect.uint64}
    families = _C_WORDS.sub(lambda m: words[m.group(1)], _FAMILIES)
    if dialect.overloads:
        params = {"x": "NBG_P1", "a, b": "NBG_P2", "x, lo, hi": "NBG_P3"}
        pick = [_OVERLOADS, "#define NBG_P1(T) T x", "#define NBG_P2(T) T a, T b",
                "#define NBG_P3(T) T x, T lo, T hi",
                *(f"NBG_PICK(nbg_{name}, {params[args]}, {args})" for name, args in DISPATCHED)]
    else:
        pick = [_GENERIC, *(f"#define nbg_{name}({args}) NBG_PICK({_sum(args)}, nbg_{name})({args})"
                            for name, args in DISPATCHED)]
    text = families + "\n".join([*pick, "#define nbg_invert(x) (~(x))"]) + "\n"
    return dialect.head + "\n" + text if dialect.head else text


def _sum(args: str) -> str:
    """The expression whose type picks the family: ``(a) + (b)`` (C's usual conversions)."""
    names = args.split(", ")
    return names[0] if len(names) == 1 else " + ".join(f"({n})" for n in names)


RUNTIME = textwrap.dedent("""\
    #define NBG_MAXDIM 32
    /* Threads wake only for loops of at least this much work (elements times the kernel's
       cost per element, a transcendental call counting 8): below it, waking a sleeping
       thread costs more than it saves, and far more on a busy machine. */
    #define NBG_PAR_WORK (1 << 22)
    typedef void (*nbg_range_fn)(int64_t lo, int64_t hi, char **p);
    static int nbg_threads = 1;
    void nbg_set_threads(int n) { nbg_threads = n > 0 ? n : 1; }

    /* Split [0, n) over the threads in 64-element-aligned chunks, or run it on this one. */
    static void nbg_run(nbg_range_fn f, int64_t n, char **p, int64_t cost)
    {
    #ifdef _OPENMP
        if (n * cost >= NBG_PAR_WORK && nbg_threads > 1) {
            #pragma omp parallel num_threads(nbg_threads)
            {
                int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
                int64_t chunk = ((n + nt - 1) / nt + 63) & ~(int64_t)63;
                int64_t lo = t * chunk, hi = lo + chunk < n ? lo + chunk : n;
                if (lo < hi) f(lo, hi, p);
            }
            return;
        }
    #endif
        f(0, n, p);
    }

    /* Rows [0, rows) of a broadcast elementwise kernel, split over the threads likewise. */
    typedef void (*nbg_rows_fn)(int64_t lo, int64_t hi, int64_t cols, char **p);
    static void nbg_run_rows(nbg_rows_fn f, int64_t rows, int64_t cols, char **p, int64_t cost)
    {
    #ifdef _OPENMP
        if (rows > 1 && rows * cols * cost >= NBG_PAR_WORK && nbg_threads > 1) {
            #pragma omp parallel num_threads(nbg_threads)
            {
                int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
                int64_t chunk = (rows + nt - 1) / nt;
                int64_t lo = t * chunk, hi = lo + chunk < rows ? lo + chunk : rows;
                if (lo < hi) f(lo, hi, cols, p);
            }
            return;
        }
    #endif
        f(0, rows, cols, p);
    }

    /* Reductions: tasks [0, n) (outputs, or blocks of an output row), split over the threads
       when the whole reduction is at least NBG_PAR_WORK. */
    #define NBG_RBLOCK 256
    typedef void (*nbg_task_fn)(int nk, int nr, const int64_t *shape, char **p,
                                const int64_t *st, int64_t lo, int64_t hi);
    static void nbg_run_tasks(nbg_task_fn f, int64_t n, int64_t work, int nk, int nr,
                              const int64_t *shape, char **p, const int64_t *st)
    {
    #ifdef _OPENMP
        if (n > 1 && work >= NBG_PAR_WORK && nbg_threads > 1) {
            #pragma omp parallel num_threads(nbg_threads)
            {
                int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
                int64_t chunk = (n + nt - 1) / nt;
                int64_t lo = t * chunk, hi = lo + chunk < n ? lo + chunk : n;
                if (lo < hi) f(nk, nr, shape, p, st, lo, hi);
            }
            return;
        }
    #endif
        f(nk, nr, shape, p, st, 0, n);
    }

    /* b[k] = p[k] moved to the flat index ``flat`` over dimensions [d0, d1) */
    static inline void nbg_seek(int nops, int nd, int d0, int d1, const int64_t *shape,
                                const int64_t *st, int64_t flat, char **p, char **b)
    {
        for (int k = 0; k < nops; k++) b[k] = p[k];
        for (int d = d1 - 1; d >= d0; d--) {
            int64_t i = flat % shape[d];
            flat /= shape[d];
            for (int k = 0; k < nops; k++) b[k] += i * st[k * nd + d];
        }
    }
    """)
