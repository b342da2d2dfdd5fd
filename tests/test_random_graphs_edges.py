"""Hypothesis: random graphs at edge values, every linker against the unoptimised Python
evaluation (NumPy's answer), and random smooth graphs' gradients against finite differences
at extreme inputs. tests/test_random_graphs.py keeps values in each op's domain; here the
leaves hold 0, -0.0, +-inf, nan, huge and tiny numbers and integer extremes, and Python
numbers (Theano's dtype rule) join the ops, so every linker must agree on nan, inf and the
sign of zero, not only on finite values.

Known and left (see the note of the branch num): XLA flushes subnormals to zero, so the JAX
linker draws no subnormal leaves; its float32 transcendental rows are a few ulps off.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_OPS

LINKERS = ["py", pytest.param("c", marks=pytest.mark.skipif(
    importlib.util.find_spec("nbgraph.link.c_linker") is None, reason="no C linker")),
    pytest.param("jax", marks=pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="no JAX"))]
EXAMPLES = {"py": 100, "c": 20, "jax": 20}
DTYPES = ("float64", "float32", "float16", "int8", "uint8", "int16", "int32", "int64",
          "uint64", "bool")
FLOAT_EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e308, -1e308, 2.5e-308, 1.5, -2.5, 3.0,
               1e-8, 88.0, -745.0, 710.0, 65504.0, 1e5]
SUBNORMALS = [5e-324, 1e-310]
PY_NUMBERS = [0, 1, -1, 2, 300, -129, 2**31, 2**40, 0.5, 0.1, -0.0, 1e40, 1e-50,
              float("inf"), float("nan"), 3.0]
ROWS = [s for s in SCALAR_OPS if s.name not in ("identity", "second") and s.nin <= 3]
# rows whose float32/float16 results differ by a few ulps between libm, SIMD and XLA
# (rtol, atol) per dtype; XLA: float32 gammaln(1) is 4.8e-7, results below the normal range
# flush to 0
TOL = {"float16": (2e-3, 0), "float32": (3e-5, 0), "float64": (1e-12, 0)}
JAX_TOL = {"float16": (2e-3, 6e-8), "float32": (2e-4, 1e-6), "float64": (1e-11, 2.3e-308)}


def _leaf(draw: st.DrawFn, dtype: str, n: int, subnormals: bool) -> np.ndarray:
    if dtype == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if dtype.startswith("float"):
        pool = FLOAT_EDGES + (SUBNORMALS if subnormals else [])
        with np.errstate(over="ignore"):
            return np.array(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)),
                            dtype=dtype)
    info = np.iinfo(dtype)
    pool = [int(info.min), int(info.max), 0, 1, 7, 100, int(info.min) + 1,
            -1 if info.min else 2]
    return np.array(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)),
                    dtype=object).astype(dtype)


@st.composite
def edge_graphs(draw: st.DrawFn, subnormals: bool) -> tuple[list, list, list]:
    n = draw(st.integers(1, 6))
    xs, values = [], []
    for k in range(draw(st.integers(1, 3))):
        dtype = draw(st.sampled_from(DTYPES))
        xs.append(T.tensor(dtype=dtype, shape=(None,), name=f"x{k}"))
        values.append(_leaf(draw, dtype, n, subnormals))
    pool, outs = list(xs), []
    for _ in range(draw(st.integers(1, 4))):
        spec = draw(st.sampled_from(ROWS))
        args: list[Any] = [draw(st.sampled_from(pool)) for _ in range(spec.nin)]
        for i in range(spec.nin):   # a Python number (never switch's condition)
            if draw(st.integers(0, 3)) == 0 and not (spec.name == "switch" and i == 0):
                args[i] = draw(st.sampled_from(PY_NUMBERS))
        if not any(isinstance(a, T.TensorVariable) for a in args):
            args[0] = pool[0]
        try:
            out = Elemwise(spec)(*args)
        except TypeError:   # refused when built (bitwise on floats, boolean minus)
            continue
        pool.append(out)
        outs.append(out)
    reduce = draw(st.sampled_from([None, T.max, T.min, T.sum]))
    if outs and reduce is not None and outs[-1].dtype != "bool":
        outs.append(reduce(outs[-1]))
    return xs, values, outs[-3:]


def _agree(got: np.ndarray, want: np.ndarray, tol: dict[str, tuple[float, float]]) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got) * np.sign(got), np.isinf(want) * np.sign(want))
    finite = np.isfinite(want)
    rtol, atol = tol[str(want.dtype)]
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=atol)
    zero = (want == 0) & (got == 0)
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def _run(xs: list, values: list, outs: list, mode: Mode) -> list | Exception:
    fn = nbgraph.function(xs, outs, mode=mode, on_unused_input="ignore")
    try:
        with np.errstate(all="ignore"):
            return fn(*values)
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        return err


@pytest.mark.parametrize("optimizer", ["fast_run", "fast_compile"])
@pytest.mark.parametrize("linker", LINKERS)
def test_edge_value_graphs_agree_with_numpy(linker: str, optimizer: str) -> None:
    @settings(max_examples=EXAMPLES[linker], deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(edge_graphs(subnormals=linker != "jax"))
    def check(graph: tuple[list, list, list]) -> None:
        xs, values, outs = graph
        if not outs:
            return
        want = _run(xs, values, outs, Mode("py", None))   # NumPy per node, no rewrites
        got = _run(xs, values, outs, Mode(linker, optimizer))
        if isinstance(want, Exception):   # integer ** negative: every linker raises
            assert isinstance(got, type(want)), (want, got)
            return
        assert not isinstance(got, Exception), got
        for g, w in zip(got, want, strict=True):
            _agree(np.asarray(g), np.asarray(w), JAX_TOL if linker == "jax" else TOL)

    check()


# -- gradients of smooth graphs at extreme inputs ----------------------------------------------
# each maps any float64 to a finite value with a finite derivative, however large |x| is
SMOOTH = {
    "sigmoid": T.sigmoid, "softplus": T.softplus, "tanh": T.tanh,
    "log_sigmoid": lambda x: T.log(T.sigmoid(x)),
    "log1m_sigmoid": lambda x: T.log(1 - T.sigmoid(x)),
    "log1p_exp": lambda x: T.log1p(T.exp(x)),
    "arctan": T.arctan, "erf": T.erf, "scaled": lambda x: x * 0.5 + 1,
}
EXTREMES = [-1000.0, -745.0, -40.0, -1.0, 0.0, 0.5, 30.0, 700.0, 1000.0]


@st.composite
def smooth_chains(draw: st.DrawFn) -> tuple[list[str], float]:
    names = draw(st.lists(st.sampled_from(sorted(SMOOTH)), min_size=1, max_size=3))
    return names, draw(st.sampled_from(EXTREMES))


def _finite_difference(f: Any, x: float) -> float:
    h = 1e-6 * max(1.0, abs(x))
    return float((f(np.array([x + h])) - f(np.array([x - h])))[0] / (2 * h))


@pytest.mark.parametrize("linker", LINKERS)
def test_smooth_chain_gradients_match_finite_differences(linker: str) -> None:
    @settings(max_examples=EXAMPLES[linker], deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(smooth_chains())
    def check(case: tuple[list[str], float]) -> None:
        names, x0 = case
        x = T.dvector("x")
        out = x
        for name in names:
            out = SMOOTH[name](out)
        mode = Mode(linker, "fast_run")
        f = nbgraph.function([x], out, mode=mode)
        g = nbgraph.function([x], T.grad(out.sum(), x), mode=mode)
        value, slope = f(np.array([x0]))[0], g(np.array([x0]))[0]
        assert np.isfinite(value) and np.isfinite(slope), (names, x0, value, slope)
        fd = _finite_difference(f, x0)
        assert slope == pytest.approx(fd, rel=1e-5, abs=1e-7), (names, x0, slope, fd)

    check()
