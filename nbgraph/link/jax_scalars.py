"""The JAX form of every row of the scalar table (ops/scalar.py), by row name.

Imported only by the JAX linker (jax_ops.py), so ``import nbgraph`` never loads JAX. Each
entry takes and returns ``jax.numpy`` arrays with NumPy's semantics for that row.
"""

from __future__ import annotations

import contextvars
import math
from collections.abc import Callable
from functools import reduce
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import checkify
from jax.scipy import special

from ..ops.composite import Composite
from ..ops.scalar import ScalarSpec
from ..ops.scalar_rules import round_half_away
from .jax_libm import ACCURATE


class UntranslatedOpError(NotImplementedError):
    """An op class (or a scalar row of an Elemwise) without a JAX translation."""


class NeedsValueChecks(Exception):  # noqa: N818 (a signal to the linker, not an error)
    """Tracing met a check on run-time values (a negative integer exponent): the linker
    traces the function again under ``checkify``, which can raise on values."""


# whether the function being traced runs under checkify (JaxCall sets it while tracing)
VALUE_CHECKS = contextvars.ContextVar("nbgraph_jax_value_checks", default=False)
NEGATIVE_POWER = "Integers to negative integer powers are not allowed."  # NumPy's words


# the exception each check's message raises (NumPy's kind: ValueError, IndexError)
CHECK_KINDS: dict[str, type[Exception]] = {}


def value_check(ok: Any, message: str, kind: type[Exception] = ValueError) -> None:
    """Raise ``kind(message)`` at run time where ``ok`` is False, as NumPy does."""
    if not VALUE_CHECKS.get():
        raise NeedsValueChecks(message)
    CHECK_KINDS[message] = kind
    checkify.check(ok, message.replace("{", "{{").replace("}", "}}"))  # a format string


def _variadic(binary: Callable) -> Callable:
    # canonicalize flattens add/mul chains into one n-ary node
    return lambda *xs: reduce(binary, xs)


def _numpy_zeros(op: Callable, zero_sign: Callable) -> Callable:
    """``op`` (floor_divide, mod) with NumPy's answers where XLA's differ: 0 for an integer
    zero divisor (XLA gives -1, and floor_divide adjusts it), and a float zero result signed
    as ``zero_sign(x, y)`` says (npy_divmod: a // b as a / b, a % b as b)."""
    def numpy_like(x: Any, y: Any) -> Any:
        out = op(x, y)
        if jnp.issubdtype(out.dtype, jnp.integer):
            return jnp.where(y == 0, jnp.zeros_like(out), out)
        return jnp.where(out == 0, jnp.copysign(jnp.zeros_like(out), zero_sign(x, y)), out)
    return numpy_like


def _exact(compare: Callable) -> Callable:
    """``compare`` as NumPy 2 does it on int64 with uint64: exactly (JAX would promote both
    to float64, which rounds past 2**53). A negative int64 is below every uint64; the
    others compare as uint64."""
    def exact(x: Any, y: Any) -> Any:
        kinds = (x.dtype.kind, y.dtype.kind)
        if kinds == ("i", "u"):
            return jnp.where(x < 0, compare(-1, 0), compare(x.astype(y.dtype), y))
        if kinds == ("u", "i"):
            return jnp.where(y < 0, compare(0, -1), compare(x, y.astype(x.dtype)))
        return compare(x, y)
    return exact


def _power(x: Any, y: Any) -> Any:
    """``x ** y``; integers by square-and-multiply over every bit of ``y``, wrapping as
    NumPy's (jnp.power gives 2 ** 64 == 1 in int16). A negative integer exponent raises
    NumPy's ValueError at run time, through checkify (jnp.power would wrap)."""
    if not (jnp.issubdtype(x.dtype, jnp.integer) and jnp.issubdtype(y.dtype, jnp.integer)):
        return jnp.power(x, y)
    if jnp.issubdtype(y.dtype, jnp.signedinteger):
        value_check(jnp.all(y >= 0), NEGATIVE_POWER)

    def step(_: Any, carry: tuple) -> tuple:
        acc, base, e = carry
        return jnp.where(e & 1, acc * base, acc), base * base, e >> 1

    x, y = jnp.broadcast_arrays(x, y)
    bits = 8 * x.dtype.itemsize
    return jax.lax.fori_loop(0, bits, step, (jnp.ones_like(x), x, y))[0]


def _maximum(x: Any, y: Any) -> Any:
    # NumPy's: NaN from either side, and on ties y (x in float16, NumPy's half loop), so
    # maximum(0.0, -0.0) is -0.0 (jnp.maximum: 0.0)
    pick_x = x >= y if x.dtype == jnp.float16 else x > y
    return jnp.where(pick_x | (x != x), x, y)


def _minimum(x: Any, y: Any) -> Any:
    pick_x = x <= y if x.dtype == jnp.float16 else x < y
    return jnp.where(pick_x | (x != x), x, y)


