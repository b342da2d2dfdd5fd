"""Public tensor math (``T.exp``, ``T.sum``, ...): thin functions over the derived ops.

Every elementwise function here is one row of ``ops.scalar.SCALAR_OPS`` (its docstring too);
reductions are ``CAReduce`` of an associative row. Nothing in this module computes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, upcast
from ..core.variable import as_tensor_variable, constant
from .elemwise import CAReduce, Elemwise, keep_reduced_dims, normalize_axis
from .linalg import dot  # re-exported: T.dot is math as in Theano
from .scalar import SCALAR_BY_NAME, SCALAR_OPS, cast_spec
from .shape import shape_i
from .special import digamma, polygamma, psi, tri_gamma
from .subtensor import nonzero  # re-exported, as Theano's tensor.basic did

# the tensor functions of the table rows (one binding each below), then everything else
__all__ = [spec.name for spec in SCALAR_OPS] + [
    "psi", "digamma", "polygamma", "tri_gamma", "round", "iround", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "where", "tensor_copy", "fill", "cast", "sum",
    "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "max_and_argmax", "all",
    "any", "zeros_like", "ones_like", "elemwise", "true_divide", "divide", "floor_div",
    "power", "abs", "dot", "nonzero", "sign", "square", "reciprocal", "exp_", "logaddexp",
    "real_div", "largest", "smallest", "ptp", "isclose", "allclose",
]


@functools.cache
def elemwise(name: str) -> Elemwise:
    """The Elemwise op of a scalar-table row, shared so that equal graphs use equal ops."""
    return Elemwise(SCALAR_BY_NAME[name])


def _row(name: str) -> Callable[..., Any]:
    """The tensor function of table row ``name``; its docstring is the row's ``doc``."""
    def apply(*inputs: Any) -> Any:
        return elemwise(name)(*inputs)

    apply.__name__ = apply.__qualname__ = name
    apply.__doc__ = SCALAR_BY_NAME[name].doc
    return apply


# one binding per row (static names, for readers, IDEs and mypy; the docs come from the table)
add = _row("add")
sub = _row("sub")
mul = _row("mul")
true_div = _row("true_div")
int_div = _row("int_div")
mod = _row("mod")
pow = _row("pow")
neg = _row("neg")
abs_ = _row("abs_")
sgn = _row("sgn")
inv = _row("inv")
sqr = _row("sqr")
sqrt = _row("sqrt")
exp = _row("exp")
exp2 = _row("exp2")
expm1 = _row("expm1")
log = _row("log")
log2 = _row("log2")
log10 = _row("log10")
log1p = _row("log1p")
sin = _row("sin")
cos = _row("cos")
tan = _row("tan")
tanh = _row("tanh")
sinh = _row("sinh")
cosh = _row("cosh")
arcsin = _row("arcsin")
arccos = _row("arccos")
arctan = _row("arctan")
arctan2 = _row("arctan2")
arcsinh = _row("arcsinh")
arccosh = _row("arccosh")
arctanh = _row("arctanh")
erf = _row("erf")
erfc = _row("erfc")
gamma = _row("gamma")
gammaln = _row("gammaln")
sigmoid = _row("sigmoid")
softplus = _row("softplus")
floor = _row("floor")
ceil = _row("ceil")
trunc = _row("trunc")
round_half_to_even = _row("round_half_to_even")
round_half_away_from_zero = _row("round_half_away_from_zero")
maximum = _row("maximum")
minimum = _row("minimum")
clip = _row("clip")
eq = _row("eq")
neq = _row("neq")
lt = _row("lt")
gt = _row("gt")
le = _row("le")
ge = _row("ge")
and_ = _row("and_")
or_ = _row("or_")
xor = _row("xor")
invert = _row("invert")
isnan = _row("isnan")
isinf = _row("isinf")
switch = _row("switch")
identity = _row("identity")
second = _row("second")

# NumPy and Theano aliases
true_divide = divide = real_div = true_div
floor_div = int_div
power = pow
abs = abs_  # noqa: A001  (Theano exposes T.abs_; NumPy users reach for abs)
sign = sgn
square = sqr
reciprocal = inv
exp_ = exp
bitwise_and, bitwise_or, bitwise_xor, bitwise_not = and_, or_, xor, invert
tensor_copy = identity


def where(cond: Any, a: Any = None, b: Any = None) -> Any:
    """``where(cond, a, b)`` is ``switch``; ``where(cond)`` alone is ``nonzero``."""
    if a is None and b is None:
        return nonzero(cond)
    return switch(cond, a, b)


def fill(model: Any, value: Any) -> Any:
    """``value`` broadcast to the shape of ``model`` (Theano's ``fill``)."""
    return second(model, value)


