"""Elementwise special functions SciPy computes: erfinv, erfcinv, erfcx, the Bessel functions
j0 j1 jv i0 i1 iv, and the regularized incomplete gamma functions gammainc gammaincc.

Each is a ``PyScalarSpec`` inside ``Elemwise``: no C99 spelling, so every linker runs them in
Python (``scipy.special``, imported on first use).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..core.op import UndefinedGrad
from .math import exp, gammaln, log
from .py_scalar import PyScalarSpec, tensor_function

__all__ = ["erfinv", "erfcinv", "erfcx", "j0", "j1", "jv", "i0", "i1", "iv", "gammainc",
           "gammaincc", "gammau", "gammal", "chi2sf", "SPECIAL_OPS"]

SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


def _scipy(name: str) -> Callable[..., Any]:
    def impl(*inputs: Any) -> Any:
        from scipy import special
        return getattr(special, name)(*inputs)
    return impl


def _undefined(name: str, what: str) -> UndefinedGrad:
    return UndefinedGrad(f"{name}: no gradient with respect to the {what} (as in Theano)")


def _gammainc_dx(k: Any, x: Any) -> Any:
    # d/dx P(k, x) = x^(k-1) e^-x / Gamma(k), in logs so large k does not overflow
    return exp((k - 1) * log(x) - x - gammaln(k))


def _unregularized(regularized: str) -> Callable[..., Any]:
    def impl(k: Any, x: Any) -> Any:
        from scipy import special
        return getattr(special, regularized)(k, x) * special.gamma(k)
    return impl


def _x_power_exp(k: Any, x: Any) -> Any:
    # d/dx of the unnormalized incomplete gamma functions: +-x^(k-1) e^-x
    return exp((k - 1) * log(x) - x)


def S(name: str, nin: int, grad: Callable[..., tuple], doc: str,
      impl: Callable[..., Any] | None = None) -> PyScalarSpec:
    return PyScalarSpec(name, nin, impl or _scipy(name), grad, doc, table=__name__)


SPECIAL_OPS: tuple[PyScalarSpec, ...] = (
    # d erfinv(x) = sqrt(pi)/2 exp(erfinv(x)^2)
    S("erfinv", 1, lambda x, z, g: (g * SQRT_PI_OVER_2 * exp(z * z),),
      "The inverse of ``erf`` on (-1, 1)."),
    S("erfcinv", 1, lambda x, z, g: (-g * SQRT_PI_OVER_2 * exp(z * z),),
      "The inverse of ``erfc`` on (0, 2)."),
    # erfcx = exp(x^2) erfc(x); d erfcx = 2x erfcx - 2/sqrt(pi)
    S("erfcx", 1, lambda x, z, g: (g * (2 * x * z - TWO_OVER_SQRT_PI),),
      "The scaled complementary error function ``exp(x**2) * erfc(x)``."),
    S("j0", 1, lambda x, z, g: (-g * j1(x),),
      "The Bessel function of the first kind of order 0."),
    # J1' = (J0 - J2) / 2
    S("j1", 1, lambda x, z, g: (g * (j0(x) - jv(2, x)) / 2,),
      "The Bessel function of the first kind of order 1."),
    S("jv", 2, lambda v, x, z, g: (_undefined("jv", "order"),
                                   g * (jv(v - 1, x) - jv(v + 1, x)) / 2),
      "``jv(v, x)``: the Bessel function of the first kind of real order ``v``."),
    S("i0", 1, lambda x, z, g: (g * i1(x),),
      "The modified Bessel function of the first kind of order 0."),
    # I1' = (I0 + I2) / 2
    S("i1", 1, lambda x, z, g: (g * (i0(x) + iv(2, x)) / 2,),
      "The modified Bessel function of the first kind of order 1."),
    S("iv", 2, lambda v, x, z, g: (_undefined("iv", "order"),
                                   g * (iv(v - 1, x) + iv(v + 1, x)) / 2),
      "``iv(v, x)``: the modified Bessel function of the first kind of real order ``v``."),
    S("gammainc", 2, lambda k, x, z, g: (_undefined("gammainc", "shape k"),
                                         g * _gammainc_dx(k, x)),
      "``gammainc(k, x)``: the regularized lower incomplete gamma function ``P(k, x)``."),
    S("gammaincc", 2, lambda k, x, z, g: (_undefined("gammaincc", "shape k"),
                                          -g * _gammainc_dx(k, x)),
      "``gammaincc(k, x)``: the regularized upper incomplete gamma function ``Q(k, x)``."),
    S("gammau", 2, lambda k, x, z, g: (_undefined("gammau", "shape k"),
                                       -g * _x_power_exp(k, x)),
      "``gammau(k, x)``: the upper incomplete gamma function ``Gamma(k) Q(k, x)``.",
      _unregularized("gammaincc")),
    S("gammal", 2, lambda k, x, z, g: (_undefined("gammal", "shape k"),
                                       g * _x_power_exp(k, x)),
      "``gammal(k, x)``: the lower incomplete gamma function ``Gamma(k) P(k, x)``.",
      _unregularized("gammainc")),
)

ROWS = {spec.name: spec for spec in SPECIAL_OPS}

erfinv: Callable[..., Any] = tensor_function(ROWS["erfinv"])
erfcinv: Callable[..., Any] = tensor_function(ROWS["erfcinv"])
erfcx: Callable[..., Any] = tensor_function(ROWS["erfcx"])
j0: Callable[..., Any] = tensor_function(ROWS["j0"])
j1: Callable[..., Any] = tensor_function(ROWS["j1"])
jv: Callable[..., Any] = tensor_function(ROWS["jv"])
i0: Callable[..., Any] = tensor_function(ROWS["i0"])
i1: Callable[..., Any] = tensor_function(ROWS["i1"])
iv: Callable[..., Any] = tensor_function(ROWS["iv"])
gammainc: Callable[..., Any] = tensor_function(ROWS["gammainc"])
gammaincc: Callable[..., Any] = tensor_function(ROWS["gammaincc"])
gammau: Callable[..., Any] = tensor_function(ROWS["gammau"])
gammal: Callable[..., Any] = tensor_function(ROWS["gammal"])


def chi2sf(x: Any, k: Any) -> Any:
    """The survival function ``P(X > x)`` of a chi-squared variable with ``k`` degrees of
    freedom: ``gammaincc(k / 2, x / 2)`` (differentiable in ``x``)."""
    return gammaincc(k / 2.0, x / 2.0)
