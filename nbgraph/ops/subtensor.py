"""Indexing ops: basic slicing (Subtensor, a view), integer-array indexing (AdvancedSubtensor1,
AdvancedSubtensor), boolean masks (through ``nonzero.py``, re-exported here), and the ops that
update what they index. Turning a Python index into these ops (``x[...]``, ``inc_subtensor``)
is ``indexing.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.tensor_math import MATH
from ..core.types import TensorType, is_int
from ..core.variable import TensorVariable, as_tensor_variable, const_int, describe
from .elemwise import sum_to
from .nonzero import Nonzero, flatnonzero, nonzero, nonzero_values

__all__ = ["nonzero", "flatnonzero", "nonzero_values", "Subtensor", "IncSubtensor",
           "AdvancedSubtensor1", "AdvancedIncSubtensor1", "AdvancedSubtensor",
           "AdvancedIncSubtensor", "Nonzero", "SliceEntry"]


@dataclass(frozen=True)
class SliceEntry:
    """A slice in an op's index list; each part is None (absent) or the dtype of the scalar
    input that gives it, so ``x[1:n]`` prints as ``int64:int64:``."""

    start: str | None
    stop: str | None
    step: str | None

    def parts(self) -> tuple[str | None, str | None, str | None]:
        return (self.start, self.stop, self.step)

    def __str__(self) -> str:
        return ":".join("" if p is None else p for p in self.parts())


# An index-list entry: a dtype string (one int scalar input), a SliceEntry, or ARRAY (one
# integer tensor input, for the advanced ops).
ARRAY = "array"
Entry = str | SliceEntry


def _n_inputs(idx_list: tuple[Entry, ...]) -> int:
    return sum(sum(p is not None for p in e.parts()) if isinstance(e, SliceEntry) else 1
               for e in idx_list)


def _check_index_inputs(op: Op, idx_list: tuple[Entry, ...], indices: list[TensorVariable]) -> None:
    if len(indices) != _n_inputs(idx_list):
        raise TypeError(f"{op}: expects {_n_inputs(idx_list)} index inputs, got {len(indices)}")
    wanted = [p for e in idx_list for p in (e.parts() if isinstance(e, SliceEntry) else [e])
              if p is not None]
    for want, var in zip(wanted, indices, strict=True):
        if not is_int(var.dtype) or var.dtype == "bool":
            raise TypeError(f"{op}: index {var} must be an integer, got {describe(var)}")
        if want == ARRAY:
            continue
        if var.ndim != 0 or var.dtype != want:
            raise TypeError(f"{op}: index {var} must be an {want} scalar, got {describe(var)}")


def _numpy_index(idx_list: tuple[Entry, ...], values: list[Any]) -> tuple:
    """The NumPy index tuple for an op's index list and its index input values."""
    it = iter(values)
    out: list[Any] = []
    for e in idx_list:
        if isinstance(e, SliceEntry):
            out.append(slice(*[None if p is None else int(next(it)) for p in e.parts()]))
        elif e == ARRAY:
            out.append(next(it))
        else:
            out.append(int(next(it)))
    return tuple(out)


def _slice_length(parts: list[TensorVariable | None], size: int | None) -> int | None:
    """The static length of ``x[start:stop:step]`` along a dimension, when computable."""
    if all(p is None for p in parts):
        return size
    values = [None if p is None else const_int(p) for p in parts]
    if size is None or any(v is None and p is not None for v, p in zip(values, parts,
                                                                          strict=True)):
        return None
    if values[2] == 0:
        raise ValueError("slice step cannot be zero")
    return len(range(*slice(*values).indices(size)))


def _split_parts(idx_list: tuple[Entry, ...], indices: list[TensorVariable]
                 ) -> list[TensorVariable | list[TensorVariable | None]]:
    """Group index inputs by entry: a Variable per scalar/array, a 3-list (start, stop,
    step) per slice."""
    it = iter(indices)
    grouped: list[TensorVariable | list[TensorVariable | None]] = []
    for e in idx_list:
        if isinstance(e, SliceEntry):
            grouped.append([None if p is None else next(it) for p in e.parts()])
        else:
            grouped.append(next(it))
    return grouped


