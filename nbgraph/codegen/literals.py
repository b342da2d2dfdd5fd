"""C spellings of constant values, shared by the renderers and the reductions table."""

from __future__ import annotations

import math

import numpy as np


def c_literal(value: float | int | bool | np.generic, dtype: str) -> str:
    """A C literal of ``value`` in ``dtype`` (float32 literals carry ``f``: no silent upcast)."""
    if dtype == "bool":
        return "1" if value else "0"
    if np.dtype(dtype).kind in "iu":
        suffix = "ULL" if dtype == "uint64" else "LL"
        return f"{int(value)}{suffix}"
    v = float(value)
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    text = repr(v)
    return text + "f" if dtype == "float32" else text
