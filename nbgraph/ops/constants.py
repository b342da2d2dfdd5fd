"""Reading constants out of graphs (Theano's ``get_scalar_constant_value`` and
``extract_constant``): follows the ops that keep a scalar constant (casts, dimshuffles,
elementwise math on constants, the static length of a dimension)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Variable
from ..core.variable import TensorConstant, as_tensor_variable, constant
from .elemwise import DimShuffle, Elemwise
from .shape import MakeVector, Shape, Shape_i

__all__ = ["get_scalar_constant_value", "extract_constant", "NotScalarConstantError",
           "get_vector_length"]


class NotScalarConstantError(Exception):
    """The Variable is not a scalar known at graph-build time."""


def get_scalar_constant_value(v: Any, elemwise: bool = True, only_process_constants: bool = False,
                              max_recur: int = 10) -> np.ndarray:
    """The value of ``v`` as a 0-d array when the graph fixes it, else raise
    ``NotScalarConstantError``. Numbers and 0-d arrays are returned as they are.

    >>> T.get_scalar_constant_value(T.constant(3) + 1)
    array(4)
    """
    if isinstance(v, (int, float, bool, np.integer, np.floating, np.bool_)):
        return np.asarray(v)
    if isinstance(v, np.ndarray):
        if v.size == 1:
            return v.reshape(())
        raise NotScalarConstantError(f"get_scalar_constant_value: array of shape {v.shape}")
    if not isinstance(v, Variable):
        raise NotScalarConstantError(f"get_scalar_constant_value: {v!r} is not a Variable")
    if isinstance(v, TensorConstant):
        data = np.asarray(v.data)
        if data.size >= 1 and np.all(data == data.flat[0]):  # Theano: a filled array too
            return data.reshape(-1)[0:1].reshape(())
        raise NotScalarConstantError(f"get_scalar_constant_value: {v} holds {data.size} values")
    node = v.owner
    if node is None or only_process_constants or max_recur <= 0:
        raise NotScalarConstantError(f"get_scalar_constant_value: {v} is not a constant")
    op = node.op

    def inner(var: Variable) -> np.ndarray:
        return get_scalar_constant_value(var, elemwise, False, max_recur - 1)

    if isinstance(op, Shape_i):
        size = node.inputs[0].type.shape[op.i]
        if size is not None:
            return np.asarray(size, dtype="int64")
    elif isinstance(op, DimShuffle):
        return inner(node.inputs[0])
    elif isinstance(op, Elemwise) and elemwise and len(node.outputs) == 1:
        values = [inner(i) for i in node.inputs]
        out = np.asarray(op.evaluate(*values))  # as the kernels compute: exp(int8) in float32
        return out.astype(v.type.dtype)
    raise NotScalarConstantError(f"get_scalar_constant_value: {v} (computed by {op}) is not "
                                 f"a constant")


def extract_constant(x: Any, elemwise: bool = True, only_process_constants: bool = False
                     ) -> Any:
    """``x`` as a constant when the graph fixes its value, else ``x`` itself."""
    try:
        value = get_scalar_constant_value(x, elemwise, only_process_constants)
    except NotScalarConstantError:
        return as_tensor_variable(x) if not isinstance(x, Variable) else x
    return constant(value, dtype=str(value.dtype)) if isinstance(x, Variable) else value


def get_vector_length(v: Any) -> int:
    """The length of vector ``v`` when the graph fixes it (a static or broadcastable length,
    a constant, a ``MakeVector``, the shape of a tensor), else ``ValueError``.

    >>> T.get_vector_length(T.dmatrix().shape)
    2
    """
    v = as_tensor_variable(v)
    if v.ndim != 1:
        raise TypeError(f"get_vector_length: needs a vector, got {v.type.short()}")
    if v.type.shape[0] is not None:
        return int(v.type.shape[0])
    if isinstance(v, TensorConstant):
        return len(v.data)
    if v.owner is not None and isinstance(v.owner.op, MakeVector):
        return len(v.owner.inputs)
    if v.owner is not None and isinstance(v.owner.op, Shape):
        return int(v.owner.inputs[0].ndim)
    raise ValueError(f"get_vector_length: the length of {v} is not known before it runs")
