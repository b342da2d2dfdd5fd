"""Theano's ``theano.tensor.extra_ops``: cumulative sums and products, diff, bincount, filling
a diagonal, one-hot encoding, and converting between flat and multi-dimensional indices.
Sorting lives in ``sort.py``; ``repeat`` in ``alloc.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..config import config
from ..core.graph import Apply, Variable
from ..core.op import Op
from ..core.types import TensorType, is_float, is_int, upcast
from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import arange
from .math import _acc_dtype, cast, eq, zeros_like
from .math import sum as tsum
from .shape import dimshuffle, make_vector
from .sort import argsort, searchsorted, sort

__all__ = ["cumsum", "cumprod", "diff", "bincount", "fill_diagonal", "fill_diagonal_offset",
           "to_one_hot", "unravel_index", "ravel_multi_index", "sort", "argsort",
           "searchsorted", "CumOp", "BinCount", "FillDiagonal", "UnravelIndex",
           "RavelMultiIndex"]

Order = Literal["C", "F"]
IndexMode = Literal["raise", "wrap", "clip"]


def _reverse(x: TensorVariable, axis: int) -> TensorVariable:
    """``x`` reversed along ``axis`` (``x[..., ::-1, ...]``)."""
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


# -- cumulative sum and product ---------------------------------------------------------------
class CumOp(Op):
    """``numpy.cumsum`` (mode ``'add'``) or ``numpy.cumprod`` (``'mul'``) along ``axis``; over
    the flattened input when ``axis`` is None. Small ints accumulate in 64 bits, as NumPy's."""

    __props__ = ("axis", "mode")

    def __init__(self, axis: int | None = None, mode: str = "add"):
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis = None if axis is None else int(axis)
        self.mode = mode

    def __str__(self) -> str:
        return f"CumOp{{{self.axis}, {self.mode}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        dtype = _acc_dtype(x.dtype)
        if self.axis is None:
            known = None not in x.type.shape
            shape: tuple = (int(np.prod(x.type.shape)) if known else None,)
        else:
            if not -x.ndim <= self.axis < x.ndim:
                raise ValueError(f"{self}: axis {self.axis} is out of range for {describe(x)}")
            shape = x.type.shape
        return Apply(self, [x], [TensorType(dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        scan = np.cumsum if self.mode == "add" else np.cumprod
        output_storage[0][0] = scan(inputs[0], axis=self.axis, dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        if self.axis is not None:
            return [shapes[0]]
        size = shapes[0][0] if shapes[0] else 1
        for dim in shapes[0][1:]:
            size = size * dim
        return [(size,)]   # over the flattened input

    def L_op(self, inputs: list[Any], outputs: list[Any],
             output_grads: list[Any]) -> list[Any]:
        (x,), (z,), (g,) = inputs, outputs, output_grads
        if not is_float(x.dtype):
            return [None]
        axis = 0 if self.axis is None else self.axis % x.ndim
        if self.mode == "add":
            # each x[j] feeds every z[k] with k >= j, so dx = the reversed cumsum of g
            gx = _reverse(CumOp(axis, "add")(_reverse(g, axis)), axis)
        else:
            # z[k] = prod_{i<=k} x[i]: dz[k]/dx[j] = z[k] / x[j] for k >= j (Theano's formula;
            # zeros in x give non-finite gradients)
            flat = x.flatten() if self.axis is None else x
            gx = _reverse(CumOp(axis, "add")(_reverse(g * z, axis)), axis) / flat
        return [gx.reshape(x.shape, ndim=x.ndim) if self.axis is None else gx]


def cumsum(x: Any, axis: int | None = None) -> TensorVariable:
    """Cumulative sum along ``axis`` (of the flattened ``x`` when None), as ``numpy.cumsum``.

    >>> x = T.dvector('x')
    >>> cumsum(x).eval({x: [1.0, 2.0, 3.0]})
    array([1., 3., 6.])
    """
    return CumOp(axis, "add")(x)


def cumprod(x: Any, axis: int | None = None) -> TensorVariable:
    """Cumulative product along ``axis`` (of the flattened ``x`` when None), as
    ``numpy.cumprod``. Its gradient divides by ``x`` (Theano's formula): zeros in ``x`` give
    non-finite gradients.

    >>> x = T.dvector('x')
    >>> cumprod(x).eval({x: [1.0, 2.0, 3.0]})
    array([1., 2., 6.])
    """
    return CumOp(axis, "mul")(x)


def diff(x: Any, n: int = 1, axis: int = -1) -> TensorVariable:
    """The ``n``-th discrete difference along ``axis`` (``numpy.diff``): a graph of slices
    and subtractions, so it is differentiable.

    >>> x = T.dvector('x')
    >>> diff(x).eval({x: [1.0, 4.0, 9.0]})
    array([3., 5.])
    """
    x = as_tensor_variable(x)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"diff: axis {axis} is out of range for {describe(x)}")
    if int(n) != n or n < 0:
        raise ValueError(f"diff: order n must be a non-negative int, got {n!r}")
    head = (slice(None),) * (axis % x.ndim)
    for _ in range(int(n)):
        x = x[head + (slice(1, None),)] - x[head + (slice(None, -1),)]
    return x


# -- bincount -----------------------------------------------------------------------------------
class BinCount(Op):
    """``numpy.bincount(x, weights, minlength)``: how often each value occurs in the int
    vector ``x`` (or the sum of ``weights`` at its occurrences). Negative values raise."""

    __props__ = ("minlength",)

    def __init__(self, minlength: int | None = None):
        self.minlength = None if minlength is None else int(minlength)

    def make_node(self, x: Any, weights: Any = None) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 1 or not is_int(x.dtype) or x.dtype == "bool":
            raise TypeError(f"{self}: x must be an int vector, got {describe(x)}")
        inputs, dtype = [x], "int64"
        if weights is not None:
            weights = as_tensor_variable(weights)
            if weights.ndim != 1:
                raise TypeError(f"{self}: weights must be a vector, got {describe(weights)}")
            _same_length(self, x, weights)
            inputs.append(weights)
            dtype = "float64" if not is_float(weights.dtype) else weights.dtype
        return Apply(self, inputs, [TensorType(dtype, shape=(None,)).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, *weights = inputs
        if weights and weights[0].shape != x.shape:
            raise ValueError(f"{self} at node {node.uid}: x has shape {x.shape} but weights "
                             f"has shape {weights[0].shape}")
        if x.size and x.min() < 0:
            raise ValueError(f"{self} at node {node.uid}: x has negative values "
                             f"(minimum {x.min()})")
        out = np.bincount(x, weights[0] if weights else None, self.minlength or 0)
        output_storage[0][0] = out.astype(node.outputs[0].type.dtype, copy=False)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # out[v] = sum of weights[i] with x[i] = v, so d weights[i] = g[x[i]]
        if len(inputs) == 1:
            return [None]
        x, _ = inputs
        return [None, output_grads[0][x]]


def _same_length(op: Op, x: TensorVariable, y: TensorVariable) -> None:
    nx, ny = x.type.shape[0], y.type.shape[0]
    if nx is not None and ny is not None and nx != ny:
        raise ValueError(f"{op}: x ({describe(x)}) and weights ({describe(y)}) differ in "
                         f"length")


def bincount(x: Any, weights: Any = None, minlength: int | None = None,
             assert_nonneg: bool = False) -> TensorVariable:
    """Count of each value in the non-negative int vector ``x`` (``numpy.bincount``); with
    ``weights``, their sum per value (differentiable in ``weights``). Negative values always
    raise, so ``assert_nonneg`` (Theano's opt-in check) is accepted and has no extra effect.

    >>> x = T.lvector('x')
    >>> bincount(x, minlength=4).eval({x: [0, 1, 1, 3]})
    array([1, 2, 0, 1])
    """
    return BinCount(minlength)(x, weights)


# -- fill_diagonal -------------------------------------------------------------------------------
class FillDiagonal(Op):
    """A copy of ``a`` with its main diagonal (``offset`` 0; all axes of equal length for
    more than 2-d) or the 2-d diagonal ``offset`` above it (below when negative) set to the
    scalar ``val``."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0):
        self.offset = int(offset)

    def __str__(self) -> str:
        return "FillDiagonal" if not self.offset else f"FillDiagonalOffset{{{self.offset}}}"

    def make_node(self, a: Any, val: Any) -> Apply:
        a, val = as_tensor_variable(a), as_tensor_variable(val)
        if a.ndim < 2 or (self.offset and a.ndim != 2):
            need = "a matrix" if self.offset else "at least 2 dimensions"
            raise TypeError(f"{self}: a must have {need}, got {describe(a)}")
        if val.ndim != 0:
            raise TypeError(f"{self}: val must be a scalar, got {describe(val)}")
        if getattr(val, "weak", False):  # a Python number takes a's dtype if of its kind
            fits = is_float(a.dtype) or bool(np.asarray(val.data).astype(a.dtype) == val.data)
        else:
            fits = upcast(a.dtype, val.dtype) == a.dtype
        if not fits:
            raise TypeError(f"{self}: val ({describe(val)}) does not fit a ({describe(a)}) "
                            f"without upcasting it; cast val to {a.dtype} first")
        return Apply(self, [a, val], [a.type.make_variable()])

    def positions(self, shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
        """The index arrays of the filled diagonal in an array of ``shape``."""
        if self.offset == 0 and len(shape) > 2:
            if len(set(shape)) != 1:
                raise ValueError(f"{self}: all dimensions must be equal for a {len(shape)}-d "
                                 f"array, got shape {shape}")
            i = np.arange(shape[0])
            return (i,) * len(shape)
        rows, cols = shape
        start_row, start_col = max(-self.offset, 0), max(self.offset, 0)
        n = max(min(rows - start_row, cols - start_col), 0)
        i = np.arange(n)
        return i + start_row, i + start_col

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, val = inputs
        out = a.copy()
        out[self.positions(a.shape)] = val
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # the diagonal came from val: da is g with the diagonal zeroed, dval its sum there
        a, val = inputs
        (g,) = output_grads
        ga = FillDiagonal(self.offset)(g, 0)
        mask = FillDiagonal(self.offset)(zeros_like(g), 1)
        gval = tsum(g * mask) if is_float(val.dtype) else None
        return [ga if is_float(a.dtype) else None, gval]


def fill_diagonal(a: Any, val: Any) -> TensorVariable:
    """``a`` with its main diagonal set to the scalar ``val`` (``numpy.fill_diagonal``,
    without modifying ``a``); differentiable in both.

    >>> a = T.dmatrix('a')
    >>> fill_diagonal(a, 5.0).eval({a: np.zeros((2, 3))})
    array([[5., 0., 0.],
           [0., 5., 0.]])
    """
    return FillDiagonal(0)(a, val)


def fill_diagonal_offset(a: Any, val: Any, offset: int) -> TensorVariable:
    """The matrix ``a`` with the diagonal ``offset`` above the main one (below when
    negative) set to ``val``."""
    return FillDiagonal(offset)(a, val)


def to_one_hot(y: Any, nb_class: Any, dtype: str | None = None) -> TensorVariable:
    """One-hot rows for the int vector ``y`` of class indices: ``out[i, y[i]] = 1`` (as
    Theano's, in ``dtype``, default ``floatX``). Built as ``eq(y[:, None], arange(nb_class))``,
    one elementwise node; an index outside ``[0, nb_class)`` gives a row of zeros.

    >>> y = T.lvector('y')
    >>> to_one_hot(y, 3).eval({y: [2, 0]})
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    y = as_tensor_variable(y)
    if y.ndim != 1 or not is_int(y.dtype):
        raise TypeError(f"to_one_hot: y must be an int vector, got {describe(y)}")
    classes = arange(nb_class, dtype="int64")
    return cast(eq(y.dimshuffle(0, "x"), dimshuffle(classes, ("x", 0))), dtype or config.floatX)


# -- flat <-> multi-dimensional indices ---------------------------------------------------------
def _dims_vector(op: Op, dims: Any) -> TensorVariable:
    """``dims`` as an int vector whose length is known statically."""
    if isinstance(dims, (list, tuple)) and not any(isinstance(d, Variable) for d in dims):
        dims = np.asarray(dims, dtype="int64")
    if isinstance(dims, (list, tuple)):
        dims = make_vector(list(dims))
    dims = as_tensor_variable(dims)
    if dims.ndim != 1 or not is_int(dims.dtype) or dims.type.shape[0] is None:
        raise TypeError(f"{op}: dims must be an int vector of known length, got "
                        f"{describe(dims)}")
    return dims


def _int_tensor(op: Op, role: str, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if not is_int(x.dtype) or x.dtype == "bool":
        raise TypeError(f"{op}: {role} must be integers, got {describe(x)}")
    return x


class UnravelIndex(Op):
    """``numpy.unravel_index(indices, dims, order)``: one int64 output per entry of
    ``dims``, each shaped like ``indices``."""

    __props__ = ("order",)

    def __init__(self, order: Order = "C"):
        if order not in ("C", "F"):
            raise ValueError(f"UnravelIndex: order must be 'C' or 'F', got {order!r}")
        self.order = order

    def make_node(self, indices: Any, dims: Any) -> Apply:
        indices = _int_tensor(self, "indices", indices)
        dims = _dims_vector(self, dims)
        outs = [TensorType("int64", shape=indices.type.shape).make_variable()
                for _ in range(dims.type.shape[0])]
        return Apply(self, [indices, dims], outs)

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        indices, dims = inputs
        try:
            out = np.unravel_index(indices, tuple(dims), order=self.order)
        except ValueError as err:
            raise ValueError(f"{self} at node {node.uid}: {err} "
                             f"(dims {tuple(dims.tolist())})") from err
        for cell, value in zip(output_storage, out, strict=True):
            cell[0] = np.asarray(value, dtype="int64")

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None, None]


def unravel_index(indices: Any, dims: Sequence[Any] | Any, order: Order = "C") -> tuple:
    """The tuple of coordinate arrays of the flat ``indices`` in an array of shape ``dims``
    (``numpy.unravel_index``; ``dims`` must have a length known when the graph is built).

    >>> i = T.lvector('i')
    >>> [c.eval({i: [5, 7]}) for c in unravel_index(i, (2, 4))]
    [array([1, 1]), array([1, 3])]
    """
    out = UnravelIndex(order)(indices, dims)
    return tuple(out) if isinstance(out, list) else (out,)


class RavelMultiIndex(Op):
    """``numpy.ravel_multi_index(multi_index, dims, mode, order)``: flat indices from one int
    tensor of coordinates per dimension (the inputs are the coordinates, then ``dims``)."""

    __props__ = ("mode", "order")

    def __init__(self, mode: IndexMode = "raise", order: Order = "C"):
        if mode not in ("raise", "wrap", "clip") or order not in ("C", "F"):
            raise ValueError(f"RavelMultiIndex: mode must be 'raise', 'wrap' or 'clip' and "
                             f"order 'C' or 'F', got {mode!r} and {order!r}")
        self.mode, self.order = mode, order

    def make_node(self, *inputs: Any) -> Apply:
        *coords, dims = inputs
        coords = [_int_tensor(self, "multi_index", c) for c in coords]
        dims = _dims_vector(self, dims)
        if len(coords) != dims.type.shape[0]:
            raise ValueError(f"{self}: {len(coords)} coordinate arrays for "
                             f"{dims.type.shape[0]} dimensions")
        shape = _broadcast_shape(self, coords)
        out = TensorType("int64", shape=shape).make_variable()
        return Apply(self, [*coords, dims], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        *coords, dims = inputs
        try:
            out = np.ravel_multi_index(tuple(coords), tuple(dims), mode=self.mode,
                                       order=self.order)
        except ValueError as err:
            raise ValueError(f"{self} at node {node.uid}: {err} "
                             f"(dims {tuple(dims.tolist())})") from err
        output_storage[0][0] = np.asarray(out, dtype="int64")

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        return [None] * len(inputs)


def _broadcast_shape(op: Op, tensors: list[TensorVariable]) -> tuple[int | None, ...]:
    """The static shape the tensors broadcast to (None where unknown)."""
    ndim = max(t.ndim for t in tensors)
    out: list[int | None] = []
    for axis in range(ndim):
        sizes = {t.type.shape[axis - ndim + t.ndim] for t in tensors if axis - ndim + t.ndim >= 0}
        known = {s for s in sizes if s not in (None, 1)}
        if len(known) > 1:
            raise ValueError(f"{op}: cannot broadcast " +
                             " with ".join(describe(t) for t in tensors))
        out.append(known.pop() if known else (None if None in sizes else 1))
    return tuple(out)


def ravel_multi_index(multi_index: Sequence[Any], dims: Sequence[Any] | Any,
                      mode: IndexMode = "raise", order: Order = "C") -> TensorVariable:
    """Flat indices of the coordinates ``multi_index`` (one int tensor per dimension) in an
    array of shape ``dims`` (``numpy.ravel_multi_index``).

    >>> r, c = T.lvectors('r', 'c')
    >>> ravel_multi_index((r, c), (2, 4)).eval({r: [1, 0], c: [1, 3]})
    array([5, 3])
    """
    if isinstance(multi_index, Variable) or not isinstance(multi_index, (list, tuple)):
        raise TypeError("ravel_multi_index: multi_index must be a tuple of int tensors")
    return RavelMultiIndex(mode, order)(*multi_index, dims)