def _second(x: Any, y: Any) -> Any:
    # fill(x, y): y broadcast to the shape of x
    return jnp.broadcast_to(y, jnp.broadcast_shapes(jnp.shape(x), jnp.shape(y)))


JAX_SCALARS: dict[str, Callable[..., Any]] = {
    "add": _variadic(jnp.add),
    "mul": _variadic(jnp.multiply),
    "sub": jnp.subtract,
    "true_div": jnp.true_divide,
    "int_div": _numpy_zeros(jnp.floor_divide, lambda x, y: x / y),
    "mod": _numpy_zeros(jnp.mod, lambda x, y: y),
    "pow": _power,
    "maximum": _maximum,
    "minimum": _minimum,
    "arctan2": jnp.arctan2,
    "neg": jnp.negative,
    "abs_": jnp.abs,
    "sgn": lambda x: jnp.where(x == 0, jnp.zeros_like(x), jnp.sign(x)),  # NumPy: sign(-0.0) 0.0
    "inv": lambda x: 1.0 / x,
    "sqr": jnp.square,
    "sqrt": jnp.sqrt,
    "exp": jnp.exp,
    "exp2": ACCURATE["exp2"],
    "expm1": jnp.expm1,
    "log": jnp.log,
    "log2": jnp.log2,
    "log10": jnp.log10,
    "log1p": ACCURATE["log1p"],
    "sin": jnp.sin,
    "cos": jnp.cos,
    "tan": jnp.tan,
    "sinh": ACCURATE["sinh"],
    "cosh": ACCURATE["cosh"],
    "tanh": jnp.tanh,
    "arcsin": jnp.arcsin,
    "arccos": jnp.arccos,
    "arctan": jnp.arctan,
    "arcsinh": jnp.arcsinh,
    "arccosh": jnp.arccosh,
    "arctanh": ACCURATE["arctanh"],
    "erf": special.erf,
    "erfc": special.erfc,
    "gamma": special.gamma,
    "gammaln": lambda x: jnp.where(x == -jnp.inf, x, special.gammaln(x)),  # SciPy's -inf
    "sigmoid": jax.nn.sigmoid,
    "softplus": lambda x: jnp.logaddexp(0.0, x),
    "floor": jnp.floor,
    "ceil": jnp.ceil,
    "trunc": jnp.trunc,
    "round_half_to_even": jnp.round,
    "round_half_away_from_zero": lambda x: round_half_away(x, jnp),
    "eq": _exact(jnp.equal),
    "neq": _exact(jnp.not_equal),
    "lt": _exact(jnp.less),
    "gt": _exact(jnp.greater),
    "le": _exact(jnp.less_equal),
    "ge": _exact(jnp.greater_equal),
    "and_": jnp.bitwise_and,
    "or_": jnp.bitwise_or,
    "xor": jnp.bitwise_xor,
    "invert": jnp.invert,
    "isnan": jnp.isnan,
    "isinf": jnp.isinf,
    "switch": jnp.where,
    "clip": lambda x, lo, hi: _minimum(_maximum(x, lo), hi),  # np.clip's order
    "identity": lambda x: x,
    "second": _second,
    # ops/complex_ops.py
    "real": jnp.real,
    "imag": jnp.imag,
    "conj": jnp.conj,
    "angle": jnp.angle,
    "complex": lambda x, y: x + 1j * y,  # the output dtype is cast to the node's
    # ops/scipy_special.py: the rows jax.scipy.special has (JAX 0.10.2)
    "erfinv": special.erfinv,
    # no jax erfcinv: erfcinv(x) = -ndtri(x / 2) / sqrt(2), within 1 ulp of SciPy's in
    # float64 over (0, 2) down to 1e-300 (erfinv(1 - x) would lose small x entirely)
    "erfcinv": lambda x: -special.ndtri(x / 2) / math.sqrt(2),
    "erfcx": special.erfcx,
    "i0": special.i0,
    "i1": special.i1,
    "gammainc": special.gammainc,
    "gammaincc": special.gammaincc,
    "gammau": lambda k, x: special.gammaincc(k, x) * special.gamma(k),
    "gammal": lambda k, x: special.gammainc(k, x) * special.gamma(k),
}

# scalar rows with no JAX form, and why (an Elemwise over one raises UntranslatedOpError)
NOT_TRANSLATED_SCALARS: dict[str, str] = {
    "jv": "jax.scipy.special has no Bessel function of real order (JAX 0.10.2)",
    "iv": "jax.scipy.special has no modified Bessel function of real order (JAX 0.10.2)",
    **{name: "jax.scipy.special.bessel_jn (integer orders by recurrence) gives NaN at x = 0 "
             "(JAX 0.10.2), unlike SciPy's" for name in ("j0", "j1")},
}


