"""JAX translations of the ops without inner graphs: elementwise, reductions, shapes, indexing,
linear algebra, neural-network ops, sorting and the rest of ops/ (convolution and pooling are
jax_conv.py; control flow and random draws jax_control.py and jax_random.py). One function
per op class, ``(node, *input values) -> output(s)``.

Imported only by the JAX linker. XLA needs static shapes: an input that gives a shape or a
size must be known when the function is traced (a constant, or computed from other arrays'
shapes, which the linker evaluates with NumPy while tracing); ``static`` says so clearly
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod as math_prod
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core.graph import Apply, Variable
from ..ops import (
    alloc,
    blas,
    elemwise,
    extra_ops,
    join,
    linalg,
    math,
    nnet,
    print_op,
    shape,
    sort,
    special,
    subtensor,
)
from ..ops.subtensor import SliceEntry
from .jax_scalars import scalar_function, value_check
from .jax_slices import slice_length, window_bounds

Translation = Callable[..., Any]


class StaticValueError(ValueError):
    """A value that fixes a shape is only known at run time: XLA cannot compile that."""


def is_concrete(value: Any) -> bool:
    """Whether ``value`` is known while tracing (NumPy), not a traced JAX value."""
    return not isinstance(value, jax.Array)


def static(node: Apply, value: Any, what: str) -> np.ndarray:
    """``value`` as NumPy, or a clear error naming the node when it is a traced value."""
    if not is_concrete(value):
        raise StaticValueError(
            f"JAX linker: {what} of node {node.uid} ({node.op}) is computed at run time, but "
            f"XLA needs it when compiling (static shapes); make it a constant or derive it "
            f"from input shapes")
    return np.asarray(value)


def static_ints(node: Apply, value: Any, what: str) -> tuple[int, ...]:
    return tuple(int(v) for v in static(node, value, what).reshape(-1))


# -- elementwise, reductions -------------------------------------------------------------
def _elemwise(node: Apply, *xs: Any) -> Any:
    if any(jnp.shape(x) != jnp.shape(xs[0]) for x in xs):  # shapes are static while tracing
        elemwise.broadcast_shape(node, [jnp.asarray(x) for x in xs])  # Theano's rule, not JAX's
    return scalar_function(node.op.scalar_op, node.outputs[0].dtype)(*xs)


def _dimshuffle(node: Apply, x: Any) -> Any:
    op = node.op
    if op.dropped:
        x = jnp.squeeze(x, axis=op.dropped)
    x = jnp.transpose(x, op.perm)
    return jnp.expand_dims(x, op.augment) if op.augment else x


_REDUCERS: dict[str, Callable[..., Any]] = {
    "add": jnp.sum, "mul": jnp.prod, "maximum": jnp.max, "minimum": jnp.min, "and_": jnp.all,
    "or_": jnp.any}


def _careduce(node: Apply, x: Any) -> Any:
    op, dtype = node.op, node.outputs[0].dtype
    axis = tuple(range(x.ndim)) if op.axis is None else op.axis
    name = op.scalar_op.name
    if name == "xor":  # parity of the true elements
        return jnp.sum(x != 0, axis=axis) % 2 == 1
    if name in ("add", "mul") and dtype == "float16":  # NumPy's half loop sums in float32
        return _REDUCERS[name](x.astype(jnp.float32), axis=axis).astype(jnp.float16)
    if name in ("add", "mul"):  # sums and products accumulate in the output dtype
        return _REDUCERS[name](x, axis=axis, dtype=dtype)
    out = _REDUCERS[name](x, axis=axis)
    if name in ("maximum", "minimum") and jnp.issubdtype(x.dtype, jnp.floating) and x.size:
        return _numpy_zero_sign(x, axis, out)
    return out


def _numpy_zero_sign(x: Any, axis: tuple[int, ...], out: Any) -> Any:
    """``out`` (a max or min over ``axis``) with NumPy's sign where it is zero: NumPy folds
    with maximum/minimum, which keep the later of two equal values (the earlier in float16),
    so max([0.0, -0.0]) is -0.0; XLA's reduction gives +0.0."""
    keep = [i for i in range(x.ndim) if i not in axis]
    moved = jnp.transpose(x, keep + list(axis))
    flat = moved.reshape(moved.shape[: len(keep)] + (math_prod(moved.shape[len(keep):]),))
    zero = flat == 0
    n = flat.shape[-1]
    if x.dtype == jnp.float16:
        at = jnp.argmax(zero, axis=-1)
    else:
        at = n - 1 - jnp.argmax(zero[..., ::-1], axis=-1)
    negative = jnp.take_along_axis(jnp.signbit(flat), at[..., None], axis=-1)[..., 0]
    return jnp.where(out == 0, jnp.where(negative, -0.0, 0.0).astype(out.dtype), out)


