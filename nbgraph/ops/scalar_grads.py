"""Gradient rules of the scalar table that look at the gradient they are handed.

``grad`` works before any rewrite, so the gradient of ``log(σ(x))`` reaches sigmoid as
``g / σ(x)`` and sigmoid's rule multiplies by ``σ(x) (1 - σ(x))``. stabilize cancels that in
the first derivative, but a second derivative (``grad`` of that graph, ``T.hessian``'s scan)
differentiates the uncancelled form: 0/0 once σ(x) underflows (|x| ≈ 750). Cancelling here,
where the gradient is built, keeps every derivative free of those divisions.
"""

from __future__ import annotations

import numpy as np

from ..core.tensor_math import MATH as T
from ..core.variable import TensorConstant, TensorVariable


def _name(var: TensorVariable) -> str | None:
    """The scalar op name of ``var``'s Elemwise owner, if any."""
    op = var.owner.op if var.owner is not None else None
    return getattr(getattr(op, "scalar_op", None), "name", None)


def _args(var: TensorVariable) -> list[TensorVariable]:
    return list(var.owner.inputs) if var.owner is not None else []


def _is_one(var: TensorVariable) -> bool:
    """Whether ``var`` is a constant 1 (through the DimShuffles that broadcast it)."""
    while var.owner is not None and hasattr(var.owner.op, "new_order"):
        var = _args(var)[0]
    return isinstance(var, TensorConstant) and bool(np.all(var.data == 1))


def _times_sigmoid_slope(term: TensorVariable, z: TensorVariable) -> TensorVariable | None:
    """``term z (1 - z)`` without the division when ``term`` is ``±a / z`` or
    ``±a / (1 - z)``; else None."""
    name = _name(term)
    if name == "neg":
        inner = _times_sigmoid_slope(_args(term)[0], z)
        return None if inner is None else -inner
    if name != "true_div":
        return None
    a, d = _args(term)
    if d is z:
        return a * (1 - z)
    if _name(d) == "sub" and _args(d)[1] is z and _is_one(_args(d)[0]):
        return a * z
    return None


def sigmoid_grad(x: TensorVariable, z: TensorVariable, g: TensorVariable) -> tuple:
    """d σ = σ (1 - σ), with ``g``'s terms ``a / σ`` and ``b / (1 - σ)`` (from log σ,
    log(1 - σ), binary cross-entropy) cancelled: ``a (1 - σ)``, ``b σ``."""
    terms = _args(g) if _name(g) == "add" else [g]
    cancelled = [_times_sigmoid_slope(t, z) for t in terms]
    if all(c is None for c in cancelled):
        return (g * z * (1 - z),)
    out = [t * z * (1 - z) if c is None else c for t, c in zip(terms, cancelled, strict=True)]
    return (T.add(*out) if len(out) > 1 else out[0],)
