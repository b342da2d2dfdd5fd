"""``stack``/``join`` of tensors with Python numbers: the numbers take Theano 1.0's dtype
(``autocast_dtype``, as elemwise gives them), so int8 with 300 is int16 and float32 with 1e40
float64, where NumPy 2's rule wrapped, refused or overflowed to inf. Every linker agrees."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.core.types import upcast_numbers

LINKERS = ["py", "c"] + (["jax"] if __import__("importlib").util.find_spec("jax") else [])

# (tensor dtype, value, the Python number, Theano's dtype)
CASES = [
    ("int8", 5, 300, "int16"),
    ("int8", -7, 100, "int8"),
    ("int8", 1, -129, "int16"),
    ("uint8", 200, -1, "int16"),
    ("int16", 3, 2 ** 40, "int64"),
    ("int64", 3, 2 ** 62, "int64"),
    ("int64", 3, 2 ** 63, "float64"),  # uint64 with int64, as NumPy and Theano upcast
    ("float32", 1.5, 0.5, "float32"),
    ("float32", 1.5, 0.1, "float32"),   # held by float32: graphs stay float32, as elemwise
    ("float32", 1.5, 1e40, "float64"),  # NumPy 2 gave float32 inf
    ("float32", 1.5, 1e-50, "float64"),  # NumPy 2 gave float32 0
    ("int8", 5, 0.5, "float32"),
    ("int32", 5, 0.5, "float64"),
    ("bool", True, 2, "int8"),
]


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("dtype, value, number, want", CASES)
def test_stack_with_a_python_number(dtype, value, number, want, linker):
    x = T.scalar("x", dtype=dtype)
    fn = nbgraph.function([x], [T.stack([x, number]), T.stack([number, x])],
                          mode=Mode(linker, "fast_run"))
    first, second = fn(np.asarray(value, dtype))
    want_values = np.array([np.asarray(value, dtype).astype(want), number], dtype=want)
    for got, expected in ((first, want_values), (second, want_values[::-1])):
        assert got.dtype == want
        np.testing.assert_array_equal(got, expected)


def test_the_same_dtype_as_elemwise():
    for dtype, _, number, want in CASES:
        x = T.scalar("x", dtype=dtype)
        assert upcast_numbers([dtype], [number]) == want == (x + number).dtype


def test_numbers_alone_and_tensors_alone_keep_their_dtypes():
    assert T.stack([1, 2]).dtype == "int64"
    assert T.stack([T.bscalar(), T.wscalar()]).dtype == "int16"
    assert T.concatenate([T.fvector(), T.dvector()]).dtype == "float64"


@pytest.mark.parametrize("linker", ["py", "c"])  # JAX: a bound from an input is not static
def test_arange_bounds_meet_python_numbers_as_elemwise(linker: str) -> None:
    """``arange``'s bounds share the rule (``common_dtype``): a float32 start with a 1e40 stop
    is float64, so the stop is not float32 inf and the range ends where NumPy's does."""
    start = T.fscalar("start")
    out = T.arange(start, 1e40, 1e39)
    assert out.dtype == "float64"
    got = nbgraph.function([start], out, mode=Mode(linker=linker))(np.float32(1e38))
    np.testing.assert_array_equal(got, np.arange(np.float64(np.float32(1e38)), 1e40, 1e39))
    assert T.arange(start, 10).dtype == "float32"  # 10 is held by float32
    assert T.arange(T.bscalar(), 300).dtype == "int64"  # Theano's arange: integers are int64
