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


# issue 12: operands of different dtypes, integer extremes, signed zero, empty reductions
MIXED_PAIRS = (("int64", "uint64"), ("uint32", "int32"), ("float32", "int32"),
               ("int8", "uint64"), ("bool", "int16"), ("uint8", "int8"))


def _awkward(dtype: str, n: int = 6) -> np.ndarray:
    """A dtype's extremes and signs: past 2**24 for floats, min/max/-1/0 for ints."""
    if dtype == "bool":
        return np.resize([True, False, True], n)
    if dtype.startswith("float"):
        return np.resize(np.array([16777217.0, -0.0, -2.5, 3e9, 0.25, -1.0], dtype=dtype), n)
    info = np.iinfo(dtype)
    # 64-bit ints end past 2**53, where float64 rounds (NumPy compares int64, uint64 exactly)
    wide = {"int64": 2**53 + 1, "uint64": 2**53}.get(dtype, 7)
    return np.resize(np.array([info.min, info.max, -1 if info.min else 2, 0, 1, wide],
                              dtype=dtype), n)


def mixed_dtype_cases(rng: np.random.Generator) -> Iterator[Case]:
    """switch, clip, maximum and comparisons over operands of different dtypes (C's own
    conversions are not NumPy's: int64 ? : uint64 is uint64, int32(-1) < uint32(3) false)."""
    for a, b in MIXED_PAIRS:
        x, y = T.vector("x", dtype=a), T.vector("y", dtype=b)
        c = T.vector("c", dtype="bool")
        b_values = _awkward(b)   # shifted by one, but the last (past 2**53) stays last
        b_values[:-1] = np.roll(b_values[:-1], 1)
        values = [_awkward(a), b_values, rng.random(6) < 0.5]
        outs = [T.switch(c, x, y), T.switch(c, y, x), T.clip(x, y, y), T.maximum(x, y),
                T.lt(x, y), T.eq(x, y)]
        yield f"mixed-{a}-{b}", [x, y, c], outs, values


def extreme_int_cases() -> Iterator[Case]:
    """INT_MIN // -1 and % -1 (wrap, as NumPy; x86 traps on the division), and / 0."""
    for dtype in ("int8", "int16", "int32", "int64"):
        info = np.iinfo(dtype)
        x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
        xv = np.array([info.min, info.min, info.max, -7, 7, info.min], dtype=dtype)
        yv = np.array([-1, 1, -1, 0, -2, info.max], dtype=dtype)
        yield f"extreme-div-{dtype}", [x, y], [x // y, x % y], [xv, yv]
    for dtype in FLOATS:
        x = T.vector("x", dtype=dtype)
        yield (f"sgn-signed-zero-{dtype}", [x], [T.sgn(x)],
               [np.array([-0.0, 0.0, -2.0, np.nan], dtype=dtype)])


def empty_reduction_cases() -> Iterator[Case]:
    """Every reduction of an empty array that NumPy defines (max of nothing raises)."""
    x = T.dmatrix("x")
    for name in REDUCTIONS:
        axes = (1,) if name in ("max", "min", "argmax", "argmin") else (None, 0, 1)
        for axis in axes:   # the reduced axis has 3 elements; the other one is empty
            out = getattr(T, name)(x, axis=axis)
            yield f"empty-{name}-axis{axis}", [x], [out], [np.zeros((0, 3))]


def all_cases(rng: np.random.Generator) -> Iterator[Case]:
    for dtype in FLOATS:
        yield from row_cases(dtype, rng)
        yield from layout_cases(dtype, rng)
        yield from reduction_cases(dtype, rng)
    yield from cast_cases(rng)
    yield from mixed_dtype_cases(rng)
    yield from extreme_int_cases()
    yield from empty_reduction_cases()