def _basic_shape(op: Op, x: TensorVariable, idx_list: tuple[Entry, ...],
                 indices: list[TensorVariable]) -> list[int | None]:
    if len(idx_list) > x.ndim:
        raise IndexError(f"{op}: too many indices ({len(idx_list)}) for {describe(x)}")
    shape: list[int | None] = []
    for axis, parts in enumerate(_split_parts(idx_list, indices)):
        size = x.type.shape[axis]
        if isinstance(parts, list):  # a slice
            try:
                shape.append(_slice_length(parts, size))
            except ValueError as err:
                raise ValueError(f"{op}: {err}") from None
            continue
        value = const_int(parts)
        if value is not None and size is not None and not -size <= value < size:
            raise IndexError(f"{op}: index {value} is out of bounds for axis {axis} of "
                             f"{describe(x)}")
    return shape + list(x.type.shape[len(idx_list):])


def _run_index(op: Op, node: Apply, x: np.ndarray, index: tuple) -> np.ndarray:
    try:
        return x[index]
    except IndexError as err:
        raise IndexError(f"{op} at node {node.uid}: {err} (input shape {x.shape})") from None


def _check_value_shape(op: Op, node: Apply, y_var: TensorVariable, y: np.ndarray,
                       target: tuple[int, ...]) -> None:
    """``y`` must match the indexed region, broadcasting only where its type says so."""
    lead = len(target) - y.ndim
    pattern = y_var.type.broadcastable
    for axis, size in enumerate(y.shape):
        if size != target[lead + axis] and not pattern[axis]:
            raise ValueError(f"{op} at node {node.uid}: value of shape {y.shape} does not fit "
                             f"the indexed region of shape {target} (dimension {axis}; a "
                             f"length-1 dimension broadcasts only if its type is "
                             f"broadcastable)")


def _prepare_value(op: Op, x: TensorVariable, y: Any, region: TensorType) -> TensorVariable:
    """``y`` as a tensor of ``x``'s dtype, statically compatible with the indexed region."""
    y = as_tensor_variable(y)
    if y.dtype != x.dtype:
        if getattr(y, "weak", False) or np.can_cast(y.dtype, x.dtype, "safe"):
            y = MATH.cast(y, x.dtype)
        else:
            raise TypeError(f"{op}: cannot store {describe(y)} into {describe(x)} without "
                            f"losing precision; cast the value to {x.dtype} first")
    if y.ndim > region.ndim:
        raise ValueError(f"{op}: value {describe(y)} has more dimensions than the indexed "
                         f"region {region.short()} of {describe(x)}")
    lead = region.ndim - y.ndim
    for axis, size in enumerate(y.type.shape):
        want = region.shape[lead + axis]
        if size not in (None, 1) and want is not None and size != want:
            raise ValueError(f"{op}: value {describe(y)} does not fit the indexed region "
                             f"{region.short()} of {describe(x)} (dimension {axis})")
    return y


def _zeros_like(x: TensorVariable) -> TensorVariable:
    return MATH.zeros_like(x)


# the static shape of ``x[idx]``: (op, x, idx_list, index inputs) -> shape
RegionShape = Callable[[Op, TensorVariable, tuple[Entry, ...], list[TensorVariable]],
                       list[int | None]]


def _indexed(op: Subtensor | AdvancedSubtensor | _IndexedUpdate, x: Any,
             indices: tuple[Any, ...], region_shape: RegionShape
             ) -> tuple[TensorVariable, list[TensorVariable], TensorType]:
    """``x``, its checked index inputs, and the type of the region ``x[idx]`` for an op with
    an ``idx_list`` (``region_shape`` is ``_basic_shape`` or ``_advanced_shape``)."""
    tensor = as_tensor_variable(x)
    checked = [as_tensor_variable(i) for i in indices]
    _check_index_inputs(op, op.idx_list, checked)
    shape = region_shape(op, tensor, op.idx_list, checked)
    return tensor, checked, TensorType(tensor.dtype, shape=shape)


