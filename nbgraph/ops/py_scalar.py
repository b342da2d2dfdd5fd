"""Scalar ops with no C99 form, run by NumPy/SciPy inside ``Elemwise`` (``PyScalarSpec``).

``Elemwise`` gives them broadcasting, gradients summed back to each input's shape and
Theano's printout (``Elemwise{erfinv,no_inplace}``). They are not rows of ``SCALAR_OPS``
(the C table): fusion leaves them out and every linker runs them in Python.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.types import upcast, upgrade_to_float
from .elemwise import Elemwise

__all__ = ["PyScalarSpec", "float_result"]


def float_result(dtypes: tuple[str, ...]) -> str:
    """The float dtype math on ``dtypes`` gives (int32 -> float64)."""
    return upgrade_to_float(upcast(*dtypes))


@dataclass(frozen=True, slots=True)
class PyScalarSpec:
    """One scalar op (the ``ScalarOp`` protocol ``Elemwise`` asks for).

    ``impl`` is the NumPy/SciPy function; ``grad`` takes ``(x.., z, g)`` tensors and returns
    one gradient per input, as the rows of ``SCALAR_OPS`` do (``None``: disconnected; an
    ``UndefinedGrad``: no gradient). ``table`` names the module whose ``ROWS`` dict holds the
    row, so a pickle finds it by name.
    """

    name: str
    nin: int
    impl: Callable[..., Any]
    grad: Callable[..., tuple]
    doc: str
    table: str
    out: Callable[[tuple[str, ...]], str] = float_result
    associative: bool = False

    def __str__(self) -> str:
        return self.name

    def __reduce__(self) -> tuple:  # rows hold lambdas: pickle by name
        return (row_by_name, (self.table, self.name))

    def numpy(self, *inputs: Any) -> Any:
        return self.impl(*inputs)

    def out_dtypes(self, dtypes: tuple[str, ...]) -> tuple[str, ...]:
        return (self.out(dtypes),)

    def input_grads(self, inputs: list[Any], outputs: list[Any],
                    output_grads: list[Any]) -> tuple:
        return self.grad(*inputs, outputs[0], output_grads[0])


def row_by_name(table: str, name: str) -> PyScalarSpec:
    """Row ``name`` of module ``table``'s ``ROWS``."""
    rows: dict[str, PyScalarSpec] = importlib.import_module(table).ROWS
    return rows[name]


@functools.cache
def py_elemwise(spec: PyScalarSpec) -> Elemwise:
    """The Elemwise op of a row, shared so that equal graphs use equal ops."""
    return Elemwise(spec)


def tensor_function(spec: PyScalarSpec) -> Callable[..., Any]:
    """The public tensor function of a row; its docstring says it runs in Python."""
    def apply(*inputs: Any) -> Any:
        return py_elemwise(spec)(*inputs)

    apply.__name__ = apply.__qualname__ = spec.name
    apply.__doc__ = f"{spec.doc} Runs in Python (NumPy/SciPy) on every linker."
    return apply
