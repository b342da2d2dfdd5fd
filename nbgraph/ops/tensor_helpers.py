"""Theano ``tensor.basic`` functions that are compositions of existing ops: triangles, grids,
stacking, ``take``, diagonals, permutations of rows, ``batched_tensordot`` and angle units.

No new Op lives here: each function builds graph from ops that already carry their C code,
shape inference and gradients, so these are differentiable wherever their parts are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..config import config
from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import ExtractDiag, arange
from .join import concatenate, stack
from .linalg import batched_dot
from .linalg import dot as dense_dot
from .math import cast, clip, ge, minimum, mod, mul, second
from .shape import reshape, shape_i
from .sort import PermuteAlongAxis, argsort

__all__ = ["tri", "tril", "triu", "diagonal", "take", "stacklists", "horizontal_stack",
           "vertical_stack", "mgrid", "ogrid", "deg2rad", "rad2deg", "inverse_permutation",
           "permute_row_elements", "batched_tensordot", "as_tensor", "divmod", "cov"]

as_tensor = as_tensor_variable


def tri(N: Any, M: Any = None, k: int = 0, dtype: str | None = None) -> TensorVariable:
    """An ``N`` by ``M`` matrix with ones at and below diagonal ``k`` (``numpy.tri``).

    >>> T.tri(3, 4, k=1).eval()[0]
    array([1., 1., 0., 0.])
    """
    rows = arange(N)
    cols = arange(N if M is None else M)
    # i + k >= j on and below diagonal k
    below = ge(rows.dimshuffle(0, "x") + k, cols.dimshuffle("x", 0))
    return cast(below, dtype or config.floatX)


def _matrix_like(op: str, m: Any) -> TensorVariable:
    m = as_tensor_variable(m)
    if m.ndim < 2:
        raise TypeError(f"{op}: needs a matrix (or a stack of them), got {describe(m)}")
    return m


def tril(m: Any, k: int = 0) -> TensorVariable:
    """``m`` with the elements above diagonal ``k`` zeroed (the last two axes).

    >>> T.tril(T.dmatrix('m'), k=-1)       # strictly lower triangle
    """
    m = _matrix_like("tril", m)
    return m * tri(shape_i(m, m.ndim - 2), shape_i(m, m.ndim - 1), k, dtype=m.dtype)


def triu(m: Any, k: int = 0) -> TensorVariable:
    """``m`` with the elements below diagonal ``k`` zeroed (the last two axes)."""
    m = _matrix_like("triu", m)
    return m * (1 - tri(shape_i(m, m.ndim - 2), shape_i(m, m.ndim - 1), k - 1, dtype=m.dtype))


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """Diagonal ``offset`` taken over ``axis1`` and ``axis2`` (``numpy.diagonal``): the
    diagonal becomes the last axis of the result.

    >>> T.diagonal(T.dtensor3('x'), axis1=1, axis2=2)   # shape (x0, min(x1, x2))
    """
    a = as_tensor_variable(a)
    if a.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got {describe(a)}")
    axis1, axis2 = axis1 % a.ndim, axis2 % a.ndim
    if axis1 == axis2:
        raise ValueError(f"diagonal: axis1 and axis2 are both {axis1}")
    if a.ndim == 2 and (axis1, axis2) == (0, 1):
        return ExtractDiag(offset)(a)
    rest = [i for i in range(a.ndim) if i not in (axis1, axis2)]
    moved = a.dimshuffle(axis1, axis2, *rest)
    rows, cols = shape_i(moved, 0), shape_i(moved, 1)
    # length of the diagonal: min(rows - max(0,-k), cols - max(0,k)), at least 0
    length = clip(minimum(rows - max(0, -offset), cols - max(0, offset)), 0, rows + cols)
    steps = arange(length)
    picked = moved[steps + max(0, -offset), steps + max(0, offset)]   # (length, rest...)
    return picked.dimshuffle(*range(1, picked.ndim), 0)


TakeMode = Literal["raise", "wrap", "clip"]


def take(a: Any, indices: Any, axis: int | None = None, mode: TakeMode = "raise"
         ) -> TensorVariable:
    """Elements of ``a`` at ``indices`` along ``axis`` (flattened ``a`` when None), as
    ``numpy.take``; ``mode`` 'wrap' or 'clip' handles out-of-range indices.

    >>> T.take(T.dmatrix('a'), [2, 0], axis=1)
    """
    a = as_tensor_variable(a)
    indices = as_tensor_variable(indices)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is None:
        a, axis = a.flatten(), 0
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of range for {describe(a)}")
    axis %= a.ndim
    size = shape_i(a, axis)
    if mode == "wrap":
        indices = mod(indices, size)
    elif mode == "clip":
        indices = clip(indices, 0, size - 1)
    lead = (slice(None),) * axis
    if indices.ndim <= 1:
        return a[lead + (indices,)]
    flat = a[lead + (indices.flatten(),)]
    shape = ([shape_i(a, i) for i in range(axis)]
             + [shape_i(indices, i) for i in range(indices.ndim)]
             + [shape_i(a, i) for i in range(axis + 1, a.ndim)])
    return reshape(flat, stack(shape), ndim=len(shape))


def stacklists(arg: Any) -> TensorVariable:
    """A tensor from nested lists of tensors: ``stacklists([[a, b], [c, d]])`` is a matrix
    when ``a .. d`` are scalars.

    >>> a, b, c, d = T.dscalars('abcd')
    >>> T.stacklists([[a, b], [c, d]])
    """
    if isinstance(arg, (tuple, list)):
        return stack([stacklists(item) for item in arg])
    return as_tensor_variable(arg)


def horizontal_stack(*args: Any) -> TensorVariable:
    """Matrices side by side (``numpy.hstack`` for matrices: joined along axis 1)."""
    _check_matrices("horizontal_stack", args)
    return concatenate(list(args), axis=1)


def vertical_stack(*args: Any) -> TensorVariable:
    """Matrices one above the other (joined along axis 0)."""
    _check_matrices("vertical_stack", args)
    return concatenate(list(args), axis=0)


def _check_matrices(op: str, args: Sequence[Any]) -> None:
    if len(args) < 2:
        raise ValueError(f"{op}: needs at least two matrices, got {len(args)}")
    for arg in args:
        var = as_tensor_variable(arg)
        if var.ndim != 2:
            raise TypeError(f"{op}: needs matrices, got {describe(var)}")


class _NdGrid:
    """``mgrid[0:3, 0:4]`` (dense) or ``ogrid[...]`` (broadcastable): one tensor per axis."""

    def __init__(self, sparse: bool):
        self.sparse = sparse

    def __getitem__(self, slices: Any) -> list[TensorVariable]:
        if not isinstance(slices, tuple):
            slices = (slices,)
        if not all(isinstance(s, slice) for s in slices):
            raise TypeError(f"{self}: index with slices, e.g. [0:3, 0:4], got {slices!r}")
        ranges = [arange(s.start or 0, s.stop, s.step or 1) for s in slices]
        ndim = len(ranges)
        shaped = [r.dimshuffle(*(["x"] * j + [0] + ["x"] * (ndim - 1 - j)))
                  for j, r in enumerate(ranges)]
        if self.sparse:
            return shaped
        full = mul(*[second(r, np.ones((), dtype=r.dtype)) for r in shaped]) \
            if ndim > 1 else shaped[0]
        return [second(full, r) for r in shaped]

    def __str__(self) -> str:
        return "ogrid" if self.sparse else "mgrid"


mgrid = _NdGrid(sparse=False)
ogrid = _NdGrid(sparse=True)


def deg2rad(x: Any) -> TensorVariable:
    """Degrees to radians: ``x * pi / 180``."""
    return as_tensor_variable(x) * (math.pi / 180.0)


def rad2deg(x: Any) -> TensorVariable:
    """Radians to degrees: ``x * 180 / pi``."""
    return as_tensor_variable(x) * (180.0 / math.pi)


def inverse_permutation(perm: Any) -> TensorVariable:
    """The inverse of each permutation in the last axis of ``perm`` (an int vector or
    matrix): ``out[perm[i]] = i``, which is ``argsort(perm)``."""
    perm = as_tensor_variable(perm)
    if not perm.dtype.startswith(("int", "uint")):
        raise TypeError(f"inverse_permutation: needs integers, got {describe(perm)}")
    return argsort(perm, axis=-1)


def permute_row_elements(x: Any, y: Any, inverse: bool = False) -> TensorVariable:
    """Permute the elements along the last axis of ``x`` by the permutations in ``y``
    (``out[..., i] = x[..., y[..., i]]``; ``inverse`` applies their inverses). ``y`` with
    fewer dimensions applies to every row of ``x``. Differentiable in ``x``.

    >>> T.permute_row_elements(T.dmatrix('x'), T.lvector('perm'))
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if not y.dtype.startswith(("int", "uint")):
        raise TypeError(f"permute_row_elements: the permutation must be integers, got "
                        f"{describe(y)}")
    if y.ndim > x.ndim:
        raise ValueError(f"permute_row_elements: the permutation {describe(y)} has more "
                         f"dimensions than x ({describe(x)})")
    if inverse:
        y = argsort(y, axis=-1)
    if y.ndim < x.ndim:
        y = second(x, y)  # the same permutation for each row
    return PermuteAlongAxis(-1)(x, cast(y, "int64"))