def _argmax(node: Apply, x: Any) -> Any:
    op = node.op
    axes = tuple(range(x.ndim)) if op.axis is None else op.axis
    keep = [i for i in range(x.ndim) if i not in axes]
    moved = jnp.transpose(x, keep + list(axes))
    # the reduced axes' size spelled out: -1 cannot be inferred when an axis is empty
    flat = moved.reshape(moved.shape[: len(keep)] + (math_prod(moved.shape[len(keep):]),))
    find = jnp.argmax if op.kind == "max" else jnp.argmin
    return find(flat, axis=-1)


def _cumop(node: Apply, x: Any) -> Any:
    scan = jnp.cumsum if node.op.mode == "add" else jnp.cumprod
    return scan(x, axis=node.op.axis, dtype=node.outputs[0].dtype)


# -- shapes and allocation ---------------------------------------------------------------
def _shape(node: Apply, x: Any) -> Any:
    return np.asarray(jnp.shape(x), dtype="int64")  # static while tracing


def _shape_i(node: Apply, x: Any) -> Any:
    return np.asarray(jnp.shape(x)[node.op.i], dtype="int64")


def _make_vector(node: Apply, *xs: Any) -> Any:
    if all(is_concrete(x) for x in xs):
        return np.array([np.asarray(x) for x in xs], dtype=node.op.dtype)
    return jnp.stack([jnp.asarray(x) for x in xs]).astype(node.op.dtype)


def _reshape(node: Apply, x: Any, shp: Any) -> Any:
    return jnp.reshape(x, static_ints(node, shp, "the new shape"))


def _alloc(node: Apply, value: Any, *sizes: Any) -> Any:
    target = tuple(int(static(node, s, "the allocated shape")) for s in sizes)
    return jnp.broadcast_to(value, target)


def _arange(node: Apply, start: Any, stop: Any, step: Any) -> Any:
    first, last, by = (static(node, v, "a bound of arange").item() for v in (start, stop, step))
    return jnp.arange(first, last, by, dtype=node.op.dtype)


def _eye(node: Apply, n: Any, m: Any, k: Any) -> Any:
    n_, m_, k_ = (int(static(node, v, "the size of eye")) for v in (n, m, k))
    return jnp.eye(n_, m_, k_, dtype=node.op.dtype)


def _tile(node: Apply, x: Any, reps: Any) -> Any:
    return jnp.tile(x, static_ints(node, reps, "the repetitions of tile"))


def _repeat(node: Apply, x: Any, repeats: Any) -> Any:
    counts = static(node, repeats, "the repeat counts")
    total = int(np.sum(np.broadcast_to(counts, (x.shape[node.op.axis],))))
    return jnp.repeat(x, counts, axis=node.op.axis, total_repeat_length=total)


def _fill_diagonal(node: Apply, a: Any, val: Any) -> Any:
    return jnp.asarray(a).at[node.op.positions(a.shape)].set(val)  # a may be NumPy's


def _join(node: Apply, axis: Any, *tensors: Any) -> Any:
    return jnp.concatenate(tensors, axis=int(static(node, axis, "the join axis")))


def _split(node: Apply, x: Any, axis: Any, splits: Any) -> tuple:
    sizes = static_ints(node, splits, "the split sizes")
    points = np.cumsum(sizes)[:-1].tolist()
    return tuple(jnp.split(x, points, axis=int(static(node, axis, "the split axis"))))


def _unravel_index(node: Apply, indices: Any, dims: Any) -> tuple:
    dims_ = static_ints(node, dims, "the dimensions")
    if node.op.order == "F":
        return tuple(jnp.unravel_index(indices, dims_[::-1]))[::-1]
    return tuple(jnp.unravel_index(indices, dims_))


def _ravel_multi_index(node: Apply, *args: Any) -> Any:
    *coords, dims = args
    dims_ = static_ints(node, dims, "the dimensions")
    # a compiled XLA program cannot raise on an out-of-range index: 'raise' clips
    mode = "clip" if node.op.mode == "raise" else node.op.mode
    return jnp.ravel_multi_index(tuple(coords), dims_, mode=mode, order=node.op.order)


