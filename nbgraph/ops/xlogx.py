"""Theano's ``theano.tensor.xlogx``: ``x log x`` and ``x log y`` taken as 0 where ``x == 0``
(the limits that entropies need), built from elementwise math so they fuse like any other.
"""

from __future__ import annotations

from typing import Any

from ..core.variable import TensorVariable, as_tensor_variable
from . import math as M

__all__ = ["xlogx", "xlogy0"]


def _where_x_zero(x: TensorVariable, y: TensorVariable) -> TensorVariable:
    # log sees 1 where x == 0, so neither the value nor the gradient of the branch that
    # switch discards is ever inf * 0 = nan
    at_zero = M.eq(x, 0)
    return M.switch(at_zero, 0, x * M.log(M.switch(at_zero, 1, y)))


def xlogx(x: Any) -> TensorVariable:
    """``x * log(x)``, and 0 where ``x == 0``.

    >>> h = -T.xlogx.xlogx(p).sum()      # entropy of p
    """
    x = as_tensor_variable(x)
    return _where_x_zero(x, x)


def xlogy0(x: Any, y: Any) -> TensorVariable:
    """``x * log(y)``, and 0 where ``x == 0`` (whatever ``y`` is there)."""
    return _where_x_zero(as_tensor_variable(x), as_tensor_variable(y))