def _read_grad(x: TensorVariable, g: TensorVariable, indices: list[TensorVariable], inc: Op
               ) -> list[TensorVariable | None]:
    """Gradient of reading ``x[idx]``: scatter ``g`` back into zeros shaped like ``x``."""
    none: list[TensorVariable | None] = [None] * len(indices)
    if is_int(x.dtype):
        return [None, *none]
    return [inc(_zeros_like(x), g, *indices), *none]


def _update_grad(op: _IndexedUpdate | AdvancedIncSubtensor1, inputs: list[TensorVariable],
                 g: TensorVariable, read: Op, setter: Op) -> list[TensorVariable | None]:
    """Gradient of ``x`` with ``x[idx]`` incremented by (or set to) ``y``.

    ``read`` indexes like ``op`` and ``setter`` is ``op``'s set form: setting leaves the
    overwritten region of ``x`` without gradient, incrementing passes ``g`` through to ``x``;
    ``y`` gets ``g[idx]`` summed back to its own (broadcast) shape.
    """
    x, y, *indices = inputs
    none: list[TensorVariable | None] = [None] * len(indices)
    if is_int(x.dtype):
        return [None, None, *none]
    gx = setter(g, _zeros_like(y), *indices) if op.set_instead_of_inc else g
    gy = read(g, *indices)
    if op.set_instead_of_inc and not isinstance(op, IncSubtensor):
        # a repeated index keeps one write (the last): the others get no gradient. Stamping
        # each entry's position through the same set finds it, whatever order the linker keeps
        stamp = MATH.arange(MATH.prod(gy.shape)).reshape(gy.shape, ndim=gy.ndim)
        kept = read(setter(MATH.zeros_like(x, dtype=stamp.dtype), stamp, *indices), *indices)
        gy = gy * MATH.eq(kept, stamp)
    return [gx, sum_to(gy, y), *none]