# -- indexing ----------------------------------------------------------------------------
def _index(node: Apply, values: tuple, variables: Sequence[Variable]
           ) -> tuple[tuple, dict[int, tuple]]:
    """The JAX index for a basic indexing op's index list: scalar indices may be traced,
    slice bounds must be static, or (``x[i * bs:(i + 1) * bs]``) traced with a length known
    while tracing: such a slice is a window {axis: (start, stop, length)} and ``slice(None)``."""
    it, syms = iter(values), iter(variables)
    out: list[Any] = []
    windows: dict[int, tuple[Any, Any, int]] = {}
    for axis, entry in enumerate(node.op.idx_list):
        if not isinstance(entry, SliceEntry):
            out.append(next(it))
            next(syms)
            continue
        parts = [None if p is None else (next(it), next(syms)) for p in entry.parts()]
        if all(p is None or is_concrete(p[0]) for p in parts):
            out.append(slice(*[None if p is None else int(np.asarray(p[0])) for p in parts]))
            continue
        (start, stop, step), length = parts, None
        if start is not None and stop is not None and (
                step is None or (is_concrete(step[0]) and int(np.asarray(step[0])) == 1)):
            length = slice_length(start[1], stop[1])
        if not length or length < 0:
            for p in parts:  # the clear error, naming the node
                static(node, None if p is None else p[0], "a slice bound")
        assert start is not None and stop is not None and length  # else static() raised
        windows[axis] = (start[0], stop[0], length)
        out.append(slice(None))
    return tuple(out), windows


def _windows(node: Apply, x: Any, windows: dict[int, tuple]) -> tuple[list, list]:
    """``lax.dynamic_slice``'s starts and sizes for ``windows``, checking at run time that
    each is NumPy's slice: a start past the end would be shifted back in by XLA, where NumPy
    gives a shorter (or wrapped) slice."""
    found: dict[int, tuple[Any, int]] = {}
    for axis, (start, stop, length) in windows.items():
        n = x.shape[axis]
        # NumPy's reading of negative bounds (from the end), then no clipping allowed
        start, stop = (jnp.where(b < 0, b + n, b) for b in
                       (jnp.asarray(start, "int64"), jnp.asarray(stop, "int64")))
        value_check((start >= 0) & (stop - start == length) & (stop <= n),
                    f"{node.op} at node {node.uid}: the JAX linker slices {length} entries "
                    f"of axis {axis} (size {n}, input shape {x.shape}) from a start computed "
                    f"at run time, but this call's slice has another length in NumPy (it runs past "
                    f"an end); XLA needs a static one", IndexError)
        found[axis] = (start, length)
    return window_bounds(tuple(x.shape), found)


def _in_bounds(node: Apply, x: Any, key: tuple) -> tuple:
    """``key`` after checking its indices against ``x``'s shape: XLA would clamp an
    out-of-bounds index (a wrong answer) where NumPy raises. Indices known while tracing
    raise here, traced ones at run time (checkify, see jax_scalars.value_check)."""
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            continue
        n = x.shape[axis]
        if isinstance(k, jax.core.Tracer):
            if jnp.issubdtype(k.dtype, jnp.integer):
                low = k >= -n if jnp.issubdtype(k.dtype, jnp.signedinteger) else True
                value_check(jnp.all((k < n) & low),
                            f"{node.op} at node {node.uid}: an index is out of bounds for "
                            f"axis {axis} with size {n} (input shape {x.shape})", IndexError)
            continue
        a = np.asarray(k)
        bad = a[(a >= n) | (a < -n)] if a.dtype.kind in "iu" else a[:0]
        if bad.size:
            raise IndexError(f"{node.op} at node {node.uid}: index {bad.reshape(-1)[0]} is out of "
                             f"bounds for axis {axis} with size {n} (input shape {x.shape})")
    return key


def without_reverses(x: Any, key: tuple) -> tuple[Any, tuple]:
    """``x`` and ``key`` with each negative-step slice done first as a gather of its static
    positions: XLA's algebraic simplifier aborts the process on some reverses of a
    scatter-add (the scan gradient's ``x[::-1]``; HandleReverse, "Invalid binary
    instruction opcode map")."""
    out = list(key)
    for axis, k in enumerate(key):
        if isinstance(k, slice) and k.step is not None and k.step < 0:
            x = jnp.take(jnp.asarray(x), np.arange(*k.indices(x.shape[axis])), axis=axis)
            out[axis] = slice(None)
    return x, tuple(out)


