"""Special functions with no C99 spelling: the polygamma family (``psi`` = digamma), as an Op
computed by SciPy. Gamma and log-gamma are scalar-table rows (C ``tgamma``/``lgamma``); their
gradients need ``psi``, which lives here because C99 has no digamma to put in the table.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_float, upgrade_to_float
from ..core.variable import as_tensor_variable, describe

__all__ = ["Polygamma", "polygamma", "psi", "digamma", "tri_gamma"]


class Polygamma(Op):
    """``psi^(n)(x)``, the n-th derivative of the digamma function ``psi = d log Gamma``,
    elementwise. SciPy computes it in every mode (there is no C code: C99 has no digamma)."""

    __props__ = ("n",)

    def __init__(self, n: int):
        if int(n) != n or n < 0:
            raise ValueError(f"polygamma: the order must be a non-negative int, got {n!r}")
        self.n = int(n)

    def __str__(self) -> str:
        return "psi" if self.n == 0 else f"polygamma{{{self.n}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        dtype = upgrade_to_float(x.dtype)
        if not is_float(dtype) or np.dtype(dtype).kind == "c":
            raise TypeError(f"{self}: needs a real input, got {describe(x)}")
        return Apply(self, [x], [TensorType(dtype, shape=x.type.shape).make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        from scipy import special
        x = inputs[0]
        out = special.digamma(x) if self.n == 0 else special.polygamma(self.n, x)
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].type.dtype)

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # d psi^(n) = psi^(n+1)
        return [output_grads[0] * Polygamma(self.n + 1)(inputs[0])]


def polygamma(n: int, x: Any) -> Any:
    """The ``n``-th derivative of ``psi`` at ``x`` (``scipy.special.polygamma``).

    >>> polygamma(1, T.dvector('x'))   # the trigamma function
    """
    return Polygamma(n)(x)


def psi(x: Any) -> Any:
    """The digamma function ``psi(x) = d/dx log Gamma(x)`` (Theano's ``T.psi``).

    >>> psi(T.constant(1.0)).eval()    # -Euler's gamma
    array(-0.57721566)
    """
    return Polygamma(0)(x)


def tri_gamma(x: Any) -> Any:
    """The trigamma function ``d psi / dx`` (Theano's ``T.tri_gamma``)."""
    return Polygamma(1)(x)


digamma = psi
