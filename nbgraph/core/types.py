"""TensorType: a dtype plus a static shape (None = unknown, 1 = broadcastable), and dtype rules.

Types check values handed to compiled functions (``filter``) and make the Variables of their
kind; they never compute anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import config

if TYPE_CHECKING:
    from .variable import TensorVariable

# Theano's one-letter dtype prefixes (bscalar, wvector, fmatrix, ...)
DTYPE_PREFIX = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32",
                "d": "float64", "c": "complex64", "z": "complex128"}

_NDIM_NAMES = {0: "scalar", 1: "vector", 2: "matrix", 3: "tensor3", 4: "tensor4"}

# Theano's upgrade_to_float: the float dtype that math on an integer dtype produces
_INT_TO_FLOAT = {"bool": "float32", "int8": "float32", "uint8": "float32", "int16": "float32",
                 "uint16": "float32", "int32": "float64", "uint32": "float64",
                 "int64": "float64", "uint64": "float64"}


def upcast(*dtypes: str) -> str:
    """NumPy's promotion of array dtypes (float32 with float32 stays float32)."""
    return str(np.result_type(*[np.dtype(d) for d in dtypes]))


def autocast_dtype(value: bool | int | float | complex, meets: str | None = None) -> str:
    """The dtype a Python number takes where it meets tensors of dtype ``meets`` (before
    the usual upcast). Theano 1.0's autocast (``cast_policy='custom'``): an int is the
    smallest of int8..int64 that holds it (uint64 past int64), a float is float32 if that is
    exact, else float64 (``floatX`` when that is float32/float16). One exception keeps
    float32 graphs in float32: a float meeting a float (or complex) dtype that holds it with
    no overflow to inf or underflow to 0 takes that dtype (fvector * 0.1 is float32, as Theano
    gave with floatX=float32 and NumPy 2 gives; fvector + 1e40 is float64, as Theano 1.0)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return next((d for d in ("int8", "int16", "int32", "int64")
                     if np.iinfo(d).min <= value <= np.iinfo(d).max), "uint64")
    if isinstance(value, complex):
        return "complex128"
    if meets is not None:
        part = {"complex64": "float32", "complex128": "float64"}.get(meets, meets)
        if part.startswith("float") and _holds(part, value):
            return meets
    if config.floatX != "float64":
        return config.floatX
    return "float32" if _exact("float32", value) else "float64"  # nan: float64, as Theano


def upcast_numbers(strong: Sequence[str], numbers: Sequence[bool | int | float | complex]
                   ) -> str:
    """The common dtype of tensors of dtypes ``strong`` (at least one) and Python
    ``numbers``, Theano 1.0's way (each number's ``autocast_dtype``, then ``upcast``), as
    elemwise does: int8 with 300 is int16, float32 with 1e40 float64, float32 with 0.5
    float32. NumPy 2 would wrap, refuse or overflow to inf instead."""
    common = upcast(*strong)
    return upcast(common, *[autocast_dtype(v, common) for v in numbers])


def _exact(dtype: str, value: float) -> bool:
    with np.errstate(over="ignore"):
        return float(np.asarray(value, dtype=dtype)) == value


def _holds(dtype: str, value: float) -> bool:
    """Whether float ``dtype`` keeps ``value`` finite (if it is) and nonzero (if it is)."""
    with np.errstate(over="ignore", under="ignore"):
        kept = float(np.asarray(value, dtype=dtype))
    return (math.isfinite(kept) or not math.isfinite(value)) and (kept != 0 or value == 0)


def upgrade_to_float(dtype: str) -> str:
    """The dtype of a float-valued op on ``dtype`` (int32 -> float64, int8 -> float32)."""
    return _INT_TO_FLOAT.get(dtype, dtype)


def is_float(dtype: str) -> bool:
    return np.dtype(dtype).kind in "fc"


def is_int(dtype: str) -> bool:
    return np.dtype(dtype).kind in "iub"


class TensorType:
    """The type of an n-d array: dtype plus static shape.

    ``TensorType("float64", (False, True))`` is a matrix whose second dimension is
    broadcastable (length 1). ``shape`` entries are an int when known, else None.
    """

    # the class of its variables: core/variable.py sets it (Theano's TensorType.Variable)
    Variable: type[TensorVariable]

    __slots__ = ("dtype", "shape", "_hash", "name")

    def __init__(self, dtype: str, broadcastable: Sequence[bool] | None = None,
                 shape: Sequence[int | None] | None = None, name: str | None = None):
        self.name = name  # Theano's TensorType(..., name=): a label, not part of equality
        if dtype == "floatX":
            dtype = config.floatX
        self.dtype = str(np.dtype(dtype))
        if shape is None:
            if broadcastable is None:
                raise TypeError("TensorType needs broadcastable or shape")
            shape = tuple(1 if b else None for b in broadcastable)
        elif broadcastable is not None and len(broadcastable) != len(shape):
            raise TypeError(f"broadcastable {broadcastable} and shape {shape} differ in length")
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self._hash = hash((self.dtype, self.shape))

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        return tuple(s == 1 for s in self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TensorType) and self.dtype == other.dtype
                and self.shape == other.shape)

    def __hash__(self) -> int:
        return self._hash

    def is_compatible(self, other: TensorType) -> bool:
        """Same dtype and rank, and no known dimension contradicts the other."""
        return (self.dtype == other.dtype and self.ndim == other.ndim
                and all(a is None or b is None or a == b
                        for a, b in zip(self.shape, other.shape, strict=True)))

    def clone(self, dtype: str | None = None, shape: Sequence[int | None] | None = None
              ) -> TensorType:
        return TensorType(dtype or self.dtype, shape=self.shape if shape is None else shape)

    def __str__(self) -> str:
        kind = _NDIM_NAMES.get(self.ndim) if not any(self.broadcastable) else None
        if kind is None:
            kind = "(" + ", ".join(str(b) for b in self.broadcastable) + ")"
        return f"TensorType({self.dtype}, {kind})"

    __repr__ = __str__

    def short(self) -> str:
        """Compact form for listings and edge labels: ``float64[?,3]``."""
        dims = ",".join("?" if s is None else str(s) for s in self.shape)
        return f"{self.dtype}[{dims}]"

    # -- values --------------------------------------------------------------------------
    def filter(self, value: Any, strict: bool = False, allow_downcast: bool | None = None,
               name: str | None = None) -> np.ndarray:
        """Check ``value`` against this type and return it as an ndarray of this dtype.

        Lossless conversions (lists, Python scalars, int -> float) are allowed; a lossy one
        (float64 data into a float32 input) needs ``allow_downcast``, as in Theano.
        """
        what = f"input {name!r}" if name else "value"
        if isinstance(value, np.ndarray) and value.dtype == self.dtype:
            arr = value
        elif strict:
            raise TypeError(f"{what}: expected {self.short()} array, got "
                            f"{type(value).__name__} of dtype {getattr(value, 'dtype', '?')}")
        else:
            arr = self._convert(value, allow_downcast, what)
        if arr.ndim != self.ndim:
            raise TypeError(f"{what}: expected {self.ndim}-d {self.short()}, got "
                            f"{arr.ndim}-d array of shape {arr.shape}")
        for axis, (want, got) in enumerate(zip(self.shape, arr.shape, strict=True)):
            if want is not None and want != got:
                raise ValueError(f"{what}: expected shape {self.short()}, got {arr.shape} "
                                 f"(dimension {axis} is {got}, must be {want})")
        return arr

    def _convert(self, value: Any, allow_downcast: bool | None, what: str) -> np.ndarray:
        if isinstance(value, (bool, int, float, complex)) and not isinstance(value, np.generic):
            arr = np.asarray(value, dtype=self.dtype)
            if not allow_downcast and arr != value and not np.isnan(arr):
                raise TypeError(f"{what}: {value!r} does not fit {self.dtype} exactly; "
                                f"pass allow_input_downcast=True to round it")
            return arr
        src = np.asarray(value)
        if src.dtype == object:
            raise TypeError(f"{what}: cannot convert {type(value).__name__} to {self.short()}")
        if src.dtype == self.dtype:
            return src
        if np.can_cast(src.dtype, self.dtype, "safe") or allow_downcast:
            return src.astype(self.dtype)
        if isinstance(value, (list, tuple)):
            cast = src.astype(self.dtype)
            if np.array_equal(cast, src):
                return cast
        raise TypeError(f"{what}: got {src.dtype} data for a {self.short()} input; casting "
                        f"would lose precision (cast it first, or pass "
                        f"allow_input_downcast=True)")

    def value_zeros(self, shape: Sequence[int]) -> np.ndarray:
        return np.zeros(shape, dtype=self.dtype)

    # -- making Variables ------------------------------------------------------------------
    def make_variable(self, name: str | None = None) -> TensorVariable:
        return self.Variable(self, None, None, name)

    def __call__(self, name: str | None = None) -> TensorVariable:
        return self.make_variable(name)
