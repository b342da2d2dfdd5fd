"""TensorVariable and TensorConstant: graph values with NumPy's operators and methods.

Operators build graph through ``MATH``, the op library's functions (core/tensor_math.py).
``==`` is left as identity, as in Theano: use ``T.eq`` for the elementwise comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard

import numpy as np

from ..config import config
from .graph import Constant, Variable
from .tensor_math import MATH
from .types import TensorType, is_int, upcast_numbers


class TensorVariable(Variable):
    """A symbolic n-d array (the result of an op, or an input made by ``T.matrix()`` etc.),
    with NumPy's operators and methods. Constants and shared variables are TensorVariables."""

    type: TensorType
    # ndarray (+) variable defers to the variable's reflected operator (Theano's value)
    __array_priority__ = 1000
    # Theano's _is_nonzero: a variable is truthy (``if not W:`` on an argument defaulting to
    # None works); only comparison results raise, which stops ``a < b < c``
    _is_nonzero = True

    # -- static information --------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return self.type.broadcastable

    @property
    def shape(self) -> TensorVariable:
        return MATH.shape(self)

    @property
    def size(self) -> TensorVariable:
        return MATH.prod(self.shape)

    @property
    def T(self) -> TensorVariable:
        return self.transpose()

    def __bool__(self) -> bool:
        if self._is_nonzero:
            return True
        raise TypeError(f"{self}: a comparison result has no truth value (chained comparisons "
                        f"such as a < b < c are not symbolic); use T.and_, T.switch, or "
                        f"compare values after evaluating")

    def __len__(self) -> int:
        raise TypeError("len() of a symbolic variable is unknown; use x.shape[0]")

    def __iter__(self):  # noqa: ANN204
        # a vector of statically known length unpacks (``rows, cols = x.shape``), as in Theano
        length = self.type.shape[0] if self.ndim == 1 else None
        if length is None:
            raise TypeError(f"cannot iterate over {describe(self)}: only a vector of known "
                            f"length unpacks; index it or use scan")
        return (self[i] for i in range(length))

    # -- arithmetic -------------------------------------------------------------------------
    def __add__(self, other: Any) -> TensorVariable: return MATH.add(self, other)
    def __radd__(self, other: Any) -> TensorVariable: return MATH.add(other, self)
    def __sub__(self, other: Any) -> TensorVariable: return MATH.sub(self, other)
    def __rsub__(self, other: Any) -> TensorVariable: return MATH.sub(other, self)  # other - self
    def __mul__(self, other: Any) -> TensorVariable: return MATH.mul(self, other)
    def __rmul__(self, other: Any) -> TensorVariable: return MATH.mul(other, self)
    def __truediv__(self, other: Any) -> TensorVariable: return MATH.true_div(self, other)
    def __rtruediv__(self, other: Any) -> TensorVariable: return MATH.true_div(other, self)
    def __floordiv__(self, other: Any) -> TensorVariable: return MATH.int_div(self, other)
    def __rfloordiv__(self, other: Any) -> TensorVariable: return MATH.int_div(other, self)
    def __mod__(self, other: Any) -> TensorVariable: return MATH.mod(self, other)
    def __rmod__(self, other: Any) -> TensorVariable: return MATH.mod(other, self)
    def __pow__(self, other: Any) -> TensorVariable: return MATH.pow(self, other)
    def __rpow__(self, other: Any) -> TensorVariable: return MATH.pow(other, self)
    def __matmul__(self, other: Any) -> TensorVariable: return MATH.dot(self, other)
    def __rmatmul__(self, other: Any) -> TensorVariable: return MATH.dot(other, self)
    def __neg__(self) -> TensorVariable: return MATH.neg(self)
    def __pos__(self) -> TensorVariable: return self
    def __abs__(self) -> TensorVariable: return MATH.abs_(self)
    def __invert__(self) -> TensorVariable: return MATH.invert(self)
    def __and__(self, other: Any) -> TensorVariable: return MATH.and_(self, other)
    def __rand__(self, other: Any) -> TensorVariable: return MATH.and_(other, self)
    def __or__(self, other: Any) -> TensorVariable: return MATH.or_(self, other)
    def __ror__(self, other: Any) -> TensorVariable: return MATH.or_(other, self)
    def __xor__(self, other: Any) -> TensorVariable: return MATH.xor(self, other)
    def __rxor__(self, other: Any) -> TensorVariable: return MATH.xor(other, self)
    def __lt__(self, other: Any) -> TensorVariable:
        return _comparison(MATH.lt(self, other))

    def __le__(self, other: Any) -> TensorVariable:
        return _comparison(MATH.le(self, other))

    def __gt__(self, other: Any) -> TensorVariable:
        return _comparison(MATH.gt(self, other))

    def __ge__(self, other: Any) -> TensorVariable:
        return _comparison(MATH.ge(self, other))

    # -- methods ------------------------------------------------------------------------------
    def sum(self, axis: Any = None, dtype: str | None = None,
            keepdims: bool = False) -> TensorVariable:
        return MATH.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis: Any = None, dtype: str | None = None,
             keepdims: bool = False) -> TensorVariable:
        return MATH.prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis: Any = None, dtype: str | None = None,
             keepdims: bool = False) -> TensorVariable:
        return MATH.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
        return MATH.var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
        return MATH.std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return MATH.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return MATH.min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return MATH.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return MATH.argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return MATH.all(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        return MATH.any(self, axis=axis, keepdims=keepdims)

    def norm(self, L: Any, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """The ``L``-norm along ``axis`` (``L=inf``: the largest absolute value)."""
        if L == 0:
            raise NotImplementedError("norm: the L0 norm is not a norm; count nonzeros instead")
        if np.isinf(L):
            return MATH.max(abs(self), axis=axis, keepdims=keepdims)
        return MATH.sum(abs(self) ** L, axis=axis, keepdims=keepdims) ** (1.0 / L)

    def dot(self, other: Any) -> TensorVariable:
        return MATH.dot(self, other)

    def clip(self, a_min: Any, a_max: Any) -> TensorVariable:
        return MATH.clip(self, a_min, a_max)

    def round(self, mode: str | None = None) -> TensorVariable:
        return MATH.round(self, mode)

    def astype(self, dtype: str) -> TensorVariable:
        return MATH.cast(self, dtype)

    def transpose(self, *axes: Any) -> TensorVariable:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return MATH.transpose(self, axes or None)

    def dimshuffle(self, *pattern: Any) -> TensorVariable:
        if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
            pattern = tuple(pattern[0])
        return MATH.dimshuffle(self, pattern)

    def reshape(self, shape: Any, *more: Any, ndim: int | None = None) -> TensorVariable:
        if more:
            shape = (shape, *more)
        return MATH.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim: int | None = None, outdim: int | None = None) -> TensorVariable:
        return MATH.flatten(self, ndim, outdim)

    def ravel(self) -> TensorVariable:
        return self.flatten()

    def squeeze(self, axis: Any = None) -> TensorVariable:
        return MATH.squeeze(self, axis)

    def swapaxes(self, axis1: int, axis2: int) -> TensorVariable:
        return MATH.swapaxes(self, axis1, axis2)

    def nonzero(self) -> tuple[TensorVariable, ...]:
        return MATH.nonzero(self)

    def sort(self, axis: int = -1) -> TensorVariable:
        return MATH.sort(self, axis)

    def argsort(self, axis: int = -1) -> TensorVariable:
        return MATH.argsort(self, axis)

    def cumsum(self, axis: int | None = None) -> TensorVariable:
        return MATH.cumsum(self, axis)

    def cumprod(self, axis: int | None = None) -> TensorVariable:
        return MATH.cumprod(self, axis)

    def copy(self, name: str | None = None) -> TensorVariable:
        out = MATH.tensor_copy(self)
        out.name = name
        return out

    def zeros_like(self) -> TensorVariable:
        return MATH.zeros_like(self)

    def ones_like(self) -> TensorVariable:
        return MATH.ones_like(self)

    def __getitem__(self, index: Any) -> TensorVariable:
        if isinstance(index, list) and any(isinstance(i, slice) for i in index):
            # a list holding slices is a tuple of indices (NumPy's old rule, which Theano
            # code used: x[[slice(0, 2), slice(1, None)]])
            index = tuple(index)
        return MATH.getitem(self, index)

    def eval(self, inputs_to_values: dict | None = None) -> np.ndarray:
        """Compile (once per set of input Variables) and evaluate: ``(x + 1).eval({x: 2.0})``."""
        from ..compile.function import eval_variable  # Variable.eval: the one upward import
        return eval_variable(self, inputs_to_values or {})


class TensorConstant(TensorVariable, Constant):
    """A constant array. ``weak`` marks Python scalars, which adopt the dtype they meet
    (``float32_x * 2.0`` stays float32, as in Theano with ``floatX=float32``).

    ``literal`` is such a Python number as written, kept when it adopts a dtype (``x ** 2``
    computes with 2.0 but remembers 2): ``pp`` prints it, as Theano printed its unoptimized
    graphs, where a Python 2 was an int8 constant until the optimizer upcast it.
    """

    literal: Any = None  # also what a constant pickled before this attribute existed reads

    def __init__(self, type: TensorType, data: Any, name: str | None = None,
                 weak: bool = False, literal: Any = None):
        super().__init__(type, data, name)
        self.weak = weak
        self.literal = literal

    def clone(self) -> TensorConstant:
        return TensorConstant(self.type, self.data, self.name, self.weak, self.literal)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        data = self.data
        if data.size <= 8:
            text = str(data.tolist()) if data.ndim else str(data.item())
            return f"TensorConstant{{{text}}}"
        return f"TensorConstant{{{data.dtype}[{','.join(map(str, data.shape))}]}}"


def _comparison(out: TensorVariable) -> TensorVariable:
    out._is_nonzero = False
    return out


# TensorType() makes TensorVariables (types.py cannot import this module: it imports types)
TensorType.Variable = TensorVariable


def constant(value: Any, name: str | None = None, ndim: int | None = None,
             dtype: str | None = None) -> TensorConstant:
    """A constant tensor. Python numbers become weak constants (they take the dtype they meet)."""
    weak = dtype is None and isinstance(value, (bool, int, float)) \
        and not isinstance(value, np.generic)
    if dtype is not None:
        data = np.asarray(value, dtype=dtype)
    elif isinstance(value, float) and weak:
        data = np.asarray(value, dtype=config.floatX)
    else:
        data = np.asarray(value)
    if data.dtype.kind not in "biufc":  # objects, strings, bytes, records
        raise TypeError(f"cannot make a tensor constant from {type(value).__name__} "
                        f"{value!r:.60}: tensors hold numbers or bools, not {data.dtype}")
    if ndim is not None and data.ndim != ndim:
        if data.ndim > ndim:
            raise ValueError(f"constant of shape {data.shape} cannot have ndim={ndim}")
        data = data.reshape((1,) * (ndim - data.ndim) + data.shape)
    data.setflags(write=False)
    return TensorConstant(TensorType(str(data.dtype), shape=data.shape), data, name, weak,
                          value if weak else None)


def adopt_dtype(weak: TensorConstant, dtype: str) -> TensorConstant:
    """The Python number behind weak constant ``weak`` as a ``dtype`` constant (NEP 50: the
    dtype it met), still remembering the number as written."""
    value = weak.data.item() if weak.literal is None else weak.literal
    out = constant(value, dtype=dtype)
    out.literal = weak.literal
    return out


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None,
                       dtype: str | None = None) -> TensorVariable:
    """``x`` as a tensor Variable: Variables pass through; numbers, lists and arrays become
    constants."""
    if isinstance(x, Variable):
        if not isinstance(x, TensorVariable):
            raise TypeError(f"{x} is not a tensor (its type is {x.type})")
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"{x} has {x.ndim} dimensions, expected {ndim}")
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(v, Variable) for v in x):
        return MATH.stack([as_tensor_variable(v) for v in x])
    return constant(x, name=name, ndim=ndim, dtype=dtype)


