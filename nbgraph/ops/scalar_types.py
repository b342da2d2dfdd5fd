"""Theano's ``theano.scalar`` surface over nbgraph's 0-d tensors.

nbgraph has one kind of value, the tensor: a Theano scalar is a 0-d ``TensorType``, so
``theano.scalar.float64`` equals ``T.dscalar`` and scalar variables mix freely with tensors
(Theano kept a separate ``Scalar`` type for the insides of ``Elemwise``; nbgraph's
elementwise ops are rows of ``ops.scalar.SCALAR_OPS`` instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import config
from ..core.graph import Apply, Variable
from ..core.types import TensorType
from ..core.types import upcast as _numpy_upcast
from ..core.variable import TensorConstant, TensorVariable
from ..core.variable import constant as tensor_constant

__all__ = [
    "Scalar", "get_scalar_type", "upcast", "as_scalar", "constant", "ints", "floats",
    "complexs", "int_types", "uint_types", "float_types", "complex_types", "discrete_types",
    "continuous_types", "all_types", "int8", "int16", "int32", "int64", "uint8", "uint16",
    "uint32", "uint64", "float16", "float32", "float64", "complex64", "complex128", "bool_",
]


class Scalar(TensorType):
    """Theano's ``Scalar(dtype)``: here the 0-d ``TensorType`` of ``dtype``
    (``Scalar('float64') == T.dscalar``); calling it makes a variable."""

    __slots__ = ()

    def __init__(self, dtype: str):
        super().__init__(dtype, shape=())


def get_scalar_type(dtype: str) -> Scalar:
    return Scalar(dtype)


def upcast(dtype: str, *dtypes: str) -> str:
    """Theano's scalar ``upcast``: the dtype of adding 0-d arrays of these dtypes
    (``upcast('int32', 'float32') == 'float64'``)."""
    return _numpy_upcast(dtype, *dtypes)


def constant(x: Any, name: str | None = None) -> TensorConstant:
    """A 0-d constant; Python numbers take Theano's smallest exact dtype (ints from int8 up,
    floats as floatX when exact), NumPy scalars keep theirs."""
    if isinstance(x, (np.generic, np.ndarray)):
        if np.ndim(x) != 0:
            raise TypeError(f"scalar constant: {x!r} has shape {np.shape(x)}, not ()")
        return tensor_constant(x, name=name)
    if isinstance(x, bool):
        return tensor_constant(x, name=name, dtype="bool")
    if isinstance(x, int):
        kinds = ["int8", "int16", "int32", "int64"]
    elif isinstance(x, float):
        kinds = [config.floatX, "float64"]
    elif isinstance(x, complex):
        kinds = ["complex64", "complex128"]
    else:
        raise TypeError(f"cannot convert {x!r} ({type(x).__name__}) to a scalar")
    dtype = next((d for d in kinds if _holds(d, x)), kinds[-1])
    return tensor_constant(x, name=name, dtype=dtype)


def _holds(dtype: str, x: int | float | complex) -> bool:
    if isinstance(x, int):
        info = np.iinfo(dtype)
        return info.min <= x <= info.max
    return bool(np.asarray(x, dtype=dtype) == x)


def as_scalar(x: Any, name: str | None = None) -> TensorVariable:
    """``x`` as a 0-d variable: an Apply gives its only output, numbers become constants."""
    if isinstance(x, Apply):
        if len(x.outputs) != 1:
            raise ValueError(f"as_scalar: {x} has {len(x.outputs)} outputs; pick one")
        x = x.outputs[0]
    if isinstance(x, Variable):
        if not isinstance(x, TensorVariable) or x.ndim != 0:
            raise TypeError(f"as_scalar: {x} has type {x.type}, not a scalar (0-d) type")
        return x
    return constant(x, name=name)


def _multi(dtype: str) -> Any:
    def make(*names: Any) -> Any:
        # Theano's _multi: an int gives that many, a string one variable per letter
        if len(names) == 1 and isinstance(names[0], int):
            return [Scalar(dtype)() for _ in range(names[0])]
        if len(names) == 1 and isinstance(names[0], str):
            if len(names[0]) == 1:
                return Scalar(dtype)(names[0])
            names = tuple(names[0])
        return [Scalar(dtype)(n) for n in names]
    return make


ints, floats, complexs = _multi("int64"), _multi("float64"), _multi("complex128")

int8, int16, int32, int64 = (Scalar(d) for d in ("int8", "int16", "int32", "int64"))
uint8, uint16, uint32, uint64 = (Scalar(d) for d in ("uint8", "uint16", "uint32", "uint64"))
float16, float32, float64 = Scalar("float16"), Scalar("float32"), Scalar("float64")
complex64, complex128 = Scalar("complex64"), Scalar("complex128")
bool_ = Scalar("bool")

int_types = (int8, int16, int32, int64)
uint_types = (uint8, uint16, uint32, uint64)
float_types = (float16, float32, float64)
complex_types = (complex64, complex128)
discrete_types = (bool_, *int_types, *uint_types)
continuous_types = (*float_types, *complex_types)
all_types = discrete_types + continuous_types
