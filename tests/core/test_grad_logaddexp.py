"""log(exp(a) + exp(b)) (stabilize/logaddexp): NumPy's logaddexp value and the exact gradient
(σ(a - b), σ(b - a)), finite where exp overflows, on every linker and float width."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

import nbgraph as theano
import nbgraph.tensor as T

MODES = ["FAST_COMPILE", "FAST_RUN", "JAX"]
A = np.array([-1000.0, -800.0, -710.0, -30.0, -1.0, 0.0, 0.0, 1.0, 5.0, 710.0, 800.0, 1000.0])
B = np.array([-1000.0, 800.0, -2.0, 30.0, 0.5, 0.0, 1e-3, -1.0, 5.0, 712.0, -800.0, 999.0])


def _mode(mode: str) -> str:
    if mode == "JAX":
        pytest.importorskip("jax")
    return mode


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_logaddexp_value_and_gradient(mode: str, dtype: str) -> None:
    a, b = T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)
    out = T.log(T.exp(a) + T.exp(b))
    f = theano.function([a, b], [out, *T.grad(out.sum(), [a, b])], mode=_mode(mode))
    av, bv = A.astype(dtype), B.astype(dtype)
    value, da, db = f(av, bv)
    assert value.dtype == dtype and da.dtype == dtype
    rtol = 1e-13 if dtype == "float64" else 1e-6
    a64, b64 = av.astype("float64"), bv.astype("float64")
    np.testing.assert_allclose(value, np.logaddexp(a64, b64), rtol=rtol)
    np.testing.assert_allclose(da, expit(a64 - b64), rtol=rtol, atol=1e-300)
    np.testing.assert_allclose(db, expit(b64 - a64), rtol=rtol, atol=1e-300)


@pytest.mark.parametrize("mode", MODES)
def test_log_cosh_form(mode: str) -> None:
    """log(exp(x) + exp(-x)) = log 2 + log cosh x; d/dx = tanh x (was inf / nan past 710)."""
    x = T.dvector("x")
    out = T.log(T.exp(x) + T.exp(-x))
    f = theano.function([x], [out, T.grad(out.sum(), x)], mode=_mode(mode))
    value, slope = f(A)
    np.testing.assert_allclose(value, np.logaddexp(A, -A), rtol=1e-13)
    np.testing.assert_allclose(slope, np.tanh(A), rtol=1e-13, atol=1e-300)
    if mode != "JAX":
        assert "stabilize/logaddexp" in [e.rule for e in f.trace.events()]


def test_logaddexp_equal_infinities() -> None:
    """x == y takes x + log 2: logaddexp(-inf, -inf) is -inf and (inf, inf) inf, as NumPy."""
    a, b = T.dvector("a"), T.dvector("b")
    f = theano.function([a, b], T.log(T.exp(a) + T.exp(b)))
    edges = np.array([-np.inf, np.inf, -np.inf, 3.0])
    other = np.array([-np.inf, np.inf, 2.0, np.inf])
    np.testing.assert_array_equal(f(edges, other), np.logaddexp(edges, other))