# -- small helpers the op modules share ---------------------------------------------------------
def describe(var: Variable) -> str:
    """How error messages name a variable: its name, if any, then its short type."""
    return f"{var.name + ' ' if var.name else ''}{var.type.short()}"


def const_int(var: Variable) -> int | None:
    """The value of a 0-d constant as an int, or None when ``var`` is not one."""
    if isinstance(var, TensorConstant) and var.ndim == 0:
        return int(var.data)
    return None


def int_scalar(value: Any, who: Any, what: str) -> TensorVariable:
    """An integer scalar input: Python ints become int64 constants (never weak ones)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return constant(int(value), dtype="int64")
    var = as_tensor_variable(value)
    if var.ndim != 0 or not is_int(var.dtype) or var.dtype == "bool":
        raise TypeError(f"{who}: {what} must be an integer scalar, got {describe(var)}")
    return var


def is_weak(var: TensorVariable) -> TypeGuard[TensorConstant]:
    """Whether ``var`` is a Python-number constant, which adopts the dtype it meets."""
    return isinstance(var, TensorConstant) and var.weak


def common_dtype(tensors: Sequence[TensorVariable]) -> str:
    """The dtype ``tensors`` meet at: NumPy 2 promotion among tensors, and Python-number
    (weak) constants take Theano 1.0's dtype against them (``upcast_numbers``), as in
    elemwise: ``arange(fscalar, 1e40)`` is float64, not float32 with an infinite bound."""
    strong = [t.dtype for t in tensors if not is_weak(t)]
    numbers = [t.data.item() if t.literal is None else t.literal for t in tensors if is_weak(t)]
    if not strong:
        return str(np.result_type(*[np.dtype(t.dtype) for t in tensors]))
    if not numbers:
        return str(np.result_type(*strong))
    return upcast_numbers(strong, numbers)


def tensor(dtype: str | None = None, broadcastable: Sequence[bool] | None = None,
           name: str | None = None, shape: Sequence[int | None] | None = None) -> TensorVariable:
    """A symbolic input: ``tensor(dtype='float32', shape=(None, 3), name='x')``."""
    if broadcastable is None and shape is None:
        broadcastable = ()
    return TensorType(dtype or config.floatX, broadcastable, shape).make_variable(name)
