"""Every elementwise op, its fusion and its kernels are derived from SCALAR_OPS (DESIGN §3).

A row names a scalar op (Theano's name: it shows in ``Elemwise{name,no_inplace}``), its arity,
its NumPy reference, a C99 expression over ``{0}, {1}, ...`` (double-precision names; the
``libm`` column gives float32 rows the float forms, the renderers' prelude gives CUDA the same
helpers), its gradient rule and its output dtype rule, the inputs its tests draw (``domain``)
and the docstring of its tensor function in ``ops/math.py``. A new elementwise op is one row.

Gradient rules receive tensor Variables ``(x.., z, g)`` (inputs, output, upstream gradient) and
build graph with the public operators. They ignore broadcasting: ``Elemwise.grad`` sums each
gradient back to its input's shape in one place. ``grad=None`` says the op has no gradient
(boolean outputs); ``ZERO`` says it is piecewise constant (the gradient is connected zeros, as
Theano's: 0 almost everywhere).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..core.tensor_math import MATH
from ..core.types import is_float, is_int, upcast, upgrade_to_float
from . import scalar_rules as R
from .scalar_grads import sigmoid_grad

# ``T.cos(x)`` in gradient rules: the tensor functions of ops/math.py, which is built from
# this table (so cannot be imported here); rules run only when a gradient is taken
T = MATH

GradRule = Callable[..., tuple]
DtypeRule = Callable[[tuple[str, ...]], str]


# -- output dtype rules ------------------------------------------------------------------
def same_as_input(dtypes: tuple[str, ...]) -> str:
    return upcast(*dtypes)


def float_out(dtypes: tuple[str, ...]) -> str:
    return upgrade_to_float(upcast(*dtypes))


def bool_out(dtypes: tuple[str, ...]) -> str:
    return "bool"


def int_only(dtypes: tuple[str, ...]) -> str:
    out = upcast(*dtypes)
    if not is_int(out):
        raise TypeError(f"bitwise/logical op needs integer or bool inputs, got {dtypes}")
    return out


def after_condition(dtypes: tuple[str, ...]) -> str:  # switch(cond, a, b)
    return upcast(*dtypes[1:])


def numeric(dtypes: tuple[str, ...]) -> str:
    """``a - b`` and ``-a``: NumPy has no boolean minus (``^`` and ``~`` are xor and not)."""
    if all(d == "bool" for d in dtypes):
        raise TypeError(f"no boolean minus for {' and '.join(dtypes)} (NumPy refuses it too); "
                        "use xor (^) or invert (~), or cast to an integer dtype first")
    return upcast(*dtypes)


def no_bool_sign(dtypes: tuple[str, ...]) -> str:
    """``sgn``: NumPy has no boolean sign (the C kernel gave bool(x), the others raised late)."""
    if dtypes == ("bool",):
        raise TypeError("no sign of a bool (NumPy refuses it too); cast to an integer dtype "
                        "first")
    return upcast(*dtypes)


def zero_grad_rule(*args: Any) -> tuple:
    """Piecewise-constant ops: connected zeros for every input, as Theano's IntDiv, Floor,
    Sgn... (``grad(T.sum(W ** 2) // 4, W)`` is zeros, not DisconnectedInputError; integer
    inputs stay disconnected in Elemwise.L_op, and ``grad`` gives them floatX zeros)."""
    return tuple(T.zeros_like(x) for x in args[:-2])


ZERO = zero_grad_rule


@dataclass(frozen=True, slots=True)
class Domain:
    """Where a row's tests draw one argument: inside its NumPy reference's domain and away from
    its kinks (the gradient test takes finite differences there).

    ``kind``: "real" (uniform in [lo, hi)), "either_sign" (that or its negative), "int"
    (int64 in [lo, hi)), "bool", "off_ties" (integers in [lo, hi) plus a fraction of 0.1 to
    0.4 either way: no rounding ties), "special" (0, -0, +-inf, nan and ordinary values).
    """

    lo: float = -3.0
    hi: float = 3.0
    kind: str = "real"

    def sample(self, rng: np.random.Generator, shape: int | tuple[int, ...]) -> np.ndarray:
        """Values for one argument, float64 unless the kind is "int" or "bool"."""
        if self.kind == "int":
            return rng.integers(int(self.lo), int(self.hi), shape).astype("int64")
        if self.kind == "bool":
            return rng.random(shape) > 0.5
        if self.kind == "special":
            return np.resize(np.array([0.0, np.nan, np.inf, -np.inf, -1.0, 2.5, -0.0]), shape)
        if self.kind == "off_ties":
            whole = rng.integers(int(self.lo), int(self.hi), shape)
            return whole + rng.uniform(0.1, 0.4, shape) * rng.choice([-1.0, 1.0], shape)
        values = rng.uniform(self.lo, self.hi, shape)
        if self.kind == "either_sign":
            values *= rng.choice([-1.0, 1.0], shape)
        return values


BOOLS, OFF_TIES, SPECIALS = Domain(kind="bool"), Domain(-5, 5, "off_ties"), Domain(kind="special")


@dataclass(frozen=True, slots=True)
class ScalarSpec:
    name: str                       # Theano scalar name; appears in Elemwise{name,...}
    nin: int
    numpy: Callable[..., Any]       # reference semantics; every backend is tested against it
    c: str                          # C99 over {0}, {1}, ...; {type}: the output type
    grad: GradRule | None           # (x.., z, g) -> input grads; None: no gradient
    out: DtypeRule = same_as_input
    commutative: bool = False
    associative: bool = False
    identity: float | None = None   # for reductions built on this op
    symbol: str | None = None       # infix symbol for pp / Composite printing
    c_int: bool = True              # False: `c` is wrong on integers (NumPy raises); run NumPy
    libm: str | None = None         # the math function `c` calls: float32 rows call its float
    #                                 form (expf), and libmvec's vector form where `simd`
    simd: bool = False              # `#pragma omp simd` loops call the vector form (libmvec)
    work: int = 0                   # extra cost per element for the threading threshold (8: a
    #                                 transcendental call; the arc* rows are not counted yet)
    domain: tuple[Domain, ...] = ()  # test inputs per argument; () is Domain() for each
    doc: str = ""                   # the docstring of its tensor function (ops/math.py)

    def __str__(self) -> str:
        return self.name

    @property
    def domains(self) -> tuple[Domain, ...]:
        """The test domain of each argument."""
        return self.domain or (Domain(),) * self.nin

    def __reduce__(self) -> tuple:  # rows hold lambdas: pickle by name
        return (spec_by_name, (self.name,))

    # -- the ScalarOp protocol (what Elemwise asks of its scalar op) -------------------------
    def out_dtypes(self, dtypes: tuple[str, ...]) -> tuple[str, ...]:
        return (self.out(dtypes),)

    def operand_dtypes(self, dtypes: tuple[str, ...]) -> tuple[str, ...]:
        """The dtype each operand is converted to before the row computes: NumPy casts every
        operand to one loop type, the kernels must too (in C, ``int64 ? : uint64`` is uint64
        and ``int32(-1) < uint32(3)`` is false). Arithmetic rows compute in their output
        dtype; comparisons in the operands' common dtype; ``switch`` casts its branches, not
        its condition; the others (casts, isnan, second) take their operands as they come."""
        if self.out in (same_as_input, float_out, int_only, numeric, no_bool_sign):
            return (self.out(dtypes),) * len(dtypes)
        if self.name in COMPARISONS:
            return _comparison_dtypes(dtypes)
        if self.out is after_condition:
            return (dtypes[0],) + (self.out(dtypes),) * (len(dtypes) - 1)
        return dtypes

    def c_template(self, operands: tuple[str, ...]) -> str:
        """``c`` for operands already converted to ``operands`` (``operand_dtypes``): a
        comparison of int64 with uint64 goes through the prelude's exact sign-mix helper."""
        if self.name in COMPARISONS and operands in (("int64", "uint64"), ("uint64", "int64")):
            helper = "nbg_cmp_lu" if operands[0] == "int64" else "nbg_cmp_ul"
            return f"{helper}({{0}}, {self.symbol}, {{1}})"
        return self.c

    def evaluate(self, *args: np.ndarray) -> Any:
        """``numpy`` on operands converted as ``operand_dtypes`` says, where NumPy itself would
        compute in another dtype: it does float math on int8/uint8/bool in float16."""
        wanted = self.operand_dtypes(tuple(str(np.asarray(a).dtype) for a in args))
        return self.numpy(*[_as_float(a, d) for a, d in zip(args, wanted, strict=True)])

    def input_grads(self, inputs: list[Any], outputs: list[Any],
                    output_grads: list[Any]) -> tuple:
        """The row's gradient rule; Elemwise then undoes broadcasting (``sum_to``)."""
        if self.grad is None:
            return (None,) * len(inputs)
        g = output_grads[0]
        if self.name in HOLOMORPHIC and any(_is_complex(v) for v in (*inputs, outputs[0])):
            # a complex gradient is dC/dRe + i dC/dIm (Theano's convention): for an analytic
            # f that is g * conj(f'), and the rules, linear in g, give g * f'
            return tuple(None if d is None else T.conj(d)
                         for d in self.grad(*inputs, outputs[0], T.conj(g)))
        return self.grad(*inputs, outputs[0], g)


class ScalarOp(Protocol):
    """What ``Elemwise`` asks of its scalar op: a ``ScalarSpec`` row or a fused ``Composite``.

    ``input_grads`` returns one gradient (or None) per input; ``Elemwise`` then sums each
    back to its input's broadcastable pattern (a no-op where it already matches).
    """

    @property
    def name(self) -> str: ...

    @property
    def nin(self) -> int: ...

    @property
    def associative(self) -> bool: ...

    def numpy(self, *inputs: Any) -> Any: ...

    def out_dtypes(self, dtypes: tuple[str, ...]) -> tuple[str, ...]: ...

    def input_grads(self, inputs: list[Any], outputs: list[Any],
                    output_grads: list[Any]) -> Sequence[Any]: ...


# rows whose gradient rule is f' of an analytic function: complex gradients conjugate it
HOLOMORPHIC = frozenset((
    "add", "mul", "sub", "true_div", "pow", "neg", "inv", "sqr", "sqrt", "exp", "exp2",
    "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "sinh", "cosh", "tanh",
    "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "sigmoid", "identity"))


def _is_complex(var: Any) -> bool:
    return str(getattr(var, "dtype", "")).startswith("complex")
COMPARISONS = frozenset({"eq", "neq", "lt", "gt", "le", "ge"})


def _comparison_dtypes(dtypes: tuple[str, ...]) -> tuple[str, ...]:
    """The loop dtypes of a comparison: the operands' common dtype, except that NumPy 2
    compares a signed integer with a uint64 exactly, as int64 with uint64 (their common
    dtype, float64, rounds past 2**53)."""
    common = upcast(*dtypes)
    if np.dtype(common).kind == "f" and all(np.dtype(d).kind in "iub" for d in dtypes):
        return tuple("uint64" if d == "uint64" else "int64" for d in dtypes)
    return (common,) * len(dtypes)


def _as_float(value: np.ndarray, dtype: str) -> np.ndarray:
    """An integer or bool operand as the float ``dtype`` its row computes in (else as is)."""
    value = np.asarray(value)
    if value.dtype.kind in "iub" and np.dtype(dtype).kind == "f":
        return value.astype(dtype)
    return value


S = ScalarSpec
LN2, LN10, TWO_OVER_SQRT_PI = math.log(2.0), math.log(10.0), 2.0 / math.sqrt(math.pi)
DIVISOR, POSITIVE, UNIT = Domain(0.5, 3, "either_sign"), Domain(0.1, 4), Domain(-0.9, 0.9)
SMALL_INTS, BITS = Domain(0, 3, "int"), Domain(0, 16, "int")

SCALAR_OPS: tuple[ScalarSpec, ...] = (
    # name        nin numpy                C                            gradient (x.., z, g)
    S("add",        2, R.variadic(np.add), "({0} + {1})",              R.add_grad,
      commutative=True, associative=True, identity=0, symbol="+",
      doc="Elementwise sum of two or more tensors (``a + b``)."),
    S("mul",        2, R.variadic(np.multiply), "({0} * {1})",          R.mul_grad,
      commutative=True, associative=True, identity=1, symbol="*",
      doc="Elementwise product of two or more tensors (``a * b``)."),
    S("sub",        2, np.subtract,        "({0} - {1})",              lambda x, y, z, g: (g, -g),
      out=numeric, symbol="-", doc="``a - b``."),
    S("true_div",   2, np.true_divide,     "({0} / {1})",
      lambda x, y, z, g: (g / y, -g * z / y), out=float_out, symbol="/",
      domain=(Domain(), DIVISOR), doc="``a / b`` (integers give floats)."),
    S("int_div",    2, np.floor_divide,    "nbg_floordiv({0}, {1})",   ZERO, symbol="//",
      domain=(Domain(-9, 9), DIVISOR), doc="``a // b`` (floor division)."),
    S("mod",        2, np.mod,             "nbg_mod({0}, {1})",
      lambda x, y, z, g: (g, -g * T.int_div(x, y)), symbol="%",
      domain=(Domain(0.1, 9), Domain(1.1, 3, "either_sign")),
      doc="``a % b`` with the sign of ``b``, as NumPy."),
    S("pow",        2, np.power,           "pow({0}, {1})",            R.pow_grad, symbol="**",
      c_int=False,  # NumPy refuses negative integer powers; C's pow would truncate
      libm="pow", simd=True, work=8, domain=(Domain(0.5, 2), Domain(-2, 2)),
      doc="``a ** b``."),
    S("maximum",    2, np.maximum,         "nbg_max({0}, {1})",
      lambda x, y, z, g: (g * T.ge(x, y), g * T.lt(x, y)), commutative=True,
      associative=True, identity=-np.inf, doc="Elementwise maximum."),
    S("minimum",    2, np.minimum,         "nbg_min({0}, {1})",
      lambda x, y, z, g: (g * T.le(x, y), g * T.gt(x, y)), commutative=True,
      associative=True, identity=np.inf, doc="Elementwise minimum."),
    S("arctan2",    2, np.arctan2,         "atan2({0}, {1})",          R.arctan2_grad,
      out=float_out, libm="atan2", simd=True, work=8, domain=(Domain(), Domain(0.5, 3)),
      doc="``arctan(a / b)`` in the right quadrant."),
    S("neg",        1, np.negative,        "(-{0})",                   lambda x, z, g: (-g,),
      out=numeric, symbol="-", doc="``-a``."),
    S("abs_",       1, np.abs,             "nbg_abs({0})",
      lambda x, z, g: (g * T.sgn(x),), domain=(Domain(0.2, 3),), doc="``|a|``."),
    S("sgn",        1, np.sign,            "nbg_sgn({0})",             ZERO, out=no_bool_sign,
      doc="The sign of ``a``: -1, 0 or 1."),
    S("inv",        1, R.inv,              "(1.0 / {0})",
      lambda x, z, g: (-g * z * z,), out=float_out, domain=(Domain(0.5, 3),),
      doc="``1 / a``."),
    S("sqr",        1, np.square,          "({0} * {0})",
      lambda x, z, g: (g * 2 * x,), doc="``a * a``."),
    S("sqrt",       1, np.sqrt,            "sqrt({0})",
      lambda x, z, g: (g * 0.5 / z,), out=float_out, libm="sqrt", domain=(POSITIVE,),
      doc="Square root."),
    S("exp",        1, np.exp,             "exp({0})",                 lambda x, z, g: (g * z,),
      out=float_out, libm="exp", simd=True, work=8, doc="``e ** a``."),  # d exp = exp
    S("exp2",       1, np.exp2,            "exp2({0})",
      lambda x, z, g: (g * z * LN2,), out=float_out, libm="exp2", simd=True, work=8,
      doc="``2 ** a``."),
    S("expm1",      1, np.expm1,           "expm1({0})",
      lambda x, z, g: (g * (z + 1),), out=float_out, libm="expm1", simd=True, work=8,
      doc="``exp(a) - 1``, accurate for small ``a``."),
    S("log",        1, np.log,             "log({0})",                 lambda x, z, g: (g / x,),
      out=float_out, libm="log", simd=True, work=8, domain=(POSITIVE,),
      doc="Natural logarithm."),
    S("log2",       1, np.log2,            "log2({0})",
      lambda x, z, g: (g / (x * LN2),), out=float_out, libm="log2", simd=True, work=8,
      domain=(POSITIVE,), doc="Base-2 logarithm."),
    S("log10",      1, np.log10,           "log10({0})",
      lambda x, z, g: (g / (x * LN10),), out=float_out, libm="log10", simd=True, work=8,
      domain=(POSITIVE,), doc="Base-10 logarithm."),
    S("log1p",      1, np.log1p,           "log1p({0})",
      lambda x, z, g: (g / (1 + x),), out=float_out, libm="log1p", simd=True, work=8,
      domain=(Domain(-0.5, 3),), doc="``log(1 + a)``, accurate for small ``a``."),
    S("sin",        1, np.sin,             "sin({0})",
      lambda x, z, g: (g * T.cos(x),), out=float_out, libm="sin", simd=True, work=8,
      doc="Sine."),
    S("cos",        1, np.cos,             "cos({0})",
      lambda x, z, g: (-g * T.sin(x),), out=float_out, libm="cos", simd=True, work=8,
      doc="Cosine."),
    S("tan",        1, np.tan,             "tan({0})",
      lambda x, z, g: (g * (1 + z * z),), out=float_out, libm="tan", simd=True, work=8,
      domain=(Domain(-1.2, 1.2),), doc="Tangent."),  # d tan = 1 + tan²
    S("sinh",       1, np.sinh,            "sinh({0})",
      lambda x, z, g: (g * T.cosh(x),), out=float_out, libm="sinh", simd=True, work=8,
      doc="Hyperbolic sine."),
    S("cosh",       1, np.cosh,            "cosh({0})",
      lambda x, z, g: (g * T.sinh(x),), out=float_out, libm="cosh", simd=True, work=8,
      doc="Hyperbolic cosine."),
    S("tanh",       1, np.tanh,            "tanh({0})",
      lambda x, z, g: (g * (1 - z * z),), out=float_out, libm="tanh", simd=True, work=8,
      doc="Hyperbolic tangent."),  # d tanh = 1 - tanh²
    S("arcsin",     1, np.arcsin,          "asin({0})",
      lambda x, z, g: (g / T.sqrt(1 - x * x),), out=float_out, libm="asin", simd=True,
      work=8, domain=(UNIT,), doc="Inverse sine."),
    S("arccos",     1, np.arccos,          "acos({0})",
      lambda x, z, g: (-g / T.sqrt(1 - x * x),), out=float_out, libm="acos", simd=True,
      work=8, domain=(UNIT,), doc="Inverse cosine."),
    S("arctan",     1, np.arctan,          "atan({0})",
      lambda x, z, g: (g / (1 + x * x),), out=float_out, libm="atan", simd=True,
      work=8, doc="Inverse tangent."),
    S("arcsinh",    1, np.arcsinh,         "asinh({0})",
      lambda x, z, g: (g / T.sqrt(x * x + 1),), out=float_out, libm="asinh", simd=True,
      work=8, doc="Inverse hyperbolic sine."),
    S("arccosh",    1, np.arccosh,         "acosh({0})",
      lambda x, z, g: (g / T.sqrt(x * x - 1),), out=float_out, libm="acosh", simd=True,
      work=8, domain=(Domain(1.1, 4),), doc="Inverse hyperbolic cosine."),
    S("arctanh",    1, np.arctanh,         "atanh({0})",
      lambda x, z, g: (g / (1 - x * x),), out=float_out, libm="atanh", simd=True,
      work=8, domain=(UNIT,), doc="Inverse hyperbolic tangent."),
    S("erf",        1, R.erf,              "erf({0})",
      lambda x, z, g: (g * TWO_OVER_SQRT_PI * T.exp(-x * x),), out=float_out, libm="erf",
      simd=True, work=8, domain=(Domain(-2, 2),), doc="The error function."),
    S("erfc",       1, R.erfc,             "erfc({0})",
      lambda x, z, g: (-g * TWO_OVER_SQRT_PI * T.exp(-x * x),), out=float_out, libm="erfc",
      simd=True, work=8, domain=(Domain(-2, 2),),
      doc="``1 - erf(a)``, accurate for large ``a``."),
    # no libm=: float32 gamma rows compute in double (tgamma), as they always have
    S("gamma",      1, R.gamma,            "tgamma({0})",
      lambda x, z, g: (g * z * T.psi(x),), out=float_out, work=8,  # d Γ = Γ ψ
      domain=(Domain(0.2, 4),), doc="The gamma function (``gamma(n + 1) = n!``)."),
    S("gammaln",    1, R.gammaln,          "nbg_lgamma({0})",
      lambda x, z, g: (g * T.psi(x),), out=float_out, work=8,  # d log|Γ| = ψ
      domain=(Domain(0.2, 6),), doc="``log |gamma(a)|``, without overflow."),
    S("sigmoid",    1, R.sigmoid,          "nbg_sigmoid({0})",
      sigmoid_grad, out=float_out, work=8,  # d σ = σ(1-σ), cancelling a / σ in g
      domain=(Domain(-6, 6),), doc="The logistic function ``1 / (1 + exp(-a))``."),
    S("softplus",   1, lambda x: np.logaddexp(0, x), "nbg_softplus({0})",
      lambda x, z, g: (g * T.sigmoid(x),), out=float_out, work=8,  # d log(1+eˣ) = σ
      domain=(Domain(-6, 6),), doc="``log(1 + exp(a))``, computed stably."),
    S("floor",      1, np.floor,           "floor({0})",               ZERO, out=float_out,
      libm="floor", domain=(OFF_TIES,), doc="Round down."),
    S("ceil",       1, np.ceil,            "ceil({0})",                ZERO, out=float_out,
      libm="ceil", domain=(OFF_TIES,), doc="Round up."),
    S("trunc",      1, np.trunc,           "trunc({0})",               ZERO, out=float_out,
      libm="trunc", domain=(OFF_TIES,), doc="Round toward zero."),
    S("round_half_to_even", 1, np.round,   "nearbyint({0})",           ZERO, out=float_out,
      libm="nearbyint", domain=(OFF_TIES,), doc="Round, ties to even (NumPy's ``round``)."),
    S("round_half_away_from_zero", 1, R.round_half_away, "round({0})",  ZERO, out=float_out,
      libm="round", domain=(OFF_TIES,), doc="Round, ties away from zero."),
    S("eq",         2, np.equal,           "({0} == {1})",             None, out=bool_out,
      commutative=True, symbol="==", domain=(SMALL_INTS,) * 2,
      doc="``a == b`` elementwise (Variables' ``==`` is identity, as in Theano)."),
    S("neq",        2, np.not_equal,       "({0} != {1})",             None, out=bool_out,
      commutative=True, symbol="!=", domain=(SMALL_INTS,) * 2, doc="``a != b`` elementwise."),
    S("lt",         2, np.less,            "({0} < {1})",              None, out=bool_out,
      symbol="<", doc="``a < b``."),
    S("gt",         2, np.greater,         "({0} > {1})",              None, out=bool_out,
      symbol=">", doc="``a > b``."),
    S("le",         2, np.less_equal,      "({0} <= {1})",             None, out=bool_out,
      symbol="<=", domain=(SMALL_INTS,) * 2, doc="``a <= b``."),
    S("ge",         2, np.greater_equal,   "({0} >= {1})",             None, out=bool_out,
      symbol=">=", domain=(SMALL_INTS,) * 2, doc="``a >= b``."),
    S("and_",       2, np.bitwise_and,     "({0} & {1})",              None, out=int_only,
      commutative=True, associative=True, identity=1, symbol="&", domain=(BITS,) * 2,
      doc="Bitwise/logical and (``a & b``)."),
    S("or_",        2, np.bitwise_or,      "({0} | {1})",              None, out=int_only,
      commutative=True, associative=True, identity=0, symbol="|", domain=(BITS,) * 2,
      doc="Bitwise/logical or (``a | b``)."),
    S("xor",        2, np.bitwise_xor,     "({0} ^ {1})",              None, out=int_only,
      commutative=True, associative=True, identity=0, symbol="^", domain=(BITS,) * 2,
      doc="Bitwise/logical xor (``a ^ b``)."),
    S("invert",     1, np.invert,          "nbg_invert({0})",          None, out=int_only,
      symbol="~", domain=(Domain(-8, 8, "int"),), doc="Bitwise/logical not (``~a``)."),
    S("isnan",      1, np.isnan,           "isnan({0})",               None, out=bool_out,
      domain=(SPECIALS,), doc="True where ``a`` is NaN."),
    S("isinf",      1, np.isinf,           "isinf({0})",               None, out=bool_out,
      domain=(SPECIALS,), doc="True where ``a`` is +-inf."),
    S("switch",     3, np.where,           "({0} ? {1} : {2})",        R.switch_grad,
      out=after_condition, domain=(BOOLS, Domain(), Domain()),
      doc="``switch(cond, a, b)``: ``a`` where ``cond`` else ``b``."),
    S("clip",       3, np.clip,            "nbg_clip({0}, {1}, {2})",  R.clip_grad,
      domain=(Domain(), Domain(-1, -1), Domain(1.5, 1.5)),
      doc="``clip(a, lo, hi)``: ``a`` limited to ``[lo, hi]``."),
    S("identity",   1, R.identity,         "{0}",                      lambda x, z, g: (g,),
      doc="A copy of ``a``."),
    S("second",     2, R.second,           "{1}",                      lambda x, y, z, g: (None, g),
      out=lambda dtypes: dtypes[1],  # fill(x, y): y broadcast to x's shape
      doc="``second(a, b)``: ``b`` broadcast to the shape of ``a``."),
)

SCALAR_BY_NAME: dict[str, ScalarSpec] = {spec.name: spec for spec in SCALAR_OPS}


def spec_by_name(name: str) -> ScalarSpec:
    """The table row (or cast) called ``name``."""
    if name.startswith("Cast{"):
        return cast_spec(name[5:-1])
    return SCALAR_BY_NAME[name]


@functools.cache
def cast_spec(dtype: str) -> ScalarSpec:
    """The scalar op converting to ``dtype`` (Theano prints it ``Cast{float32}``)."""
    dtype = str(np.dtype(dtype))

    def grad(x: Any, z: Any, g: Any) -> tuple:
        # a cast between floats passes the gradient through; to or from ints it is 0
        if is_float(x.dtype) and is_float(dtype):
            return (T.cast(g, x.dtype),)
        return (None,)

    # ``{type}``: the output's C type as the renderer spells it (C99 or CUDA)
    return ScalarSpec(f"Cast{{{dtype}}}", 1, lambda x: np.asarray(x).astype(dtype),
                      "(({type}){0})", grad, out=lambda dtypes: dtype)