def _astype(x: Any, dtype: Any) -> Any:
    """``x.astype(dtype)``; a bool through uint8: XLA rewrites float(b) * y as
    select(b, y, 0), which gives 0 for False * nan (NumPy: nan) and False * -0.0."""
    if x.dtype == jnp.bool_ and np.dtype(dtype) != np.bool_:
        x = x.astype(jnp.uint8)
    return x.astype(dtype)


def _as_operands(spec: Any, xs: tuple, out_dtype: str | None) -> tuple:
    """The operands as the other linkers compute on them: a table row's ``operand_dtypes``
    (JAX would compute sqrt(int32) in float32 and promote int32 * float32 to float32, NumPy
    and the C linker use float64). Other rows: integers feeding a float result become that
    float first, and mixed dtypes meet at NumPy's common dtype."""
    arrays = [jnp.asarray(x) for x in xs]
    if isinstance(spec, ScalarSpec):
        wanted = spec.operand_dtypes(tuple(str(a.dtype) for a in arrays))
        return tuple(_astype(a, w) for a, w in zip(arrays, wanted, strict=True))
    if out_dtype is not None and np.dtype(out_dtype).kind in "fc":
        arrays = [_astype(a, out_dtype) if a.dtype.kind in "biu" else a for a in arrays]
    if len({a.dtype for a in arrays}) > 1:
        common = np.result_type(*[a.dtype for a in arrays])
        arrays = [_astype(a, common) for a in arrays]
    return tuple(arrays)


def scalar_function(spec: Any, out_dtype: str | None = None) -> Callable[..., Any]:
    """The JAX function of a table row (giving ``out_dtype``), a cast, or a fused Composite
    (its steps in order)."""
    if isinstance(spec, Composite):
        return lambda *xs: _composite(spec, xs)
    if spec.name.startswith("Cast{"):
        dtype = spec.name[5:-1]
        return lambda x: _astype(jnp.asarray(x), dtype)
    found = JAX_SCALARS.get(spec.name)
    if found is not None and out_dtype == "float16" and spec.name not in _HALF_TIES:
        return lambda *xs: _in_float32(found, _as_operands(spec, xs, out_dtype))
    if found is not None and spec.name == "add":
        return lambda *xs: _plus_zero(xs, found(*_as_operands(spec, xs, out_dtype)))
    if found is not None:
        return lambda *xs: found(*_as_operands(spec, xs, out_dtype))
    why = NOT_TRANSLATED_SCALARS.get(spec.name, "add it to JAX_SCALARS in "
                                                "nbgraph/link/jax_scalars.py")
    raise UntranslatedOpError(f"JAX linker: no JAX form for the scalar op {spec.name!r} "
                              f"({why}); compile this function with another linker")


def _plus_zero(operands: tuple, out: Any) -> Any:
    """A sum with a constant +0.0 operand is never -0.0 (-0.0 + 0.0 is +0.0, and 1 / it is
    +inf); XLA folds x + 0.0 to x, so the zero's sign is set here."""
    if not jnp.issubdtype(out.dtype, jnp.floating):
        return out
    for x in operands:
        if not isinstance(x, jax.Array) and np.all(np.asarray(x) == 0) \
                and not np.any(np.signbit(np.asarray(x))):
            return jnp.where(out == 0, jnp.zeros_like(out), out)
    return out


# exact in float16, and NumPy's half loop breaks their ties its own way (see _maximum)
_HALF_TIES = ("maximum", "minimum", "clip")


def _in_float32(fn: Callable, operands: tuple) -> Any:
    """``fn`` on float16 operands as NumPy's half loops compute it: in float32, rounded to
    float16 once per op. Under jit XLA keeps float16 chains in float32 between ops (no
    rounding in between), and drops converts or reduce_precision on float16 values; rounding
    a float32 value with reduce_precision stays."""
    out = fn(*[a.astype(jnp.float32) if a.dtype == jnp.float16 else a for a in operands])
    return round_to_half(out) if out.dtype == jnp.float32 else out


def round_to_half(v: Any) -> Any:
    """float32 ``v`` rounded to float16 (ties to even; past 65504 inf). reduce_precision
    flushes float16's subnormals to 0: those are multiples of 2**-24, rounded exactly here."""
    normal = jax.lax.reduce_precision(v, exponent_bits=5, mantissa_bits=10)
    subnormal = jnp.round(v * 2.0**24) * 2.0**-24   # both products exact in float32
    return jnp.where(jnp.abs(v) < 2.0**-14, subnormal, normal).astype(jnp.float16)


def _composite(spec: Composite, inputs: tuple) -> Any:
    values: list[Any] = list(inputs)
    for step in spec.steps:
        if step.spec is None:
            values.append(np.asarray(step.value, dtype=step.dtype))  # known while tracing
            continue
        result = scalar_function(step.spec, step.dtype)(*[values[a] for a in step.args])
        values.append(_astype(jnp.asarray(result), step.dtype))
    outs = tuple(values[o] for o in spec.outputs)
    return outs if len(outs) > 1 else outs[0]
