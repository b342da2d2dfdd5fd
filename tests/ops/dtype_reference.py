"""NumPy's answer for a table row or reduction on any dtype mix, and how close a linker's must
be: the shared half of the dtype differential tests (tests/ops/test_dtype_*.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

DTYPES = ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
          "float16", "float32", "float64")
# relative tolerance per float dtype: a few ulps (libm, SIMD and NumPy differ by that much);
# the JAX linker's float32 math (XLA's) is looser and flushes subnormals
RTOL = {"float16": 2e-3, "float32": 2e-6, "float64": 1e-13}
JAX_RTOL = {"float16": 2e-3, "float32": 3e-5, "float64": 1e-12}
JAX_ATOL = 1e-6  # XLA: float32 subnormals flush to 0, float32 gammaln(1) is 4.8e-7


def edges(dtype: str) -> list[Any]:
    """A dtype's awkward values: 0, +-1, its extremes, past 2**53, nan, +-inf, -0.0."""
    if dtype == "bool":
        return [False, True]
    if dtype.startswith("float"):
        return [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.nan, np.inf, -np.inf,
                float(2**53 + 1), 65504.0, 1e-8, 7.0]
    info = np.iinfo(dtype)
    values = [0, 1, -1, 2, -2, 3, 7, 8, 63, 64, 100, info.min, info.max, info.min + 1,
              info.max - 1, 2**53, 2**53 + 1, 2**63]
    return [v for v in dict.fromkeys(values) if info.min <= v <= info.max]


def reference(numpy_fn: Any, arrays: list[np.ndarray], out_dtype: str) -> np.ndarray:
    """NumPy on the operands as they are (its own promotion). Where NumPy's float result has
    another dtype than nbgraph's (Theano's rule: int8 math in float32, NumPy's float16), NumPy
    on the integers as float64, rounded to nbgraph's dtype."""
    with np.errstate(all="ignore"):
        want = np.asarray(numpy_fn(*arrays))
        if want.dtype.kind == "f" and out_dtype.startswith("float") \
                and str(want.dtype) != out_dtype:
            wide = [a.astype("float64") if a.dtype.kind in "iub" else a for a in arrays]
            want = np.asarray(numpy_fn(*wide)).astype(out_dtype)
    return want


def mismatches(got: Any, want: np.ndarray, rtol: dict[str, float], atol: float = 0.0,
               signed_zeros: bool = True) -> list[int]:
    """Indices where ``got`` is not ``want``: integers exactly (as Python ints, so int64 and
    uint64 compare exactly), floats to the looser dtype's tolerance, with nan equal to nan
    and the sign of a zero checked unless not ``signed_zeros`` (``atol``: where a linker
    flushes subnormals)."""
    got, want = np.asarray(got).ravel(), np.asarray(want).ravel()
    assert got.shape == want.shape, (got.shape, want.shape)
    if got.dtype.kind in "iub" and want.dtype.kind in "iub":
        return [k for k, (g, w) in enumerate(zip(got.tolist(), want.tolist(), strict=True))
                if int(g) != int(w)]
    tol = max(rtol.get(str(got.dtype), 0.0), rtol.get(str(want.dtype), 0.0))
    g, w = got.astype("float64"), want.astype("float64")
    with np.errstate(all="ignore"):
        close = (g == w) | (np.abs(g - w) <= tol * np.abs(w) + atol)
        signed = (w != 0) | (g != 0) | (np.signbit(g) == np.signbit(w)) | (not signed_zeros)
        same = (np.isnan(g) & np.isnan(w)) | (close & signed)
    return np.flatnonzero(~same).tolist()


def describe(name: str, arrays: list[np.ndarray], got: Any, want: np.ndarray,
             bad: list[int]) -> str:
    """The first wrong element: the op, its inputs, what came back and what NumPy gives."""
    k = bad[0]
    got, want = np.asarray(got).ravel(), np.asarray(want).ravel()
    args = ", ".join(f"{a.dtype}({a.ravel()[k]!r})" for a in arrays)
    return (f"{name}({args}) gave {got[k]!r} ({got.dtype}), NumPy {want[k]!r} ({want.dtype}); "
            f"{len(bad)} of {got.size} wrong")
