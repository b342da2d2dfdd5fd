"""Kernel IR: one loop body lowered from an ``Elemwise`` (table row or ``Composite``) node, or a
reduction (``CAReduce``/``Argmax``) with an optional fused elementwise prologue (STYLE B8).

Renderers (``c_render.CStyleRenderer`` and its CUDA subclass) turn a ``Kernel`` into source;
nothing here knows a target language beyond the table's C templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..core.graph import Apply
from ..ops.composite import Composite
from ..ops.elemwise import CAReduce, Elemwise, check_broadcast
from ..ops.scalar import ScalarSpec
from .reductions import REDUCTIONS

# dtypes a kernel can load and store (float16 and complex run their Python ``perform``)
C_TYPES: dict[str, str] = {
    "float64": "double", "float32": "float", "bool": "uint8_t",
    "int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t",
    "uint8": "uint8_t", "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t",
}

_CAREDUCE_KIND = {r.careduce: r.kind for r in REDUCTIONS.values() if r.careduce is not None}


class Stmt(NamedTuple):
    """``tmp = scalar_name(args)`` for node ``uid``; ``spec is None`` makes ``tmp`` a constant."""

    tmp: str
    scalar_name: str
    args: tuple[str, ...]
    uid: int
    dtype: str
    spec: ScalarSpec | None = None
    value: Any = None
    arg_dtypes: tuple[str, ...] = ()


@dataclass(frozen=True)
class KArg:
    """A kernel operand: its local name, dtype, whether it is one element broadcast to all
    (its static type is all-broadcastable while the output is not), how it repeats over
    the output's rows (all dimensions but the last, collapsed): ``ROLES``, and its type's
    broadcastable pattern (a run-time length 1 stands for any length only there)."""

    name: str
    dtype: str
    scalar: bool = False
    role: str = "full"
    bcast: tuple[bool, ...] = ()


# an operand's shape against the output's (r..., c): "full" (r..., c), "row" (1..., c) repeated
# on every row, "col" (r..., 1) one value per row, "scalar" (1..., 1), "other" (any other mix)
ROLES = ("full", "row", "col", "scalar", "other")


@dataclass(frozen=True)
class Reduce:
    """The reduction applied to the body's one result over the reduced axes."""

    kind: str
    axes: tuple[int, ...]       # axes of the (prologue's) full shape that are reduced
    acc_dtype: str              # accumulator (float32 sums accumulate in double)
    ndim: int = 0               # rank of the full shape

    @property
    def keeps_last(self) -> bool:
        """Whether the last axis is kept: C-contiguous rows then stream into a row of
        accumulators (``sum(x, axis=0)``) rather than reducing along each row."""
        return self.ndim > 0 and self.ndim - 1 not in self.axes


@dataclass(frozen=True)
class Kernel:
    name: str
    inputs: tuple[KArg, ...]
    outputs: tuple[KArg, ...]
    body: tuple[Stmt, ...]
    results: tuple[str, ...]    # names stored into the outputs, in order
    title: str                  # the node(s) this kernel computes, for the comment line
    reduce: Reduce | None = None
    reads_views: bool = False   # an operand is a slice or transpose made in the graph: the
    #                             strided entry points will be needed (built with the rest)

    @property
    def by_rows(self) -> bool:
        """Whether the rows kernel runs this elementwise kernel: some operand repeats over the
        rows or columns of a full one (``tanh(dot(x, W) + b)``), none in a pattern it cannot
        walk with one row stride."""
        roles = {a.role for a in self.inputs}
        return (self.reduce is None and "full" in roles and bool(roles & {"row", "col"})
                and "other" not in roles)


class NotCompilable(Exception):
    """The node has no kernel (an unsupported dtype or op); it runs its Python ``perform``."""


def _check_dtype(dtype: str, node: Apply) -> None:
    if dtype not in C_TYPES:
        raise NotCompilable(f"{node.op}: dtype {dtype} has no C kernel")


def _check_row(spec: ScalarSpec, dtype: str, node: Apply) -> None:
    """Rows whose C expression is only right for floats run their NumPy reference on ints."""
    if not spec.c_int and dtype not in ("float32", "float64"):
        raise NotCompilable(f"{node.op}: {spec.name} on {dtype} runs in NumPy")


def _scalar_input(var: Any, out_bcast: tuple[bool, ...]) -> bool:
    bcast = var.type.broadcastable
    return bool(bcast) and all(bcast) and not all(out_bcast)


def _role(var: Any, out_bcast: tuple[bool, ...]) -> str:
    bcast = var.type.broadcastable
    if _scalar_input(var, out_bcast):
        return "scalar"
    rel = [b and not o for b, o in zip(bcast, out_bcast, strict=True)]
    if len(out_bcast) < 2 or not any(rel):
        return "full" if not any(rel) else "other"
    if all(bcast[:-1]) and not rel[-1]:
        return "row"
    if rel[-1] and not any(rel[:-1]):
        return "col"
    return "other"