# -- basic indexing ---------------------------------------------------------------------------
class Subtensor(Op):
    """Basic indexing (ints and slices): ``x[1, 2:n]`` is ``Subtensor{int64, int64:int64:}``.

    The output is a view of ``x``.
    """

    __props__ = ("idx_list",)
    view_map = {0: [0]}

    def __init__(self, idx_list: tuple[Entry, ...]):
        self.idx_list = tuple(idx_list)

    def __str__(self) -> str:
        return "Subtensor{" + ", ".join(str(e) for e in self.idx_list) + "}"

    def make_node(self, x: Any, *indices: Any) -> Apply:
        x, checked, region = _indexed(self, x, indices, _basic_shape)
        return Apply(self, [x, *checked], [region.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        index = _numpy_index(self.idx_list, inputs[1:])
        # the trailing Ellipsis keeps a 0-d result a view, not a NumPy scalar
        output_storage[0][0] = _run_index(self, node, inputs[0], index + (Ellipsis,))

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # an int index drops its axis, a plain ':' keeps it; other slices: unknown (None)
        out: list[Any] = []
        for axis, entry in enumerate(self.idx_list):
            if isinstance(entry, SliceEntry):
                plain = all(p is None for p in entry.parts())
                out.append(shapes[0][axis] if plain else None)
        return [(*out, *shapes[0][len(self.idx_list):])]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return _read_grad(inputs[0], output_grads[0], inputs[1:], IncSubtensor(self.idx_list))


class _IndexedUpdate(Op):
    """``x`` with ``x[idx]`` incremented by (or set to) ``y`` for an ``idx_list`` index: the
    flags, inputs and output type IncSubtensor and AdvancedIncSubtensor share.

    ``inplace`` overwrites ``x`` (a destroy); ``region_shape`` is the static shape rule of
    the matching read op.
    """

    __props__ = ("idx_list", "inplace", "set_instead_of_inc")
    region_shape: RegionShape

    def __init__(self, idx_list: tuple[Entry, ...], inplace: bool = False,
                 set_instead_of_inc: bool = False):
        self.idx_list = tuple(idx_list)
        self.inplace = inplace
        self.set_instead_of_inc = set_instead_of_inc
        self.destroy_map = {0: [0]} if inplace else {}

    def make_node(self, x: Any, y: Any, *indices: Any) -> Apply:
        x, checked, region = _indexed(self, x, indices, self.region_shape)
        y = _prepare_value(self, x, y, region)
        return Apply(self, [x, y, *checked], [x.type.make_variable()])


class IncSubtensor(_IndexedUpdate):
    """``x`` with ``x[idx]`` incremented by (or set to) ``y``: ``IncSubtensor{Inc;int64}``."""

    region_shape = staticmethod(_basic_shape)

    def __str__(self) -> str:
        mode = ("Inplace" if self.inplace else "") + ("Set" if self.set_instead_of_inc
                                                      else "Inc")
        return f"IncSubtensor{{{mode};{', '.join(str(e) for e in self.idx_list)}}}"

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y, *values = inputs
        out = x if self.inplace else x.copy()
        view = _run_index(self, node, out, _numpy_index(self.idx_list, values) + (Ellipsis,))
        _check_value_shape(self, node, node.inputs[1], y, view.shape)
        if self.set_instead_of_inc:
            view[...] = y
        else:
            view += y
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return _update_grad(self, inputs, output_grads[0], Subtensor(self.idx_list),
                            IncSubtensor(self.idx_list, set_instead_of_inc=True))


# -- integer-array indexing -------------------------------------------------------------------
def _check_int_vector(op: Op, ilist: TensorVariable) -> None:
    if ilist.ndim != 1 or not is_int(ilist.dtype) or ilist.dtype == "bool":
        raise TypeError(f"{op}: index must be an integer vector, got {describe(ilist)}")


class AdvancedSubtensor1(Op):
    """``x[ilist]`` for one integer vector on the first axis (a copy, not a view)."""

    def make_node(self, x: Any, ilist: Any) -> Apply:
        x, ilist = as_tensor_variable(x), as_tensor_variable(ilist)
        _check_int_vector(self, ilist)
        if x.ndim == 0:
            raise IndexError(f"{self}: cannot index the 0-d {describe(x)}")
        shape = (ilist.type.shape[0], *x.type.shape[1:])
        return Apply(self, [x, ilist], [TensorType(x.dtype, shape=shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, ilist = inputs
        output_storage[0][0] = _run_index(self, node, x, ilist)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [(*shapes[1], *shapes[0][1:])]   # x[ilist]: ilist's length, then x's rest

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return _read_grad(inputs[0], output_grads[0], inputs[1:], AdvancedIncSubtensor1())


class AdvancedIncSubtensor1(Op):
    """``x`` with rows ``ilist`` incremented by (or set to) ``y``; repeated indices accumulate
    (NumPy's ``np.add.at``), as in Theano."""

    __props__ = ("inplace", "set_instead_of_inc")

    def __init__(self, inplace: bool = False, set_instead_of_inc: bool = False):
        self.inplace = inplace
        self.set_instead_of_inc = set_instead_of_inc
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self) -> str:
        return (f"AdvancedIncSubtensor1{{{'inplace' if self.inplace else 'no_inplace'},"
                f"{'set' if self.set_instead_of_inc else 'inc'}}}")

    def make_node(self, x: Any, y: Any, ilist: Any) -> Apply:
        x, ilist = as_tensor_variable(x), as_tensor_variable(ilist)
        _check_int_vector(self, ilist)
        if x.ndim == 0:
            raise IndexError(f"{self}: cannot index the 0-d {describe(x)}")
        region = TensorType(x.dtype, shape=(ilist.type.shape[0], *x.type.shape[1:]))
        y = _prepare_value(self, x, y, region)
        return Apply(self, [x, y, ilist], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y, ilist = inputs
        out = x if self.inplace else x.copy()
        _check_bounds(self, node, out, ilist)
        _check_value_shape(self, node, node.inputs[1], y, (len(ilist), *x.shape[1:]))
        if self.set_instead_of_inc:
            out[ilist] = y
        else:
            np.add.at(out, ilist, y)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return _update_grad(self, inputs, output_grads[0], AdvancedSubtensor1(),
                            AdvancedIncSubtensor1(set_instead_of_inc=True))


def _check_bounds(op: Op, node: Apply, x: np.ndarray, ilist: np.ndarray) -> None:
    if ilist.size and (ilist.max() >= len(x) or ilist.min() < -len(x)):
        bad = ilist[(ilist >= len(x)) | (ilist < -len(x))][0]
        raise IndexError(f"{op} at node {node.uid}: index {bad} is out of bounds for axis 0 "
                         f"(input shape {x.shape})")


def _advanced_shape(op: Op, x: TensorVariable, idx_list: tuple[Entry, ...],
                    indices: list[TensorVariable]) -> list[int | None]:
    """NumPy's rule: the broadcast shape of the integer arrays replaces their dimensions in
    place when they are adjacent, else it goes first; slices keep their dimensions."""
    if len(idx_list) > x.ndim:
        raise IndexError(f"{op}: too many indices ({len(idx_list)}) for {describe(x)}")
    grouped = _split_parts(idx_list, indices)
    arrays = [k for k, e in enumerate(idx_list) if e == ARRAY]
    index_arrays = [v for e, v in zip(idx_list, grouped, strict=True)
                    if e == ARRAY and isinstance(v, TensorVariable)]
    bdim = max(v.ndim for v in index_arrays)
    bshape: list[int | None] = []
    for axis in range(bdim):
        sizes = [v.type.shape[axis - bdim + v.ndim] for v in index_arrays
                 if axis - bdim + v.ndim >= 0]
        known = set(sizes) - {None, 1}
        if len(known) > 1:
            raise IndexError(f"{op}: index arrays do not broadcast together ("
                             f"{', '.join(describe(v) for v in index_arrays)})")
        bshape.append(known.pop() if known else (1 if all(s == 1 for s in sizes) else None))
    before: list[int | None] = []
    after: list[int | None] = []
    for axis, parts in enumerate(grouped):
        if isinstance(parts, list):  # a slice
            (before if axis < arrays[0] else after).append(
                _slice_length(parts, x.type.shape[axis]))
    after += list(x.type.shape[len(idx_list):])
    if arrays == list(range(arrays[0], arrays[-1] + 1)):
        return before + bshape + after
    return bshape + before + after


class AdvancedSubtensor(Op):
    """General NumPy indexing with integer arrays, ints and slices (a copy)."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list: tuple[Entry, ...]):
        self.idx_list = tuple(idx_list)

    def __str__(self) -> str:
        return "AdvancedSubtensor"

    def make_node(self, x: Any, *indices: Any) -> Apply:
        x, checked, region = _indexed(self, x, indices, _advanced_shape)
        return Apply(self, [x, *checked], [region.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        index = _numpy_index(self.idx_list, inputs[1:])
        output_storage[0][0] = np.asarray(_run_index(self, node, inputs[0], index))

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        # only x[i1, i2, ...] with 1-d integer arrays (as x[arange(n), y]): their common
        # length, then x's remaining sizes; other mixes are left unknown
        if any(e != ARRAY for e in self.idx_list) \
                or any(v.ndim != 1 for v in node.inputs[1:]):
            return [(None,) * node.outputs[0].ndim]
        lengths = [s[0] for v, s in zip(node.inputs[1:], shapes[1:], strict=True)
                   if v.type.shape[0] != 1]
        first = lengths[0] if lengths else shapes[1][0]
        return [(first, *shapes[0][len(self.idx_list):])]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return _read_grad(inputs[0], output_grads[0], inputs[1:],
                          AdvancedIncSubtensor(self.idx_list))


class AdvancedIncSubtensor(_IndexedUpdate):
    """``x`` with ``x[idx]`` incremented (repeats accumulate, ``np.add.at``) or set to ``y``."""

    region_shape = staticmethod(_advanced_shape)

    def __str__(self) -> str:
        return (f"AdvancedIncSubtensor{{{'inplace' if self.inplace else 'no_inplace'},"
                f"{'set' if self.set_instead_of_inc else 'inc'}}}")

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        x, y, *values = inputs
        out = x if self.inplace else x.copy()
        index = _numpy_index(self.idx_list, values)
        region = _run_index(self, node, out, index)
        _check_value_shape(self, node, node.inputs[1], y, np.shape(region))
        if self.set_instead_of_inc:
            out[index] = y
        else:
            np.add.at(out, index, y)
        output_storage[0][0] = out

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable | None]:
        return _update_grad(self, inputs, output_grads[0], AdvancedSubtensor(self.idx_list),
                            AdvancedIncSubtensor(self.idx_list, set_instead_of_inc=True))