def round(a: Any, mode: str | None = None) -> Any:
    """Round with Theano's default ``mode='half_away_from_zero'`` (or ``'half_to_even'``)."""
    if mode in (None, "half_away_from_zero"):
        return round_half_away_from_zero(a)
    if mode == "half_to_even":
        return round_half_to_even(a)
    raise ValueError(f"round: unknown mode {mode!r}")


def iround(a: Any, mode: str | None = None) -> Any:
    """Round, then cast to int64."""
    return cast(round(a, mode), "int64")


def logaddexp(a: Any, b: Any) -> Any:
    """``log(exp(a) + exp(b))`` without overflow."""
    m = maximum(a, b)
    return m + log1p(exp(-abs_(a - b)))


def cast(x: Any, dtype: str) -> Any:
    """``x`` converted to ``dtype`` (``'floatX'`` means ``config.floatX``)."""
    x = as_tensor_variable(x)
    dtype = TensorType(dtype, shape=()).dtype
    if x.dtype == dtype:
        return x
    return Elemwise(cast_spec(dtype))(x)


def zeros_like(x: Any, dtype: str | None = None) -> Any:
    x = as_tensor_variable(x)
    return second(x, constant(0, dtype=dtype or x.dtype))


def ones_like(x: Any, dtype: str | None = None) -> Any:
    x = as_tensor_variable(x)
    return second(x, constant(1, dtype=dtype or x.dtype))


# -- reductions -----------------------------------------------------------------------------
def _keep(out: Any, axes: tuple[int, ...], ndim: int) -> Any:
    return keep_reduced_dims(out, axes, ndim)


def _reduce(name: str, x: Any, axis: Any, keepdims: bool, dtype: str | None = None) -> Any:
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, name)
    op = CAReduce(SCALAR_BY_NAME[name], None if axis is None else axes, dtype)
    out = op(x)
    return _keep(out, axes, x.ndim) if keepdims else out


def _acc_dtype(dtype: str) -> str:
    """Sums and products of small ints accumulate in 64 bits, as NumPy's do."""
    kind = np.dtype(dtype).kind
    if kind == "b" or (kind == "i" and np.dtype(dtype).itemsize < 8):
        return "int64"
    if kind == "u" and np.dtype(dtype).itemsize < 8:
        return "uint64"
    return dtype


def sum(x: Any, axis: Any = None, dtype: str | None = None, keepdims: bool = False,
        acc_dtype: str | None = None) -> Any:
    """Sum over ``axis`` (all axes by default)."""
    x = as_tensor_variable(x)
    return _reduce("add", x, axis, keepdims, dtype or acc_dtype or _acc_dtype(x.dtype))


def prod(x: Any, axis: Any = None, dtype: str | None = None, keepdims: bool = False,
         acc_dtype: str | None = None, no_zeros_in_input: bool = False) -> Any:
    """Product over ``axis`` (``no_zeros_in_input`` is Theano's gradient hint; the gradient
    here is exact with or without zeros)."""
    x = as_tensor_variable(x)
    return _reduce("mul", x, axis, keepdims, dtype or acc_dtype or _acc_dtype(x.dtype))


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum over ``axis``."""
    return _reduce("maximum", x, axis, keepdims)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum over ``axis``."""
    return _reduce("minimum", x, axis, keepdims)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """True where every element along ``axis`` is nonzero."""
    x = as_tensor_variable(x)
    return _reduce("and_", x if x.dtype == "bool" else neq(x, 0), axis, keepdims)


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """True where some element along ``axis`` is nonzero."""
    x = as_tensor_variable(x)
    return _reduce("or_", x if x.dtype == "bool" else neq(x, 0), axis, keepdims)


def _count(x: Any, axes: tuple[int, ...], dtype: str) -> Any:
    if not axes:
        return constant(1, dtype=dtype)
    sizes = [x.type.shape[a] for a in axes]
    if None not in sizes:
        return constant(int(np.prod(sizes)), dtype=dtype)
    return cast(mul(*[shape_i(x, a) for a in axes]) if len(axes) > 1 else shape_i(x, axes[0]),
                dtype)


def mean(x: Any, axis: Any = None, dtype: str | None = None, keepdims: bool = False,
         acc_dtype: str | None = None) -> Any:
    """Arithmetic mean over ``axis``."""
    x = as_tensor_variable(x)
    out_dtype = dtype or upcast(x.dtype, "float64" if x.dtype.startswith(("int", "uint", "b"))
                                else x.dtype)
    axes = normalize_axis(axis, x.ndim, "mean")
    total = sum(x, axis=axis, dtype=acc_dtype or (out_dtype if x.dtype != out_dtype else None),
                keepdims=keepdims)
    return cast(true_div(total, _count(x, axes, out_dtype)), out_dtype)


