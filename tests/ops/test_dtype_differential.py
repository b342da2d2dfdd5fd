"""Every elementwise row of the scalar table on every dtype mix, against NumPy, on the py, C
and JAX linkers: edge values (0, -1, each dtype's extremes, past 2**53, nan, +-inf, -0.0) and
hypothesis-drawn rows, dtypes and values. NumPy's own promotion is the reference; where
nbgraph's float dtype differs on purpose (Theano's rule: int8 math in float32, NumPy's
float16), NumPy on the integers as float64, rounded to nbgraph's dtype."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from dtype_reference import DTYPES, JAX_ATOL, JAX_RTOL, RTOL, describe, edges, mismatches, reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.core.types import TensorType
from nbgraph.ops.constants import get_scalar_constant_value
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_OPS, ScalarSpec

pytest.importorskip("nbgraph.link.c_linker")

LINKERS = ["py", "c", pytest.param("jax", marks=pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="no JAX"))]
# the pairs that met defects (int64 with uint64 compared in float64), and one of each kind
PAIRS = [("int64", "uint64"), ("uint64", "int8"), ("int8", "int8"), ("uint8", "int16"),
         ("bool", "bool"), ("bool", "float32"), ("float16", "float16"), ("float16", "int8"),
         ("int32", "float32"), ("uint32", "int32"), ("uint16", "int16"), ("float64", "uint64"),
         ("float32", "float64"), ("int64", "int64"), ("uint64", "uint64"), ("bool", "int64")]
ROWS = [spec for spec in SCALAR_OPS if spec.name not in ("identity", "second")]


def _graph(specs: list[ScalarSpec], dtypes: tuple[str, ...]) -> tuple[list, list, list]:
    """(inputs, outputs, rows) of every row of this arity that accepts these dtypes."""
    xs = [TensorType(d, shape=(None,))(f"x{k}") for k, d in enumerate(dtypes)]
    outs, rows = [], []
    for spec in specs:
        if spec.nin != len(dtypes):
            continue
        try:
            outs.append(Elemwise(spec)(*xs))
        except TypeError:   # refused when built (bitwise ops on floats, boolean minus)
            continue
        rows.append(spec)
    return xs, outs, rows


def _values(dtypes: tuple[str, ...]) -> list[np.ndarray]:
    """Every combination of the dtypes' edge values, one operand per dtype."""
    grids = np.meshgrid(*[np.arange(len(edges(d))) for d in dtypes], indexing="ij")
    with np.errstate(over="ignore"):   # 2**53 + 1 is inf in float16
        return [np.array(edges(d), dtype=d)[g.ravel()]
                for d, g in zip(dtypes, grids, strict=True)]


def _numpy_refuses(spec: ScalarSpec, values: list[np.ndarray]) -> bool:
    with np.errstate(all="ignore"):
        try:
            spec.numpy(*values)
        except (TypeError, ValueError):   # int ** negative int, sign(bool)
            return True
    return False


def check_rows(linker: str, specs: list[ScalarSpec], values: list[np.ndarray]) -> None:
    """Every row in ``specs`` on ``values``, one compiled function, against NumPy."""
    dtypes = tuple(str(v.dtype) for v in values)
    specs = [s for s in specs if s.nin == len(values) and not _numpy_refuses(s, values)]
    xs, outs, rows = _graph(specs, dtypes)
    if not outs:
        return
    with np.errstate(all="ignore"):
        got = nbgraph.function(xs, outs, mode=Mode(linker, None))(*values)
    jax = linker == "jax"
    errors = []
    for spec, out, g in zip(rows, outs, got, strict=True):
        assert g.dtype == out.dtype, (spec.name, dtypes, g.dtype, out.dtype)
        want = reference(spec.numpy, values, out.dtype)
        bad = mismatches(g, want, JAX_RTOL if jax else RTOL, JAX_ATOL if jax else 0.0)
        if bad:
            errors.append(describe(spec.name, values, g, want, bad))
    assert not errors, f"{linker}: " + "\n".join(errors)


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_unary_row_on_every_dtype(linker: str, dtype: str) -> None:
    check_rows(linker, ROWS, _values((dtype,)))


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{a}-{b}" for a, b in PAIRS])
def test_every_binary_row_on_dtype_pairs(linker: str, a: str, b: str) -> None:
    check_rows(linker, ROWS, _values((a, b)))


@pytest.mark.parametrize("linker", ["py", "c"])
def test_integer_power_with_a_negative_exponent_raises_as_numpy(linker: str) -> None:
    x = TensorType("int32", shape=(None,))("x")
    y = TensorType("int8", shape=(None,))("y")
    f = nbgraph.function([x, y], x ** y, mode=Mode(linker, None))
    np.testing.assert_array_equal(
        f(np.array([2, -3], dtype="int32"), np.array([3, 5], dtype="int8")), [8, -243])
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.array([2, 2], dtype="int32"), np.array([3, -1], dtype="int8"))


@st.composite
def row_cases(draw: st.DrawFn) -> tuple[ScalarSpec, list[np.ndarray]]:
    """A row, a dtype per operand (any of the twelve) and a few edge values each."""
    spec = draw(st.sampled_from(ROWS))
    dtypes = [draw(st.sampled_from(DTYPES)) for _ in range(spec.nin)]
    size = draw(st.integers(1, 6))
    with np.errstate(over="ignore"):
        return spec, [np.array(draw(st.lists(st.sampled_from(edges(d)), min_size=size,
                                             max_size=size)), dtype=d) for d in dtypes]


@pytest.mark.parametrize("linker", LINKERS)
def test_random_rows_dtypes_and_values_match_numpy(linker: str) -> None:
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(row_cases())
    def check(case: tuple[ScalarSpec, list[np.ndarray]]) -> None:
        spec, values = case
        check_rows(linker, [spec], values)

    check()


def test_scalar_constant_values_are_computed_as_the_kernels_compute() -> None:
    # exp(int8) is float32 math (NumPy's float16 gave 20.078125), int64 < uint64 is exact
    folded = get_scalar_constant_value(T.exp(T.constant(np.int8(3))))
    assert folded.dtype == "float32" and folded == np.exp(np.float32(3))
    assert get_scalar_constant_value(T.lt(T.constant(np.int64(2**63 - 1)),
                                          T.constant(np.uint64(2**63))))


@pytest.mark.parametrize("linker", LINKERS)
def test_comparing_with_a_python_int_outside_the_dtype_as_numpy(linker: str) -> None:
    # uint8 == 300 and uint64 < -1 are False (the number keeps its own int16/int8 dtype)
    x = TensorType("uint8", shape=(None,))("x")
    y = TensorType("uint64", shape=(None,))("y")
    xv, yv = np.array([0, 255], dtype="uint8"), np.array([0, 2**64 - 1], dtype="uint64")
    outs = [T.eq(x, 300), T.lt(x, -1), T.ge(y, -1), T.lt(y, -(2**63)), T.neq(x, 2**64 - 1)]
    got = nbgraph.function([x, y], outs, mode=Mode(linker, None))(xv, yv)
    want = [xv == 300, xv < -1, yv >= -1, yv < -(2**63), xv != 2**64 - 1]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    assert T.add(x, 300).dtype == "int16"  # Theano's upcast, see test_dtype_constants.py
