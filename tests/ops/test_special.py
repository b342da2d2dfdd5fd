"""psi/polygamma (the Op gamma's and gammaln's gradients need) against SciPy in float64, its
gradient by finite differences, dtypes and errors. The gamma rows are in test_scalar_table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.ops.special import Polygamma


@pytest.mark.parametrize("n", [0, 1, 3])
def test_polygamma_matches_scipy(n, rng):
    x = T.dvector("x")
    values = np.concatenate([rng.uniform(0.1, 6, 9), [-2.5, -0.3]])
    got = th.function([x], T.polygamma(n, x))(values)
    np.testing.assert_allclose(got, special.polygamma(n, values), rtol=1e-12)


def test_psi_names(rng):
    x = T.dvector("x")
    values = rng.uniform(0.1, 6, 5)
    assert T.digamma is T.psi and str(T.psi(x).owner.op) == "psi"
    np.testing.assert_allclose(th.function([x], [T.psi(x), T.tri_gamma(x)])(values),
                               [special.digamma(values), special.polygamma(1, values)],
                               rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1])
def test_polygamma_gradient(n, rng):
    verify_grad(lambda a: T.polygamma(n, a), [rng.uniform(0.5, 4, 6)], rng=rng)


def test_gamma_second_derivative_goes_through_psi(rng):
    # d² gamma = gamma (psi² + psi'), built from gamma's row and the Polygamma op
    x = T.dscalar("x")
    g2 = th.grad(th.grad(T.gamma(x), x), x)
    v = 2.3
    want = special.gamma(v) * (special.digamma(v) ** 2 + special.polygamma(1, v))
    np.testing.assert_allclose(th.function([x], g2)(v), want, rtol=1e-12)


def test_dtypes_and_errors():
    assert T.psi(T.fvector()).dtype == "float32"
    assert T.psi(T.ivector()).dtype == "float64"
    with pytest.raises(TypeError, match=r"psi: needs a real input, got complex128\[\?\]"):
        T.psi(T.zvector())
    with pytest.raises(ValueError, match="order must be a non-negative int"):
        Polygamma(-1)
