"""The differential set of graphs the C and CUDA tests share: every scalar-table row (on the
inputs its ``domain`` names), casts, memory layouts and broadcasting, reductions over various
axes, in float32 and float64. Each case is (id, inputs, outputs, values); values are NumPy
arrays to feed and to check against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

import nbgraph.tensor as T
from nbgraph.core.types import TensorType
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_OPS, ScalarSpec, cast_spec, int_only

FLOATS = ("float64", "float32")
REDUCTIONS = ("sum", "prod", "max", "min", "mean", "argmax", "argmin", "all", "any")
AXES = (None, 0, 1, (0, 2), -1)

Case = tuple[str, list[Any], list[Any], list[np.ndarray]]


def row_values(spec: ScalarSpec, dtype: str, rng: np.random.Generator,
               shape: tuple = (7, 5)) -> tuple[list[str], list[np.ndarray]]:
    """The row's own test inputs (``spec.domains``), in ``dtype`` unless the domain is bool or
    the row takes integers only."""
    dtypes, values = [], []
    for domain in spec.domains:
        d = "bool" if domain.kind == "bool" else "int64" if spec.out is int_only else dtype
        dtypes.append(d)
        values.append(domain.sample(rng, shape).astype(d))
    return dtypes, values


def row_cases(dtype: str, rng: np.random.Generator) -> Iterator[Case]:
    """One Elemwise node per table row."""
    for spec in SCALAR_OPS:
        dtypes, values = row_values(spec, dtype, rng)
        xs = [TensorType(d, shape=(None, None))(f"x{k}") for k, d in enumerate(dtypes)]
        yield f"{spec.name}-{dtype}", xs, [Elemwise(spec)(*xs)], values


def cast_cases(rng: np.random.Generator) -> Iterator[Case]:
    for source in ("float64", "float32", "int64", "int32", "bool", "uint8"):
        for target in ("float64", "float32", "int64", "int8", "bool"):
            x = TensorType(source, shape=(None,))("x")
            value = rng.uniform(-100, 100, 20).astype(source)
            yield f"cast-{source}-{target}", [x], [Elemwise(cast_spec(target))(x)], [value]


LAYOUTS = {
    "contiguous": lambda a: a,
    "strided": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "reversed": lambda a: np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1],
    "transposed": lambda a: np.asfortranarray(a),
}


def layout_cases(dtype: str, rng: np.random.Generator) -> Iterator[Case]:
    """A fused expression over every memory layout, and broadcasting shapes."""
    for name, layout in LAYOUTS.items():
        x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
        expr = T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x)
        a = rng.standard_normal((6, 5)).astype(dtype)
        b = rng.standard_normal((6, 5)).astype(dtype)
        yield f"layout-{name}-{dtype}", [x, y], [expr], [layout(a), b]
    for shapes in (((4, 1), (1, 3)), ((1, 1), (5, 2)), ((), ()), ((0, 3), (0, 3))):
        types = [TensorType(dtype, shape=tuple(1 if s == 1 else None for s in sh))
                 for sh in shapes]
        x, y = types[0]("x"), types[1]("y")
        values = [rng.standard_normal(sh).astype(dtype) for sh in shapes]
        yield f"broadcast-{shapes}-{dtype}", [x, y], [T.exp(x) * y + x], values


def reduction_cases(dtype: str, rng: np.random.Generator) -> Iterator[Case]:
    """Every reduction over several axes, and reductions reading a fused prologue."""
    for name in REDUCTIONS:
        for axis in AXES:
            if name in ("argmax", "argmin") and isinstance(axis, tuple):
                continue   # Argmax takes one axis or all of them
            if name in ("all", "any"):
                x = T.ltensor3("x")
                value = (rng.standard_normal((3, 4, 5)) > 0).astype("int64")
            else:
                x = T.tensor3("x", dtype=dtype)
                value = rng.standard_normal((3, 4, 5)).astype(dtype)
            out = getattr(T, name)(x, axis=axis)
            yield f"{name}-axis{axis}-{dtype}", [x], [out], [value]
    for axis in (None, 0, 1):
        x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
        a = rng.standard_normal((6, 50)).astype(dtype)
        b = rng.standard_normal((6, 50)).astype(dtype)
        yield (f"prologue-sum-axis{axis}-{dtype}", [x, y], [T.sum(T.exp(x) * y, axis=axis)],
               [a, b[:, ::-1]])


def all_cases(rng: np.random.Generator) -> Iterator[Case]:
    for dtype in FLOATS:
        yield from row_cases(dtype, rng)
        yield from layout_cases(dtype, rng)
        yield from reduction_cases(dtype, rng)
    yield from cast_cases(rng)
