"""The ``k`` largest (or smallest) entries along an axis: Theano's ``topk``, ``argtopk`` and
``topk_and_argtopk``, with the gather/scatter pair that carries their gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import (
    TensorVariable,
    as_tensor_variable,
    const_int,
    describe,
    int_scalar,
)
from .math import zeros_like

__all__ = ["topk", "argtopk", "topk_and_argtopk", "TopKOp", "TakeAlongAxis", "PutAlongAxis"]


class TopKOp(Op):
    """Indices of the ``|kth|`` largest entries along ``axis`` (the smallest when ``kth`` is
    negative), as ``numpy.argpartition`` finds them; ``sorted`` orders them, largest first
    (smallest first for negative ``kth``). Runs in Python (NumPy)."""

    __props__ = ("axis", "sorted", "idx_dtype")

    def __init__(self, axis: int = -1, sorted: bool = True, idx_dtype: str = "int64"):
        self.axis = int(axis)
        self.sorted = bool(sorted)
        self.idx_dtype = str(np.dtype(idx_dtype))

    def make_node(self, x: Any, kth: Any) -> Apply:
        x = as_tensor_variable(x)
        kth = int_scalar(kth, self, "kth")
        if x.ndim == 0 or not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"{self}: axis {self.axis} is out of range for {describe(x)}")
        shape = list(x.type.shape)
        k = const_int(kth)
        shape[self.axis] = None if k is None else abs(k)
        out = TensorType(self.idx_dtype, shape=shape).make_variable()
        return Apply(self, [x, kth], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, kth = inputs
        k, n = int(kth), x.shape[self.axis]
        if k == 0 or abs(k) > n:
            raise ValueError(f"{self} at node {node.uid}: kth={k} for an axis of length {n} "
                             f"(need 1 <= |kth| <= {n})")
        keyed = -x if k > 0 else x     # the |k| smallest of the key
        count = abs(k)
        idx = np.argpartition(keyed, count - 1, axis=self.axis)
        idx = np.take(idx, np.arange(count), axis=self.axis)
        if self.sorted:
            order = np.argsort(np.take_along_axis(keyed, idx, self.axis), axis=self.axis,
                               kind="stable")
            idx = np.take_along_axis(idx, order, self.axis)
        output_storage[0][0] = idx.astype(self.idx_dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        out = list(shapes[0])
        out[self.axis] = abs(node.inputs[1])
        return [tuple(out)]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None, None]  # indices are piecewise constant


class TakeAlongAxis(Op):
    """``numpy.take_along_axis(x, idx, axis)``; its gradient scatters back (``PutAlongAxis``)."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def make_node(self, x: Any, idx: Any) -> Apply:
        x, idx = as_tensor_variable(x), as_tensor_variable(idx)
        if not is_int(idx.dtype) or idx.ndim != x.ndim:
            raise TypeError(f"{self}: indices must be integers with the {x.ndim} dimensions "
                            f"of x ({describe(x)}), got {describe(idx)}")
        shape = [i if a != self.axis % x.ndim else j
                 for a, (i, j) in enumerate(zip(x.type.shape, idx.type.shape, strict=True))]
        return Apply(self, [x, idx], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.take_along_axis(inputs[0], inputs[1], self.axis)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        x, idx = inputs
        return [PutAlongAxis(self.axis)(zeros_like(x), output_grads[0], idx), None]


class PutAlongAxis(Op):
    """``base`` with ``values`` added at ``idx`` along ``axis`` (the adjoint of
    ``TakeAlongAxis``; repeated indices accumulate)."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def make_node(self, base: Any, values: Any, idx: Any) -> Apply:
        base, values, idx = (as_tensor_variable(v) for v in (base, values, idx))
        if not (base.ndim == values.ndim == idx.ndim) or not is_int(idx.dtype):
            raise TypeError(f"{self}: base {describe(base)}, values {describe(values)} and "
                            f"int indices {describe(idx)} must have equal ranks")
        return Apply(self, [base, values, idx], [base.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        base, values, idx = inputs
        out = np.array(base, copy=True)
        axis = self.axis % base.ndim
        # every index tuple of idx, with the axis entry replaced by idx's value
        grids = list(np.indices(idx.shape, sparse=True))
        grids[axis] = idx
        np.add.at(out, tuple(grids), values)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        _, _, idx = inputs
        (g,) = output_grads
        return [g, TakeAlongAxis(self.axis)(g, idx), None]


def argtopk(x: Any, kth: Any, axis: int = -1, sorted: bool = True,
            idx_dtype: str = "int64") -> TensorVariable:
    """Indices of the ``kth`` largest entries of ``x`` along ``axis`` (the ``-kth`` smallest
    when ``kth`` is negative).

    >>> T.argtopk(T.dvector('x'), 2)
    """
    return TopKOp(axis, sorted, idx_dtype)(x, kth)


def topk(x: Any, kth: Any, axis: int = -1, sorted: bool = True,
         idx_dtype: str = "int64") -> TensorVariable:
    """The ``kth`` largest entries of ``x`` along ``axis`` (the ``-kth`` smallest when ``kth``
    is negative), largest first when ``sorted``. Differentiable in ``x``.

    >>> T.topk(T.dvector('x'), 2)
    """
    return topk_and_argtopk(x, kth, axis, sorted, idx_dtype)[0]


def topk_and_argtopk(x: Any, kth: Any, axis: int = -1, sorted: bool = True,
                     idx_dtype: str = "int64") -> tuple[TensorVariable, TensorVariable]:
    """``(topk(...), argtopk(...))`` sharing one selection."""
    x = as_tensor_variable(x)
    idx = argtopk(x, kth, axis, sorted, idx_dtype)
    return TakeAlongAxis(axis)(x, idx), idx
