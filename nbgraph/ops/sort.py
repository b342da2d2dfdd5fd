"""Sorting along an axis (Theano's ``theano.tensor.sort``): SortOp, ArgSortOp, searchsorted,
and PermuteAlongAxis, the gather by a permutation that carries sort's gradient."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int
from ..core.variable import TensorVariable, as_tensor_variable, describe

__all__ = ["sort", "argsort", "searchsorted", "SortOp", "ArgSortOp", "SearchsortedOp"]

SortKind = Literal["quicksort", "mergesort", "heapsort", "stable"]
Side = Literal["left", "right"]
KINDS: tuple[SortKind, ...] = ("quicksort", "mergesort", "heapsort", "stable")


def _check_axis(op: Op, axis: int, x: TensorVariable) -> None:
    """Raise unless ``axis`` (negative counts from the end) is an axis of ``x``."""
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"{op}: axis {axis} is out of range for {describe(x)}")


class _AlongAxis(Op):
    """An op over one static axis (``axis`` may be negative: it counts from the end)."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: int = -1, kind: SortKind = "quicksort"):
        if kind not in KINDS:
            raise ValueError(f"{type(self).__name__}: kind must be one of {KINDS}, got {kind!r}")
        self.axis = int(axis)
        self.kind = kind

    def __str__(self) -> str:
        return f"{type(self).__name__}{{axis={self.axis}, {self.kind}}}"

    def _input(self, a: Any) -> TensorVariable:
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise TypeError(f"{self}: cannot sort a scalar ({describe(a)})")
        _check_axis(self, self.axis, a)
        return a

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]


class SortOp(_AlongAxis):
    """``numpy.sort(a, axis)``: the values of ``a`` in increasing order along ``axis``."""

    def make_node(self, a: Any) -> Apply:
        a = self._input(a)
        return Apply(self, [a], [a.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = np.sort(inputs[0], axis=self.axis, kind=self.kind)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # sorted[k] = a[idx[k]], so da[j] = g[inv[j]] with inv = argsort(idx) the inverse
        # permutation (ties: the permutation argsort chose, one valid subgradient)
        (a,), (g,) = inputs, output_grads
        idx = ArgSortOp(self.axis, self.kind)(a)
        inverse = ArgSortOp(self.axis, "quicksort")(idx)
        return [PermuteAlongAxis(self.axis)(g, inverse)]


class ArgSortOp(_AlongAxis):
    """``numpy.argsort(a, axis)``: the int64 indices that sort ``a`` along ``axis``."""

    def make_node(self, a: Any) -> Apply:
        a = self._input(a)
        return Apply(self, [a], [TensorType("int64", shape=a.type.shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        out = np.argsort(inputs[0], axis=self.axis, kind=self.kind)
        output_storage[0][0] = out.astype("int64", copy=False)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None]  # indices are piecewise constant


class PermuteAlongAxis(Op):
    """``numpy.take_along_axis(x, perm, axis)`` where ``perm`` permutes each 1-d slice along
    ``axis``; its adjoint is the gather by the inverse permutation, so it is differentiable to
    any order. Only sort's gradient builds it."""

    __props__ = ("axis",)

    def __init__(self, axis: int):
        self.axis = int(axis)

    def make_node(self, x: Any, perm: Any) -> Apply:
        x, perm = as_tensor_variable(x), as_tensor_variable(perm)
        if not is_int(perm.dtype) or perm.ndim != x.ndim:
            raise TypeError(f"{self}: the permutation must be an int tensor of {x.ndim} "
                            f"dimensions like x ({describe(x)}), got {describe(perm)}")
        _check_axis(self, self.axis, x)
        return Apply(self, [x, perm], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, perm = inputs
        if x.shape != perm.shape:
            raise ValueError(f"{self} at node {node.uid}: x has shape {x.shape} but the "
                             f"permutation has shape {perm.shape}")
        output_storage[0][0] = np.take_along_axis(x, perm, axis=self.axis)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # y = P x  =>  dx = P^T g = P^-1 g, and P^-1 is the gather by argsort(perm)
        _, perm = inputs
        inverse = ArgSortOp(self.axis)(perm)
        return [PermuteAlongAxis(self.axis)(output_grads[0], inverse), None]


def _flat_if_none(a: Any, axis: int | None) -> tuple[TensorVariable, int]:
    a = as_tensor_variable(a)
    if axis is None:
        return a.flatten(), 0
    return a, axis


def sort(a: Any, axis: int | None = -1, kind: SortKind = "quicksort", order: Any = None
         ) -> TensorVariable:
    """``a`` sorted along ``axis`` (the flattened ``a`` when ``axis`` is None), as
    ``numpy.sort``; differentiable in ``a``.

    >>> x = T.dvector('x')
    >>> sort(x).eval({x: [3.0, 1.0, 2.0]})
    array([1., 2., 3.])
    """
    if order is not None:
        raise ValueError("sort: order= (structured arrays) is not supported")
    a, axis = _flat_if_none(a, axis)
    return SortOp(axis, kind)(a)


def argsort(a: Any, axis: int | None = -1, kind: SortKind = "quicksort", order: Any = None
            ) -> TensorVariable:
    """The int64 indices that sort ``a`` along ``axis`` (``numpy.argsort``).

    >>> x = T.dvector('x')
    >>> argsort(x).eval({x: [3.0, 1.0, 2.0]})
    array([1, 2, 0])
    """
    if order is not None:
        raise ValueError("argsort: order= (structured arrays) is not supported")
    a, axis = _flat_if_none(a, axis)
    return ArgSortOp(axis, kind)(a)


class SearchsortedOp(Op):
    """``numpy.searchsorted(x, v, side, sorter)``: where ``v``'s elements would be inserted
    into the sorted vector ``x``."""

    __props__ = ("side",)

    def __init__(self, side: Side = "left"):
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def __str__(self) -> str:
        return f"SearchsortedOp{{{self.side}}}"

    def make_node(self, x: Any, v: Any, sorter: Any = None) -> Apply:
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"{self}: x must be a vector, got {describe(x)}")
        inputs = [x, v]
        if sorter is not None:
            sorter = as_tensor_variable(sorter)
            if sorter.ndim != 1 or not is_int(sorter.dtype):
                raise TypeError(f"{self}: sorter must be an int vector, got "
                                f"{describe(sorter)}")
            inputs.append(sorter)
        out = TensorType("int64", shape=v.type.shape).make_variable()
        return Apply(self, inputs, [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, v, *sorter = inputs
        if sorter and sorter[0].shape != x.shape:
            raise ValueError(f"{self} at node {node.uid}: sorter has shape {sorter[0].shape} "
                             f"but x has shape {x.shape}")
        out = np.searchsorted(x, v, side=self.side, sorter=sorter[0] if sorter else None)
        output_storage[0][0] = np.asarray(out, dtype="int64")

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[1]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None] * len(inputs)  # insertion points are piecewise constant


def searchsorted(x: Any, v: Any, side: Side = "left", sorter: Any = None) -> TensorVariable:
    """Indices where the elements of ``v`` would go in the sorted vector ``x`` to keep it
    sorted (``numpy.searchsorted``; ``sorter`` sorts an unsorted ``x``).

    >>> x, v = T.dvector('x'), T.dvector('v')
    >>> searchsorted(x, v).eval({x: [1.0, 2.0, 3.0], v: [2.5, 0.0]})
    array([2, 0])
    """
    return SearchsortedOp(side)(x, v, sorter)
