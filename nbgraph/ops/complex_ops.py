"""Complex numbers (Theano's ``real imag conj angle complex complex_from_polar``): scalar ops
inside ``Elemwise``, run by NumPy on every linker (the C kernels have no complex types).

Gradients follow Theano: a real cost's gradient with respect to a complex ``z = x + iy`` is
``dC/dx + i dC/dy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.types import upcast
from .math import cos, sin
from .py_scalar import PyScalarSpec, tensor_function

__all__ = ["real", "imag", "conj", "angle", "complex", "complex_from_polar", "COMPLEX_OPS"]


def _real_part(dtypes: tuple[str, ...]) -> str:
    """complex128 -> float64, complex64 -> float32; reals keep their dtype."""
    dtype = np.dtype(upcast(*dtypes))
    return str(np.empty((), dtype).real.dtype) if dtype.kind == "c" else str(dtype)


def _complex_of(dtypes: tuple[str, ...]) -> str:
    """The complex dtype holding two parts of ``dtypes`` (float32 -> complex64)."""
    return str(np.result_type(np.complex64, *[np.dtype(d) for d in dtypes]))


def _same(dtypes: tuple[str, ...]) -> str:
    return upcast(*dtypes)


def _is_complex(x: Any) -> bool:
    return np.dtype(x.dtype).kind == "c"


def _real_grad(x: Any, z: Any, g: Any) -> tuple:
    return (complex(g, 0) if _is_complex(x) else g,)


def _imag_grad(x: Any, z: Any, g: Any) -> tuple:
    # the imaginary part of a real input is the constant 0
    return (complex(0, g) if _is_complex(x) else None,)


def _angle_grad(x: Any, z: Any, g: Any) -> tuple:
    # angle = atan2(y, x): d/dx = -y/|z|^2, d/dy = x/|z|^2
    if not _is_complex(x):
        return (None,)  # 0 or pi: piecewise constant
    re, im = real(x), imag(x)
    mod2 = re * re + im * im
    return (complex(-g * im / mod2, g * re / mod2),)


def _row(name: str, nin: int, impl: Any, grad: Any, out: Any, doc: str) -> PyScalarSpec:
    return PyScalarSpec(name, nin, impl, grad, doc, table=__name__, out=out)


COMPLEX_OPS: tuple[PyScalarSpec, ...] = (
    _row("real", 1, np.real, _real_grad, _real_part, "The real part of ``z``."),
    _row("imag", 1, np.imag, _imag_grad, _real_part, "The imaginary part of ``z``."),
    _row("conj", 1, np.conj, lambda x, z, g: (conj(g) if _is_complex(x) else g,), _same,
         "The complex conjugate of ``z``."),
    _row("angle", 1, np.angle, _angle_grad, _real_part,
         "The argument of ``z`` in radians, in (-pi, pi]."),
    _row("complex", 2, lambda x, y: x + 1j * y,
         lambda x, y, z, g: (real(g), imag(g)), _complex_of,
         "``complex(x, y) = x + i y`` from real and imaginary parts."),
)

ROWS = {spec.name: spec for spec in COMPLEX_OPS}

real: Callable[..., Any] = tensor_function(ROWS["real"])
imag: Callable[..., Any] = tensor_function(ROWS["imag"])
conj: Callable[..., Any] = tensor_function(ROWS["conj"])
angle: Callable[..., Any] = tensor_function(ROWS["angle"])
complex: Callable[..., Any] = tensor_function(ROWS["complex"])  # noqa: A001 (Theano)


def complex_from_polar(abs: Any, angle: Any) -> Any:  # noqa: A002  (Theano's names)
    """``abs * exp(i angle)``, from a modulus and an argument (differentiable in both)."""
    return complex(abs * cos(angle), abs * sin(angle))