def var(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False,
        corrected: bool = False) -> Any:
    """Variance over ``axis`` with divisor ``n - ddof`` (``ddof=1``: the unbiased estimate).

    ``corrected=True`` selects Theano's corrected two-pass algorithm (Chan, Golub & LeVeque):
    the same value, with the rounding error of the mean subtracted, ``(sum(c**2) -
    sum(c)**2 / n)`` for ``c = x - mean(x)``; it does not change the divisor.
    """
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "var")
    centered = x - mean(x, axis=axis, keepdims=True)
    total = sum(sqr(centered), axis=axis, keepdims=keepdims)
    count = _count(x, axes, total.dtype if total.dtype.startswith("float") else "float64")
    if corrected:
        total = total - true_div(sqr(sum(centered, axis=axis, keepdims=keepdims)), count)
    return true_div(total, count - ddof if ddof else count)


def std(x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False,
        corrected: bool = False) -> Any:
    """Standard deviation over ``axis``."""
    return sqrt(var(x, axis=axis, ddof=ddof, keepdims=keepdims, corrected=corrected))


class Argmax(Op):
    """Index of the maximum (``Argmax``) or minimum (``Argmin``) over the given axes."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: tuple[int, ...] | None, kind: str = "max"):
        self.axis = axis
        self.kind = kind

    def __str__(self) -> str:
        return f"Arg{self.kind}" + ("" if self.axis is None else f"{{axis={list(self.axis)}}}")

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axes = normalize_axis(self.axis, x.ndim, str(self))
        shape = [s for i, s in enumerate(x.type.shape) if i not in axes]
        return Apply(self, [x], [TensorType("int64", shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x = inputs[0]
        axes = tuple(range(x.ndim)) if self.axis is None else self.axis
        keep = [i for i in range(x.ndim) if i not in axes]
        # move reduced axes last and flatten them, so one argmax covers several axes
        moved = np.transpose(x, keep + list(axes))
        # (-1 cannot be inferred when a kept axis is empty: argmax(zeros((2, 0)), axis=0))
        reduced = int(np.prod([x.shape[a] for a in axes]))
        flat = moved.reshape(moved.shape[: len(keep)] + (reduced,))
        find = np.argmax if self.kind == "max" else np.argmin
        output_storage[0][0] = np.asarray(find(flat, axis=-1), dtype="int64")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        axes = normalize_axis(self.axis, len(shapes[0]), str(self))
        return [tuple(d for i, d in enumerate(shapes[0]) if i not in axes)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None]  # an index is piecewise constant


def argmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the maximum along ``axis`` (over the flattened axes when several)."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "argmax")
    out = Argmax(None if axis is None else axes, "max")(x)
    return _keep(out, axes, x.ndim) if keepdims else out


def argmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Index of the minimum along ``axis``."""
    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "argmin")
    out = Argmax(None if axis is None else axes, "min")(x)
    return _keep(out, axes, x.ndim) if keepdims else out


def max_and_argmax(x: Any, axis: Any = None, keepdims: bool = False) -> list[Any]:
    """``[max(x, axis), argmax(x, axis)]`` (Theano's ``max_and_argmax``)."""
    return [max(x, axis, keepdims), argmax(x, axis, keepdims)]


def largest(*args: Any) -> Any:
    """Elementwise maximum of all the arguments (Theano's ``largest``).

    >>> largest(x, y, 0.0)   # max(x, y, 0) elementwise
    """
    out = args[0]
    for other in args[1:]:
        out = maximum(out, other)
    return out


def smallest(*args: Any) -> Any:
    """Elementwise minimum of all the arguments (Theano's ``smallest``)."""
    out = args[0]
    for other in args[1:]:
        out = minimum(out, other)
    return out


def ptp(a: Any, axis: Any = None) -> Any:
    """Range (maximum - minimum) along ``axis``, as ``numpy.ptp``."""
    return max(a, axis) - min(a, axis)


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Any:
    """``|a - b| <= atol + rtol * |b|`` elementwise, as ``numpy.isclose`` (infinities equal
    only to themselves; NaNs equal each other when ``equal_nan``).

    >>> isclose(x, x + 1e-12).eval({x: [1.0]})
    array([ True])
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    close = le(abs_(a - b), atol + rtol * abs_(b))
    both_inf = and_(and_(isinf(a), isinf(b)), eq(a, b))
    finite = and_(invert(isinf(a)), invert(isinf(b)))
    out = or_(and_(close, finite), both_inf)
    if equal_nan:
        out = or_(out, and_(isnan(a), isnan(b)))
    return out


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Any:
    """Whether ``isclose`` holds everywhere (a boolean scalar)."""
    return all(isclose(a, b, rtol, atol, equal_nan))
