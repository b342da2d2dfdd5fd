"""The rest of Theano's ``extra_ops``: ``compress``, ``Unique``, ``cpu_contiguous`` and
``bartlett``. ``Unique``, ``CpuContiguous`` and ``Bartlett`` run in Python (NumPy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import config
from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import TensorVariable, as_tensor_variable, describe, int_scalar
from .math import maximum
from .subtensor import flatnonzero
from .tensor_helpers import take

__all__ = ["compress", "Unique", "cpu_contiguous", "CpuContiguous", "bartlett", "Bartlett"]


def compress(condition: Any, x: Any, axis: int | None = None) -> TensorVariable:
    """The entries of ``x`` along ``axis`` where ``condition`` is true (``numpy.compress``;
    ``x`` flattened when ``axis`` is None). Differentiable in ``x``.

    >>> T.compress([True, False, True], T.dvector('x'))
    """
    return take(x, flatnonzero(condition), axis=axis)


class Unique(Op):
    """``numpy.unique(x)``: the sorted distinct values of ``x`` flattened, then, as asked, the
    index of each first occurrence, the inverse map and the counts (int64 vectors).

    >>> values, counts = Unique(return_counts=True)(T.lvector('x'))
    """

    __props__ = ("return_index", "return_inverse", "return_counts")

    def __init__(self, return_index: bool = False, return_inverse: bool = False,
                 return_counts: bool = False):
        self.return_index = bool(return_index)
        self.return_inverse = bool(return_inverse)
        self.return_counts = bool(return_counts)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        outs = [TensorType(x.dtype, shape=(None,)).make_variable()]
        extra = sum((self.return_index, self.return_inverse, self.return_counts))
        outs += [TensorType("int64", shape=(None,)).make_variable() for _ in range(extra)]
        return Apply(self, [x], outs)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        flags: dict[str, Any] = {"return_index": self.return_index,
                                 "return_inverse": self.return_inverse,
                                 "return_counts": self.return_counts}
        results = np.unique(inputs[0], **flags)
        if not isinstance(results, tuple):
            results = (results,)
        for k, (cell, value) in enumerate(zip(output_storage, results, strict=True)):
            cell[0] = np.asarray(value, dtype=node.outputs[k].dtype).reshape(-1)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple] | None:
        return None  # the number of distinct values is only known at run time

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None]  # a selection of distinct values: piecewise constant


class CpuContiguous(Op):
    """A C-contiguous copy of ``x`` (or ``x`` itself when it already is one)."""

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.ascontiguousarray(inputs[0])

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [output_grads[0]]


cpu_contiguous = CpuContiguous()


class Bartlett(Op):
    """``numpy.bartlett(M)``: the triangular window of ``M`` points (floatX)."""

    def make_node(self, M: Any) -> Apply:
        M = int_scalar(M, self, "M")
        return Apply(self, [M], [TensorType(config.floatX, shape=(None,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.bartlett(int(inputs[0])).astype(node.outputs[0].dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(maximum(node.inputs[0], 0),)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None]


def bartlett(M: Any) -> TensorVariable:
    """The Bartlett (triangular) window of ``M`` points.

    >>> T.extra_ops.bartlett(5).eval()
    array([0. , 0.5, 1. , 0.5, 0. ])
    """
    M = as_tensor_variable(M) if not isinstance(M, int) else M
    if not isinstance(M, int) and not is_int(M.dtype):
        raise TypeError(f"bartlett: M must be an integer, got {describe(M)}")
    return Bartlett()(M)
