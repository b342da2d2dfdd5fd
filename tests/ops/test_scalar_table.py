"""Every row of SCALAR_OPS against NumPy in float64, and its gradient by finite differences.

``DOMAINS`` gives each row inputs inside its domain and away from kinks. The contract test fails
for a row that has no entry here, so a new row cannot land untested.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.core.gradient import numeric_grad
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_OPS, ZERO, cast_spec

N = 7


def _u(lo: float, hi: float):  # noqa: ANN202
    return lambda rng: rng.uniform(lo, hi, N)


def _ints(lo: int, hi: int):  # noqa: ANN202
    return lambda rng: rng.integers(lo, hi, N).astype("int64")


def _bools(rng: np.random.Generator) -> np.ndarray:
    return rng.random(N) > 0.5


def _away_from_half(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(-5, 5, N) + rng.uniform(0.1, 0.4, N) * rng.choice([-1, 1], N)


# row name -> one input generator per argument (float64 unless stated)
DOMAINS = {
    "add": [_u(-3, 3)] * 2, "mul": [_u(-3, 3)] * 2, "sub": [_u(-3, 3)] * 2,
    "true_div": [_u(-3, 3), _u(0.5, 3)], "int_div": [_u(-9, 9), _u(0.5, 3)],
    "mod": [_u(0.1, 9), _u(1.1, 3)], "pow": [_u(0.5, 2), _u(-2, 2)],
    "maximum": [_u(-3, 3)] * 2, "minimum": [_u(-3, 3)] * 2, "arctan2": [_u(-3, 3), _u(0.5, 3)],
    "neg": [_u(-3, 3)], "abs_": [_u(0.2, 3)], "sgn": [_u(-3, 3)], "inv": [_u(0.5, 3)],
    "sqr": [_u(-3, 3)], "sqrt": [_u(0.1, 4)], "exp": [_u(-3, 3)], "exp2": [_u(-3, 3)],
    "expm1": [_u(-3, 3)], "log": [_u(0.1, 4)], "log2": [_u(0.1, 4)], "log10": [_u(0.1, 4)],
    "log1p": [_u(-0.5, 3)], "sin": [_u(-3, 3)], "cos": [_u(-3, 3)], "tan": [_u(-1.2, 1.2)],
    "tanh": [_u(-3, 3)], "sinh": [_u(-3, 3)], "cosh": [_u(-3, 3)], "arcsin": [_u(-0.9, 0.9)],
    "arccos": [_u(-0.9, 0.9)], "arctan": [_u(-3, 3)], "arcsinh": [_u(-3, 3)],
    "arccosh": [_u(1.1, 4)], "arctanh": [_u(-0.9, 0.9)], "erf": [_u(-2, 2)],
    "erfc": [_u(-2, 2)], "gamma": [_u(0.2, 4)], "gammaln": [_u(0.2, 6)],
    "sigmoid": [_u(-6, 6)], "softplus": [_u(-6, 6)],
    "floor": [_away_from_half], "ceil": [_away_from_half], "trunc": [_away_from_half],
    "round_half_to_even": [_away_from_half], "round_half_away_from_zero": [_away_from_half],
    "eq": [_ints(0, 3)] * 2, "neq": [_ints(0, 3)] * 2, "lt": [_u(-3, 3)] * 2,
    "gt": [_u(-3, 3)] * 2, "le": [_ints(0, 3)] * 2, "ge": [_ints(0, 3)] * 2,
    "and_": [_ints(0, 16)] * 2, "or_": [_ints(0, 16)] * 2, "xor": [_bools] * 2,
    "invert": [_ints(-8, 8)], "isnan": [lambda rng: np.array([0, np.nan, np.inf, -1.0] * 2)[:N]],
    "isinf": [lambda rng: np.array([0, np.nan, np.inf, -np.inf] * 2)[:N]],
    "switch": [_bools, _u(-3, 3), _u(-3, 3)],
    "clip": [_u(-3, 3), lambda rng: np.full(N, -1.0), lambda rng: np.full(N, 1.5)],
    "identity": [_u(-3, 3)], "second": [_u(-3, 3), _u(-3, 3)],
}


def _symbols(values: list[np.ndarray]) -> list:
    return [T.TensorType(str(v.dtype), (False,))(f"x{k}") for k, v in enumerate(values)]


def test_every_row_has_a_domain() -> None:
    """The contract: a row without a value test (and so a gradient test) fails here."""
    missing = [spec.name for spec in SCALAR_OPS if spec.name not in DOMAINS]
    assert not missing, f"scalar rows without tests: {missing}"
    extra = set(DOMAINS) - {spec.name for spec in SCALAR_OPS}
    assert not extra, f"tests for rows that do not exist: {extra}"


@pytest.mark.parametrize("spec", SCALAR_OPS, ids=lambda s: s.name)
def test_row_matches_numpy(spec, rng) -> None:  # noqa: ANN001
    values = [gen(rng) for gen in DOMAINS[spec.name]]
    symbols = _symbols(values)
    out = Elemwise(spec)(*symbols)
    f = th.function(symbols, out, mode=th.Mode(optimizer=None))
    expected = spec.numpy(*values)
    got = f(*values)
    assert got.dtype == out.dtype
    np.testing.assert_allclose(got, np.asarray(expected).astype(out.dtype), rtol=1e-12,
                               equal_nan=True)


DIFFERENTIABLE = [s for s in SCALAR_OPS if s.grad is not None]


@pytest.mark.parametrize("spec", DIFFERENTIABLE, ids=lambda s: s.name)
def test_row_gradient_matches_finite_differences(spec, rng) -> None:  # noqa: ANN001
    values = [gen(rng) for gen in DOMAINS[spec.name]]
    symbols = _symbols(values)
    cost = T.sum(Elemwise(spec)(*symbols) * np.linspace(0.5, 1.5, N))
    floats = [k for k, v in enumerate(values) if v.dtype.kind == "f"]
    grads = th.grad(cost, [symbols[k] for k in floats], disconnected_inputs="ignore")
    g = th.function(symbols, grads)(*values)
    cost_fn = th.function(symbols, cost)

    def f(*float_values: np.ndarray) -> float:
        args = list(values)
        for k, v in zip(floats, float_values, strict=True):
            args[k] = v
        return cost_fn(*args)

    numeric = numeric_grad(f, [values[k].copy() for k in floats], eps=1e-6)
    for got, want in zip(g, numeric, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if spec.grad is ZERO:
        assert all(np.all(v == 0) for v in g)


def test_comparisons_block_the_gradient_but_not_the_path_around_them(rng) -> None:  # noqa: ANN001
    """``grad=None`` rows (comparisons) pass no gradient: d/dx sum(x * (x > 0)) = (x > 0)."""
    x = T.dvector("x")
    values = rng.uniform(-1, 1, N)
    g = th.grad(T.sum(x * (x > 0)), x)
    np.testing.assert_array_equal(g.eval({x: values}), (values > 0).astype(float))


@pytest.mark.parametrize("dtype", ["float32", "int32", "bool", "int8"])
def test_cast_rows(dtype: str, rng) -> None:  # noqa: ANN001
    x = T.dvector("x")
    values = rng.uniform(-3, 3, N)
    y = T.cast(x, dtype)
    assert y.owner.op.scalar_op is cast_spec(dtype)
    np.testing.assert_array_equal(th.function([x], y)(values), values.astype(dtype))


def test_cast_gradient_between_floats() -> None:
    x = T.dvector("x")
    g = th.grad(T.cast(x, "float32").sum(), x)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(g.eval({x: np.ones(3)}), np.ones(3))
