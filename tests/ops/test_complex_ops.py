"""Complex numbers against NumPy, and the gradients of real costs through complex values by
finite differences in the real and imaginary parts."""

from __future__ import annotations

import numpy as np

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad


def test_values_and_dtypes(rng):
    z = T.zvector("z")
    zv = rng.normal(size=5) + 1j * rng.normal(size=5)
    f = th.function([z], [T.real(z), T.imag(z), T.conj(z), T.angle(z)])
    for got, want in zip(f(zv), [zv.real, zv.imag, np.conj(zv), np.angle(zv)], strict=True):
        np.testing.assert_array_equal(got, want)
    assert T.real(T.cvector()).dtype == "float32" and T.imag(z).dtype == "float64"
    a, b = T.fvectors("a", "b")
    assert T.complex(a, b).dtype == "complex64"
    x, y = T.dvectors("x", "y")
    xv, yv = rng.normal(size=3), rng.uniform(-3, 3, 3)
    np.testing.assert_allclose(T.complex_from_polar(x, y).eval({x: xv, y: yv}),
                               xv * np.exp(1j * yv), rtol=1e-15)


def test_gradients_through_complex(rng):
    xv, yv = rng.normal(size=4), rng.normal(size=4)
    verify_grad(lambda x, y: T.real(T.complex(x, y)) * T.imag(T.complex(x, y)), [xv, yv],
                rng=rng)
    verify_grad(lambda x, y: T.angle(T.complex(x, y)), [xv, yv], rng=rng)
    verify_grad(lambda x, y: T.imag(T.conj(T.complex(x, y))) * x, [xv, yv], rng=rng)
    verify_grad(lambda r, t: T.real(T.complex_from_polar(r, t)) + T.imag(
        T.complex_from_polar(r, t)) ** 2, [xv, yv], rng=rng)


def test_real_of_a_real_input_passes_the_gradient():
    x = T.dvector("x")
    g = th.grad(T.sum(T.real(x) * 3), x)
    np.testing.assert_array_equal(g.eval({x: np.ones(2)}), [3.0, 3.0])