def _subtensor(node: Apply, x: Any, *idx: Any) -> Any:
    key, windows = _index(node, idx, node.inputs[1:])
    if windows:
        x = lax.dynamic_slice(jnp.asarray(x), *_windows(node, x, windows))
    x, key = without_reverses(x, _in_bounds(node, x, key))
    return x[key]


def _inc_subtensor(node: Apply, x: Any, y: Any, *idx: Any) -> Any:
    x = jnp.asarray(x)  # a NumPy array when known while tracing (e.g. zeros of a static shape)
    key, windows = _index(node, idx, node.inputs[2:])
    starts, sizes = _windows(node, x, windows) if windows else ([], [])
    part = lax.dynamic_slice(x, starts, sizes) if windows else x
    at = part.at[_in_bounds(node, part, key)]
    part = at.set(y) if node.op.set_instead_of_inc else at.add(y)
    return lax.dynamic_update_slice(x, part, starts) if windows else part


def _advanced_subtensor1(node: Apply, x: Any, ilist: Any) -> Any:
    return x[_in_bounds(node, x, (ilist,))]


def _advanced_inc_subtensor1(node: Apply, x: Any, y: Any, ilist: Any) -> Any:
    at = jnp.asarray(x).at[_in_bounds(node, x, (ilist,))]  # x may be NumPy's (see above)
    return at.set(y) if node.op.set_instead_of_inc else at.add(y)


def _nonzero(node: Apply, a: Any) -> Any:
    found = static(node, a, "the input of nonzero (its result's length)")
    return np.array(np.nonzero(found), dtype="int64").reshape(found.ndim, -1)


def _bincount(node: Apply, x: Any, *weights: Any) -> Any:
    # the result's length is max(x) + 1: XLA must know it, so x must be known while tracing
    values = static(node, x, "the input of bincount (its maximum sets the result's length)")
    length = max(int(values.max(initial=-1)) + 1, node.op.minlength or 0)
    return jnp.bincount(x, weights[0] if weights else None, length=length)


# -- linear algebra ----------------------------------------------------------------------
def _batched_dot(node: Apply, a: Any, b: Any) -> Any:
    a3 = a if a.ndim == 3 else a[:, None, :]
    b3 = b if b.ndim == 3 else b[:, :, None]
    out = jnp.matmul(a3, b3)
    if b.ndim == 2:
        out = out[..., 0]
    return out[:, 0] if a.ndim == 2 else out


def _gemm(node: Apply, z: Any, alpha: Any, x: Any, y: Any, beta: Any) -> Any:
    return beta * z + alpha * jnp.dot(x, y)


def _eye_like(node: Apply, x: Any) -> Any:
    rows, cols = x.shape
    return jnp.eye(rows, cols, dtype=node.outputs[0].dtype)


# -- neural networks ---------------------------------------------------------------------
def _softmax_grad(node: Apply, dy: Any, sm: Any) -> Any:
    # dx = (dy - sum(dy * sm)) * sm
    return (dy - jnp.sum(dy * sm, axis=-1, keepdims=True)) * sm


# picks per row by label: take_along_axis and one-hot masks, not scatter/gather by (row,
# label) pairs, so a batch sharded over a mesh stays sharded (no gather collectives)
def _picked(x: Any, y: Any) -> Any:
    return jnp.take_along_axis(x, y[:, None], axis=1)[:, 0]


def _one_hot(y: Any, like: Any) -> Any:
    return jnp.arange(like.shape[1]) == y[:, None]


def _crossentropy_1hot(node: Apply, dist: Any, y: Any) -> Any:
    return -jnp.log(_picked(dist, y))


def _crossentropy_1hot_grad(node: Apply, g: Any, dist: Any, y: Any) -> Any:
    return jnp.where(_one_hot(y, dist), (-g / _picked(dist, y))[:, None], 0).astype(dist.dtype)


def _crossentropy_softmax_1hot(node: Apply, x: Any, y: Any) -> tuple:
    log_sm = jax.nn.log_softmax(x.astype(node.outputs[1].dtype), axis=-1)
    return -_picked(log_sm, y), jnp.exp(log_sm)


def _crossentropy_softmax_1hot_dx(node: Apply, dy: Any, sm: Any, y: Any) -> Any:
    return (sm - _one_hot(y, sm)) * dy[:, None]