def batched_tensordot(x: Any, y: Any, axes: Any = 2) -> TensorVariable:
    """``tensordot`` for each entry of the leading (batch) axis: ``out[i] =
    tensordot(x[i], y[i], axes)``. ``axes`` is an int (the last ``n`` axes of ``x`` with the
    first ``n`` non-batch axes of ``y``) or a pair of axis lists counted on the full tensors
    (axis 0, the batch, may not appear).

    >>> x, y = T.dtensor3('x'), T.dtensor3('y')
    >>> T.batched_tensordot(x, y, [[2], [1]])      # the same as batched_dot(x, y)
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        ax_x = list(range(x.ndim - n, x.ndim))
        ax_y = list(range(1, n + 1))
    else:
        ax_x = [a % x.ndim for a in np.atleast_1d(axes[0])]
        ax_y = [a % y.ndim for a in np.atleast_1d(axes[1])]
    if 0 in ax_x or 0 in ax_y or len(ax_x) != len(ax_y):
        raise ValueError(f"batched_tensordot: axes {axes!r} must pair non-batch axes of "
                         f"{describe(x)} and {describe(y)}")
    free_x = [i for i in range(1, x.ndim) if i not in ax_x]
    free_y = [i for i in range(1, y.ndim) if i not in ax_y]
    # (B, free_x..., k...) @ (B, k..., free_y...) as one batched matrix product
    xs = x.dimshuffle(0, *free_x, *ax_x)
    ys = y.dimshuffle(0, *ax_y, *free_y)
    batch = shape_i(x, 0)
    fx = [shape_i(x, i) for i in free_x]
    fy = [shape_i(y, i) for i in free_y]
    k = _product([shape_i(x, i) for i in ax_x])
    x3 = reshape(xs, stack([batch, _product(fx), k]), ndim=3)
    y3 = reshape(ys, stack([batch, k, _product(fy)]), ndim=3)
    out = batched_dot(x3, y3)
    return reshape(out, stack([batch, *fx, *fy]), ndim=1 + len(fx) + len(fy))


def _product(sizes: list[Any]) -> Any:
    if not sizes:
        return as_tensor_variable(np.int64(1))
    return mul(*sizes) if len(sizes) > 1 else sizes[0]


def divmod(x: Any, y: Any) -> tuple[TensorVariable, TensorVariable]:  # noqa: A001 (Theano)
    """``(x // y, x % y)``, as Python's ``divmod`` elementwise."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    return x // y, x % y


def cov(m: Any, y: Any = None, rowvar: bool = True, bias: bool = False,
        ddof: int | None = None) -> TensorVariable:
    """The covariance matrix of the variables in the rows (``rowvar``) or columns of ``m``
    (and ``y``, stacked after them), as ``numpy.cov`` without weights. Differentiable.

    >>> T.cov(T.dmatrix('m'))
    """
    m = as_tensor_variable(m)
    if m.ndim == 1:
        m = m.dimshuffle("x", 0)
    if not rowvar:
        m = m.T
    if y is not None:
        y = as_tensor_variable(y)
        y = y.dimshuffle("x", 0) if y.ndim == 1 else (y if rowvar else y.T)
        m = concatenate([m, y], axis=0)
    if ddof is None:
        ddof = 0 if bias else 1
    centred = m - m.mean(axis=1, keepdims=True)
    count = cast(shape_i(m, 1), m.dtype if m.dtype.startswith("float") else config.floatX)
    return dense_dot(centred, centred.T) / (count - ddof)
