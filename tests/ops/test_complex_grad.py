"""Gradients through complex elementwise math follow Theano's convention, dC/dRe + i dC/dIm,
checked by finite differences on the real and imaginary parts separately."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T

RULES = {
    "mul": lambda z, w: z * w,
    "true_div": lambda z, w: z / w,
    "pow": lambda z, w: z ** w,
    "exp": lambda z, w: T.exp(z) * w,
    "log": lambda z, w: T.log(z) + w,
    "sin": lambda z, w: T.sin(z * w),
    "sqrt": lambda z, w: T.sqrt(z) * w,
    "tanh": lambda z, w: T.tanh(z - w),
}


def _numeric(cost, zv, wv, eps=1e-6):
    out = np.zeros_like(zv)
    for i in range(zv.size):
        for unit in (1.0, 1j):
            step = np.zeros_like(zv)
            step[i] = eps * unit
            d = (cost(zv + step, wv) - cost(zv - step, wv)) / (2 * eps)
            out[i] += d * unit      # dC/dRe + i dC/dIm
    return out


@pytest.mark.parametrize("name", sorted(RULES))
@pytest.mark.parametrize("part", ["real", "imag"])
def test_complex_gradient_matches_finite_differences(name, part, rng):
    z, w = T.zvector("z"), T.zvector("w")
    out = RULES[name](z, w)
    cost = (T.real(out) if part == "real" else T.imag(out)).sum()
    grad = th.function([z, w], T.grad(cost, z))
    value = th.function([z, w], cost)
    zv = rng.uniform(0.5, 1.5, 3) + 1j * rng.uniform(-1, 1, 3)
    wv = rng.uniform(0.5, 1.5, 3) + 1j * rng.uniform(-1, 1, 3)
    np.testing.assert_allclose(grad(zv, wv), _numeric(lambda a, b: float(value(a, b)), zv, wv),
                               rtol=1e-6, atol=1e-8)


def test_real_input_of_a_complex_product_gets_the_real_part(rng):
    x, w = T.dvector("x"), T.zvector("w")
    xv, wv = rng.normal(size=3), rng.normal(size=3) + 1j * rng.normal(size=3)
    grad = th.function([x, w], T.grad(T.imag(x * w).sum(), x))
    np.testing.assert_allclose(grad(xv, wv), wv.imag)
