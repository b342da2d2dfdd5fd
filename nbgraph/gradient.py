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
from .core.gradient_helpers import (
    ConsiderConstant,
    DisconnectedGrad,
    DisconnectedType,
    UndefinedGradOp,
    ZeroGrad,
    consider_constant,
    disconnected_type,
    format_as,
    grad_not_implemented,
    subgraph_grad,
    undefined_grad,
)

__all__ = [
    "DisconnectedInputError", "GradientError", "Lop", "NullTypeGradError", "Rop",
    "disconnected_grad", "grad", "grad_clip", "grad_scale", "GradClip", "GradScale",
    "grad_undefined", "hessian", "jacobian", "numeric_grad",
    "verify_grad", "zero_grad", "consider_constant", "ConsiderConstant", "undefined_grad",
    "UndefinedGradOp", "grad_not_implemented", "DisconnectedType", "subgraph_grad", "format_as",
    "ZeroGrad", "DisconnectedGrad", "disconnected_type",
]
