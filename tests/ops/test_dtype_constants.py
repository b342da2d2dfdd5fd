"""A Python number meeting a tensor takes Theano 1.0's dtype (``cast_policy='custom'``, read
from its ``scalar.basic.convert``/``NumpyAutocaster`` and ``upcast``): the smallest of
int8..int64 that holds an int (uint64 past int64), float32 for a float that float32 holds
exactly, else float64, then NumPy's promotion of the dtypes. So int8 + 300 is int16 (it used
to refuse), float32 + 1e40 is float64 (not inf) and uint8 - 1 is int16 (-1, not 255). One
exception: a float a float tensor's dtype holds (no overflow, no underflow to 0) takes that
dtype, so float32 * 0.1 stays float32 (Theano with floatX=float32, NumPy 2). Values on every
linker, against NumPy in that dtype."""

from __future__ import annotations

import importlib.util
import operator
from collections.abc import Callable

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.config import config
from nbgraph.core.types import TensorType, autocast_dtype

LINKERS = ["py", pytest.param("c", marks=pytest.mark.skipif(
    importlib.util.find_spec("nbgraph.link.c_linker") is None, reason="no C linker")),
    pytest.param("jax", marks=pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="no JAX"))]

# (tensor dtype, op, Python number, Theano 1.0's dtype) worked out by hand from its source
CASES: list[tuple[str, Callable, int | float, str]] = [
    ("int8", operator.add, 300, "int16"),
    ("int8", operator.mul, -129, "int16"),
    ("int8", operator.add, 1, "int8"),
    ("int8", operator.sub, 127, "int8"),
    ("uint8", operator.sub, 1, "int16"),        # upcast(uint8, int8)
    ("uint8", operator.add, 255, "int16"),      # 255 is int16 (int8 cannot hold it)
    ("uint16", operator.mul, 2, "int32"),
    ("int32", operator.add, 2**40, "int64"),
    ("int64", operator.add, 2**63, "float64"),  # 2**63 is uint64; int64 with uint64: float64
    ("uint64", operator.add, 1, "float64"),     # upcast(uint64, int8)
    ("float32", operator.add, 1e40, "float64"),
    ("float32", operator.add, 0.1, "float32"),   # float32 holds 0.1 (rounded)
    ("float32", operator.add, 1e-50, "float64"),  # float32 would make it 0
    ("float32", operator.mul, 0.5, "float32"),
    ("float32", operator.add, float("inf"), "float32"),
    ("float32", operator.add, float("nan"), "float32"),
    ("float32", operator.mul, 300, "float32"),
    ("float32", operator.mul, 100000, "float64"),  # int32 with float32
    ("float16", operator.add, 1, "float16"),
    ("float16", operator.add, 300, "float32"),
    ("float16", operator.mul, 0.5, "float16"),
    ("float16", operator.mul, 1e5, "float32"),    # inf in float16; float32 holds 1e5 exactly
    ("int8", operator.mul, 0.5, "float32"),
    ("int8", operator.mul, 0.1, "float64"),
    ("int32", operator.mul, 0.5, "float64"),
    ("bool", operator.add, 1, "int8"),
    ("bool", operator.add, True, "bool"),
    ("float64", operator.sub, 1e300, "float64"),
]


def _values(dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.array([False, True])
    if dtype.startswith("float"):
        return np.array([0.0, -0.0, 1.5, -3.0, 65504.0, np.inf, np.nan], dtype=dtype)
    info = np.iinfo(dtype)
    return np.array([info.min, info.min + 1, 0, 1, info.max - 1, info.max], dtype=dtype)


@pytest.mark.parametrize("linker", LINKERS)
def test_python_numbers_take_theanos_dtype_and_exact_values(linker: str) -> None:
    xs, outs, wants = [], [], []
    for k, (dtype, fn, number, want_dtype) in enumerate(CASES):
        x = TensorType(dtype, shape=(None,))(f"x{k}")
        for out in (fn(x, number), fn(number, x)):
            assert out.dtype == want_dtype, (dtype, fn, number, out.dtype)
        xs.append(x)
        outs += [fn(x, number), fn(number, x)]
        value = _values(dtype).astype(want_dtype)
        with np.errstate(all="ignore"):
            wants += [fn(value, np.asarray(number).astype(want_dtype)),
                      fn(np.asarray(number).astype(want_dtype), value)]
    got = nbgraph.function(xs, outs, mode=Mode(linker, None))(*[_values(c[0]) for c in CASES])
    for k, (g, w) in enumerate(zip(got, wants, strict=True)):
        assert g.dtype == w.dtype, CASES[k // 2]
        np.testing.assert_array_equal(g, w, err_msg=str(CASES[k // 2]))


@pytest.mark.parametrize("linker", LINKERS)
def test_comparisons_with_numbers_past_the_dtype_are_exact(linker: str) -> None:
    # the number keeps its own dtype (2**63: uint64) and the row compares int64 with uint64
    # exactly; float32 < 0.1 compares with 0.1 in float32, as NumPy 2 does
    x, f = T.lvector("x"), T.fvector("f")
    xv = np.array([2**63 - 1, -1, 0], dtype="int64")
    fv = np.array([np.float32(0.1), 0.0999999], dtype="float32")
    outs = [T.lt(x, 2**63), T.eq(x, 2**63), T.ge(x, -(2**63)), T.lt(f, 0.1)]
    got = nbgraph.function([x, f], outs, mode=Mode(linker, None))(xv, fv)
    want = [[True] * 3, [False] * 3, [True] * 3, fv < np.float32(0.1)]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_floatx_float32_keeps_python_floats_in_float32() -> None:
    # Theano's "unsafe downcast": with floatX=float32 every Python float is float32
    with config.change_flags(floatX="float32"):
        assert autocast_dtype(0.1) == "float32"
        assert (T.bvector() * 0.1).dtype == "float32"
        assert (T.ivector() * 0.5).dtype == "float64"
    assert autocast_dtype(0.1) == "float64"
    assert autocast_dtype(0.1, "float32") == "float32"
    assert autocast_dtype(1e40, "float32") == "float64"
    assert autocast_dtype(2**64 - 1) == "uint64"
    assert autocast_dtype(-(2**63)) == "int64"
