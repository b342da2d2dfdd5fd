"""Reductions and scans on every dtype against NumPy, on the py, C and JAX linkers: the dtype
(sum and prod of int8 give int64, mean of ints float64, cumsum as NumPy's) and the value on
each dtype's edge values (nan first for argmax, extremes, -0.0), and empty inputs."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from dtype_reference import DTYPES, JAX_ATOL, JAX_RTOL, RTOL, edges, mismatches

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.ops.extra_ops import cumprod, cumsum

pytest.importorskip("nbgraph.link.c_linker")

LINKERS = ["py", "c", pytest.param("jax", marks=pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="no JAX"))]
REDUCTIONS = {"sum": (T.sum, np.sum), "prod": (T.prod, np.prod), "max": (T.max, np.max),
              "min": (T.min, np.min), "mean": (T.mean, np.mean), "argmax": (T.argmax, np.argmax),
              "argmin": (T.argmin, np.argmin), "all": (T.all, np.all), "any": (T.any, np.any),
              "cumsum": (cumsum, np.cumsum), "cumprod": (cumprod, np.cumprod)}


def _data(dtype: str) -> dict[str, np.ndarray]:
    with np.errstate(over="ignore"):   # 2**53 + 1 is inf in float16
        values = np.array(edges(dtype), dtype=dtype)
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    return {"edges": values, "finite": finite, "first-four": values[:4],
            "matrix": np.resize(values, (3, len(values) // 3))}


@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_and_scans_match_numpy(linker: str, dtype: str) -> None:
    jax = linker == "jax"
    for what, data in _data(dtype).items():
        x = T.tensor(dtype=dtype, shape=(None,) * data.ndim, name="x")
        axis = 0 if data.ndim == 2 else None
        outs = [build(x, axis=axis) for build, _ in REDUCTIONS.values()]
        with np.errstate(all="ignore"):
            got = nbgraph.function([x], outs, mode=Mode(linker, None))(data)
        for (name, (_, ref)), g in zip(REDUCTIONS.items(), got, strict=True):
            with np.errstate(all="ignore"):
                want = np.asarray(ref(data, axis=axis))
            assert str(g.dtype) == str(want.dtype), (name, what, g.dtype, want.dtype)
            bad = mismatches(g, want, JAX_RTOL if jax else RTOL, JAX_ATOL if jax else 0.0,
                             signed_zeros=not jax)
            assert not bad, f"{linker} {name}({what} {dtype}): {g} vs NumPy {want}"


@pytest.mark.filterwarnings("ignore:Mean of empty slice")
@pytest.mark.parametrize("linker", LINKERS)
@pytest.mark.parametrize("dtype", ["float64", "int64", "uint8", "bool"])
def test_empty_reductions_as_numpy(linker: str, dtype: str) -> None:
    x = T.vector("x", dtype=dtype)
    empty = np.zeros(0, dtype=dtype)
    f = nbgraph.function([x], [T.sum(x), T.prod(x), T.mean(x)], mode=Mode(linker, None))
    with np.errstate(all="ignore"):
        for g, w in zip(f(empty), [np.sum(empty), np.prod(empty), np.mean(empty)], strict=True):
            assert g.dtype == w.dtype and np.array_equal(g, w, equal_nan=True), (g, w)
    for build in (T.max, T.argmax):   # NumPy: no identity, so an error, never a number
        with pytest.raises(ValueError, match="empty|zero-size"):
            nbgraph.function([x], build(x), mode=Mode(linker, None))(empty)
