"""Every row of SCALAR_OPS against NumPy in float64, and its gradient by finite differences.

Each row carries its test inputs (``ScalarSpec.domain``: inside its domain and away from kinks)
and the docstring of its tensor function, so a new row is tested, and documented, from the row.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.core.gradient import numeric_grad
from nbgraph.ops import math
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_OPS, ZERO, Domain, cast_spec

N = 7


def _inputs(spec, rng) -> list[np.ndarray]:  # noqa: ANN001
    return [domain.sample(rng, N) for domain in spec.domains]


def test_every_row_has_a_domain_a_doc_and_a_tensor_function() -> None:
    """The contract: a row's tests and its public function come from the row."""
    for spec in SCALAR_OPS:
        assert len(spec.domains) == spec.nin, spec.name
        assert spec.doc, f"{spec.name} has no doc"
        function = getattr(math, spec.name)
        assert spec.name in math.__all__ and function.__doc__ == spec.doc, spec.name
        assert function.__name__ == spec.name


@pytest.mark.parametrize("domain, check", [
    (Domain(0.5, 3, "either_sign"), lambda v: np.all((np.abs(v) >= 0.5) & (np.abs(v) < 3))),
    (Domain(0, 3, "int"), lambda v: v.dtype == "int64" and set(np.unique(v)) <= {0, 1, 2}),
    (Domain(-5, 5, "off_ties"), lambda v: np.all(np.abs(v - np.round(v)) >= 0.1 - 1e-12)),
    (Domain(kind="special"), lambda v: np.isnan(v).any() and np.isinf(v).any()),
    (Domain(-1, -1), lambda v: np.all(v == -1)),
])
def test_domains_draw_what_they_say(domain: Domain, check, rng) -> None:  # noqa: ANN001
    values = domain.sample(rng, (4, 50))
    assert values.shape == (4, 50) and check(values)


def _symbols(values: list[np.ndarray]) -> list:
    return [T.TensorType(str(v.dtype), (False,))(f"x{k}") for k, v in enumerate(values)]


@pytest.mark.parametrize("spec", SCALAR_OPS, ids=lambda s: s.name)
def test_row_matches_numpy(spec, rng) -> None:  # noqa: ANN001
    values = _inputs(spec, rng)
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
    values = _inputs(spec, rng)
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
