"""The scalar table's NumPy references that are not a single ufunc, and its gradient rules
that need more than one line (``scalar.py`` names them in its rows as ``R.<name>``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.tensor_math import MATH

T = MATH


# -- NumPy references that are not a single ufunc ------------------------------------------
def variadic(ufunc: Callable) -> Callable:
    """n-ary add/mul (canonicalize flattens chains into one node)."""
    return lambda *xs: functools.reduce(ufunc, xs)


def erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf
    return erf(x)


def erfc(x: np.ndarray) -> np.ndarray:
    from scipy.special import erfc
    return erfc(x)


def gamma(x: np.ndarray) -> np.ndarray:
    from scipy.special import gamma
    return gamma(x)


def gammaln(x: np.ndarray) -> np.ndarray:
    from scipy.special import gammaln
    return gammaln(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    from scipy.special import expit
    return expit(x)


def round_half_away(x: Any, xp: Any = np) -> Any:
    """C's ``round``, in NumPy (or ``xp``, jax.numpy): ``floor(|x| + 0.5)`` would round
    0.49999999999999994 and 2**52 + 1 up (the addition rounds), and lose -0.0; x - trunc(x)
    is exact."""
    t = xp.trunc(x)
    with np.errstate(invalid="ignore"):  # inf - inf: nan, and t is right there
        return xp.where(xp.abs(x - t) >= 0.5, t + xp.sign(x), t)


def second(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.empty(np.broadcast_shapes(np.shape(x), np.shape(y)), dtype=np.result_type(y))
    out[...] = y
    return out


def identity(x: np.ndarray) -> np.ndarray:
    return np.array(x, copy=True)


def inv(x: np.ndarray) -> np.ndarray:
    return 1.0 / x


# -- gradient rules that need more than one line -------------------------------------------
def add_grad(*args: Any) -> tuple:
    *xs, z, g = args
    return (g,) * len(xs)


def mul_grad(*args: Any) -> tuple:
    *xs, z, g = args
    return tuple(g * T.mul(*(xs[:i] + xs[i + 1:])) if len(xs) > 2 else g * xs[1 - i]
                 for i in range(len(xs)))


def pow_grad(x: Any, y: Any, z: Any, g: Any) -> tuple:
    # d x**y = y x**(y-1) dx + x**y log(x) dy; where x**y is 0 (x = 0, y > 0) the dy term
    # is 0, not 0 * log(0) = nan
    return (g * y * x ** (y - 1), g * T.switch(T.eq(z, 0), 0, z * T.log(x)))



def arctan2_grad(y: Any, x: Any, z: Any, g: Any) -> tuple:
    # d atan2(y, x) = (x dy - y dx) / (x² + y²)
    r = x * x + y * y
    return (g * x / r, -g * y / r)


def clip_grad(x: Any, lo: Any, hi: Any, z: Any, g: Any) -> tuple:
    inside = T.and_(T.ge(x, lo), T.le(x, hi))
    return (g * inside, g * T.lt(x, lo), g * T.gt(x, hi))


def switch_grad(c: Any, a: Any, b: Any, z: Any, g: Any) -> tuple:
    zero = T.zeros_like(g)
    return (None, T.switch(c, g, zero), T.switch(c, zero, g))