def _body_of(node: Apply, names: list[str]) -> tuple[list[Stmt], list[str]]:
    """Statements computing ``node``'s outputs from operand ``names``; returns (body, results)."""
    op = node.op
    scalar = op.scalar_op
    in_dtypes = [v.dtype for v in node.inputs]
    if isinstance(scalar, Composite):
        refs: list[str] = list(names)
        dtypes: list[str] = list(in_dtypes)
        body = []
        seen: set[str] = set()
        for k, step in enumerate(scalar.steps):
            _check_dtype(step.dtype, node)
            tmp = f"t{step.uid}"
            if tmp in seen:
                tmp = f"t{step.uid}_{k}"
            seen.add(tmp)
            if step.spec is None:
                body.append(Stmt(tmp, "constant", (), step.uid, step.dtype, None, step.value))
            else:
                _check_row(step.spec, step.dtype, node)
                args = tuple(refs[a] for a in step.args)
                arg_dtypes = tuple(dtypes[a] for a in step.args)
                body.append(Stmt(tmp, step.spec.name, args, step.uid, step.dtype, step.spec,
                                 None, arg_dtypes))
            refs.append(tmp)
            dtypes.append(step.dtype)
        return body, [refs[o] for o in scalar.outputs]
    if not isinstance(scalar, ScalarSpec):
        raise NotCompilable(f"{op}: scalar op {scalar!r} has no C template")
    out = node.outputs[0]
    _check_row(scalar, out.dtype, node)
    tmp = f"t{node.uid}"
    stmt = Stmt(tmp, scalar.name, tuple(names), node.uid, out.dtype, scalar, None,
                tuple(in_dtypes))
    return [stmt], [tmp]


def lower_elemwise(node: Apply, name: str) -> Kernel:
    """The kernel of an ``Elemwise`` node (one table row, or a fused ``Composite``)."""
    if not isinstance(node.op, Elemwise):
        raise NotCompilable(f"{node.op} is not elementwise")
    for var in list(node.inputs) + list(node.outputs):
        _check_dtype(var.dtype, node)
    out_bcast = node.outputs[0].type.broadcastable
    inputs = tuple(KArg(f"i{k}", v.dtype, _scalar_input(v, out_bcast), _role(v, out_bcast),
                        tuple(v.type.broadcastable)) for k, v in enumerate(node.inputs))
    body, results = _body_of(node, [a.name for a in inputs])
    outputs = tuple(KArg(f"o{k}", v.dtype) for k, v in enumerate(node.outputs))
    return Kernel(name, inputs, outputs, tuple(body), tuple(results),
                  f"{node.op} uid {node.uid}")


def reduce_kind(node: Apply) -> str:
    """'sum', 'max', 'argmax', ... for a reduction node; NotCompilable otherwise."""
    op = node.op
    if isinstance(op, CAReduce):
        kind = _CAREDUCE_KIND.get(op.scalar_op.name)
        if kind is not None:
            return kind
    if type(op).__name__ == "Argmax" and getattr(op, "kind", None) in ("max", "min"):
        return "arg" + op.kind
    raise NotCompilable(f"{op} is not a reduction with a kernel")


def reduced_axes(node: Apply) -> tuple[int, ...]:
    axis = node.op.axis
    ndim = node.inputs[0].ndim
    return tuple(range(ndim)) if axis is None else tuple(sorted(a % ndim for a in axis))


def reduce_layout(node: Apply, prologue: Apply | None, red: Reduce, values: list[Any]
                  ) -> tuple[tuple[int, ...], list[int], list[int]]:
    """How a reduction kernel walks its operand ``values`` (NumPy or CuPy arrays): (their
    broadcast shape, the kept axes, the permutation moving the reduced axes last).

    Raises the broadcast error naming the fused ``prologue``, and NumPy's error for a
    max/min/argmax/argmin over an empty axis (no identity to return)."""
    shape = tuple(np.broadcast_shapes(*(v.shape for v in values)))
    if prologue is not None and any(v.shape != shape for v in values):
        check_broadcast(prologue, values, shape)
    keep = [d for d in range(len(shape)) if d not in red.axes]
    if not REDUCTIONS[red.kind].has_identity and any(shape[a] == 0 for a in red.axes):
        raise ValueError(f"{node.op} at node {node.uid}: zero-size array to reduction "
                         f"operation {red.kind} which has no identity")
    return shape, keep, keep + list(red.axes)


def lower_reduce(node: Apply, name: str, prologue: Apply | None = None) -> Kernel:
    """The kernel of a reduction, reading its input through ``prologue`` (an elementwise node
    whose one output only this reduction uses) when given: ``sum(exp(x)*y, axis=1)`` in one
    pass with no temporary array."""
    kind = reduce_kind(node)
    x, out = node.inputs[0], node.outputs[0]
    _check_dtype(x.dtype, node)
    _check_dtype(out.dtype, node)
    acc = out.dtype
    if REDUCTIONS[kind].widens and out.dtype == "float32":
        acc = "float64"  # NumPy sums float32 pairwise; a double accumulator stays as close
    if REDUCTIONS[kind].tracks_index:
        acc = x.dtype
    reduce = Reduce(kind, reduced_axes(node), acc, x.ndim)
    title = f"{node.op} uid {node.uid}"
    if prologue is None:
        inputs: tuple[KArg, ...] = (KArg("i0", x.dtype, bcast=tuple(x.type.broadcastable)),)
        body: list[Stmt] = []
        results = ["i0"]
    else:
        pro = lower_elemwise(prologue, name)
        # broadcast against each other at run time (where their types allow)
        inputs = tuple(KArg(a.name, a.dtype, bcast=a.bcast) for a in pro.inputs)
        body, results = list(pro.body), list(pro.results)
        title = f"{pro.title} -> {title}"
    outputs = (KArg("o0", out.dtype),)
    return Kernel(name, inputs, outputs, tuple(body), tuple(results[:1]), title, reduce)
