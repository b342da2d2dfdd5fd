"""The SciPy-computed special functions against scipy.special in float64, their gradients by
finite differences (and at extreme inputs), broadcasting, printing and pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import special

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad
from nbgraph.core.gradient import NullTypeGradError

UNARY = {  # name: where the tests draw x (inside the domain, away from poles)
    "erfinv": (-0.9, 0.9), "erfcinv": (0.1, 1.9), "erfcx": (-2.0, 3.0), "j0": (-6.0, 6.0),
    "j1": (-6.0, 6.0), "i0": (-3.0, 3.0), "i1": (-3.0, 3.0),
}
BINARY = {  # name: (first argument range, second argument range)
    "jv": ((0.5, 3.0), (0.5, 6.0)), "iv": ((0.5, 3.0), (0.5, 3.0)),
    "gammainc": ((0.5, 4.0), (0.2, 5.0)), "gammaincc": ((0.5, 4.0), (0.2, 5.0)),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_scipy(name, linker, rng):
    x = T.dvector("x")
    values = rng.uniform(*UNARY[name], 11)
    got = th.function([x], getattr(T, name)(x), mode=Mode(linker=linker))(values)
    np.testing.assert_allclose(got, getattr(special, name)(values), rtol=1e-13)


@pytest.mark.parametrize("name", BINARY)
def test_binary_broadcasts_like_scipy(name, linker, rng):
    a, x = T.dcol("a"), T.dmatrix("x")
    av = rng.uniform(*BINARY[name][0], (3, 1))
    xv = rng.uniform(*BINARY[name][1], (3, 4))
    got = th.function([a, x], getattr(T, name)(a, x), mode=Mode(linker=linker))(av, xv)
    np.testing.assert_allclose(got, getattr(special, name)(av, xv), rtol=1e-13)


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradient(name, rng):
    verify_grad(getattr(T, name), [rng.uniform(*UNARY[name], 6)], rng=rng)


@pytest.mark.parametrize("name", BINARY)
def test_binary_gradient_in_x(name, rng):
    order = rng.uniform(*BINARY[name][0])
    verify_grad(lambda x: getattr(T, name)(order, x), [rng.uniform(*BINARY[name][1], 5)],
                rng=rng)


@pytest.mark.parametrize("name", BINARY)
def test_gradient_in_the_order_is_undefined(name):
    a, x = T.dscalars("a", "x")
    with pytest.raises(NullTypeGradError, match="no gradient with respect to the"):
        th.grad(getattr(T, name)(a, x), a)


def test_gradients_at_extreme_inputs():
    # erfinv near +-1 and erfcx at large |x|: the closed forms stay finite and accurate
    x = T.dvector("x")
    f = th.function([x], [th.grad(T.sum(T.erfinv(x)), x), th.grad(T.sum(T.erfcx(x)), x)])
    xv = np.array([-0.999999, 0.999999, 30.0, -5.0])
    g_erfinv, g_erfcx = f(xv)
    want = np.sqrt(np.pi) / 2 * np.exp(special.erfinv(xv) ** 2)
    np.testing.assert_allclose(g_erfinv, want, rtol=1e-12)
    np.testing.assert_allclose(g_erfcx, 2 * xv * special.erfcx(xv) - 2 / np.sqrt(np.pi),
                               rtol=1e-9, atol=1e-15)
    # the incomplete gamma derivative in logs: no overflow for a large shape parameter
    gx = th.function([x], th.grad(T.sum(T.gammainc(200.0, x)), x))(np.array([200.0]))
    np.testing.assert_allclose(gx, np.exp(199 * np.log(200.0) - 200 - special.gammaln(200)),
                               rtol=1e-10)


def test_printing_dtype_and_pickle():
    x = T.fvector("x")
    out = T.erfinv(x)
    assert str(out.owner.op) == "Elemwise{erfinv,no_inplace}"
    assert out.dtype == "float32" and T.j0(T.ivector()).dtype == "float64"
    op = pickle.loads(pickle.dumps(out.owner.op))
    assert op == out.owner.op


def test_chi2sf(rng):
    x = T.dvector("x")
    xv = rng.uniform(0.1, 8, 6)
    np.testing.assert_allclose(T.chi2sf(x, 3).eval({x: xv}), special.chdtrc(3, xv),
                               rtol=1e-12)
    verify_grad(lambda a: T.chi2sf(a, 4.0), [xv], rng=rng)


@pytest.mark.parametrize("name, regularized", [("gammau", "gammaincc"), ("gammal", "gammainc")])
def test_unnormalized_incomplete_gamma(name, regularized, rng):
    x = T.dvector("x")
    xv = rng.uniform(0.2, 5, 6)
    want = getattr(special, regularized)(2.5, xv) * special.gamma(2.5)
    np.testing.assert_allclose(getattr(T, name)(2.5, x).eval({x: xv}), want, rtol=1e-12)
    verify_grad(lambda a: getattr(T, name)(2.5, a), [xv], rng=rng)


def test_compiled_functions_pickle(rng):
    x = T.dvector("x")
    f = th.function([x], T.erfinv(x * 0.5) + T.jv(1.5, x))
    g = pickle.loads(pickle.dumps(f))
    xv = rng.uniform(0.1, 1, 4)
    np.testing.assert_array_equal(g(xv), f(xv))