def _polygamma(node: Apply, x: Any) -> Any:
    n = node.op.n
    return jax.scipy.special.digamma(x) if n == 0 else jax.scipy.special.polygamma(n, x)


# -- sorting -----------------------------------------------------------------------------
def _sort(node: Apply, x: Any) -> Any:
    return jnp.sort(x, axis=node.op.axis, stable=node.op.kind in ("mergesort", "stable"))


def _argsort(node: Apply, x: Any) -> Any:
    return jnp.argsort(x, axis=node.op.axis, stable=node.op.kind in ("mergesort", "stable"))


def _searchsorted(node: Apply, x: Any, v: Any, *sorter: Any) -> Any:
    if sorter:
        x = x[sorter[0]]
    return jnp.searchsorted(x, v, side=node.op.side)


def _print(node: Apply, x: Any) -> Any:
    # the op's own print function, called when the compiled program runs (not when traced)
    op = node.op
    jax.debug.callback(lambda value: op.global_fn(op, np.asarray(value)), x)
    return x


def _identity(node: Apply, x: Any) -> Any:
    return x


def _unary(function: Callable) -> Translation:
    return lambda node, x: function(x)


def _binary(function: Callable) -> Translation:
    return lambda node, x, y: function(x, y)


# op class -> translation (IdentityForward, GPU transfers and the control ops: jax_ops.py)
MATH_TRANSLATIONS: dict[type, Translation] = {
    elemwise.Elemwise: _elemwise,
    elemwise.DimShuffle: _dimshuffle,
    elemwise.CAReduce: _careduce,
    math.Argmax: _argmax,
    extra_ops.CumOp: _cumop,
    extra_ops.BinCount: _bincount,
    extra_ops.FillDiagonal: _fill_diagonal,
    extra_ops.UnravelIndex: _unravel_index,
    extra_ops.RavelMultiIndex: _ravel_multi_index,
    shape.Shape: _shape,
    shape.Shape_i: _shape_i,
    shape.MakeVector: _make_vector,
    shape.Reshape: _reshape,
    shape.Rebroadcast: _identity,
    alloc.Alloc: _alloc,
    alloc.ARange: _arange,
    alloc.Eye: _eye,
    alloc.Tile: _tile,
    alloc.Repeat: _repeat,
    alloc.AllocDiag: lambda node, x: jnp.diag(x, node.op.offset),
    alloc.ExtractDiag: lambda node, x: jnp.diagonal(x, node.op.offset),
    join.Join: _join,
    join.Split: _split,
    subtensor.Subtensor: _subtensor,
    subtensor.IncSubtensor: _inc_subtensor,
    subtensor.AdvancedSubtensor1: _advanced_subtensor1,
    subtensor.AdvancedIncSubtensor1: _advanced_inc_subtensor1,
    subtensor.AdvancedSubtensor: _subtensor,
    subtensor.AdvancedIncSubtensor: _inc_subtensor,
    subtensor.Nonzero: _nonzero,
    linalg.Dot: _binary(jnp.dot),
    linalg.TensorDot: lambda node, a, b: jnp.tensordot(a, b, node.op.axes),
    linalg.BatchedDot: _batched_dot,
    linalg.MatrixInverse: _unary(jnp.linalg.inv),
    linalg.Det: _unary(jnp.linalg.det),
    linalg.Trace: _unary(jnp.trace),
    linalg.EyeLike: _eye_like,
    linalg.Pinv: _unary(jnp.linalg.pinv),
    blas.Gemm: _gemm,
    nnet.Softmax: lambda node, x: jax.nn.softmax(x.astype(node.outputs[0].dtype), axis=-1),
    nnet.SoftmaxGrad: _softmax_grad,
    nnet.LogSoftmax: lambda node, x: jax.nn.log_softmax(x.astype(node.outputs[0].dtype),
                                                        axis=-1),
    nnet.CrossentropyCategorical1Hot: _crossentropy_1hot,
    nnet.CrossentropyCategorical1HotGrad: _crossentropy_1hot_grad,
    nnet.CrossentropySoftmax1Hot: _crossentropy_softmax_1hot,
    nnet.CrossentropySoftmax1HotDx: _crossentropy_softmax_1hot_dx,
    special.Polygamma: _polygamma,
    sort.SortOp: _sort,
    sort.ArgSortOp: _argsort,
    sort.PermuteAlongAxis: lambda node, x, perm: jnp.take_along_axis(x, perm, node.op.axis),
    sort.SearchsortedOp: _searchsorted,
    print_op.Print: _print,
}
