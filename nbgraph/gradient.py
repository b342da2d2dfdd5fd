"""``nbgraph.gradient`` (Theano's ``theano.gradient``): re-exports only, no logic.

The autodiff lives in ``nbgraph.core.gradient``; ``verify_grad`` compiles, so it lives in
``nbgraph.compile.verify``.
"""

from __future__ import annotations

from .compile.verify import GradientError, verify_grad
from .core.gradient import (
    DisconnectedInputError,
    GradClip,
    GradScale,
    Lop,
    NullTypeGradError,
    Rop,
    disconnected_grad,
    grad,
    grad_clip,
    grad_scale,
    grad_undefined,
    hessian,
    jacobian,
    numeric_grad,
    zero_grad,
)

__all__ = [
    "DisconnectedInputError", "GradientError", "Lop", "NullTypeGradError", "Rop",
    "disconnected_grad", "grad", "grad_clip", "grad_scale", "GradClip", "GradScale",
    "grad_undefined", "hessian", "jacobian", "numeric_grad",
    "verify_grad", "zero_grad",
]
