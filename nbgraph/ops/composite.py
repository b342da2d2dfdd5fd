"""Composite: a fused elementwise expression of scalar-table rows (``Elemwise{Composite{...}}``).

The fusion pass builds one from a connected elementwise subgraph; kernel renderers lower its
steps to one loop body; its NumPy reference evaluates the steps in order. It stands where a
``ScalarSpec`` stands inside ``Elemwise``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.gradient import backprop
from ..core.variable import constant
from .elemwise import Elemwise
from .math import cast, elemwise
from .scalar import SCALAR_BY_NAME, ScalarSpec


@dataclass(frozen=True, slots=True)
class Step:
    """One scalar operation inside a Composite.

    ``args`` refer to earlier values: index ``k < nin`` is input ``k``; ``k >= nin`` is the
    result of step ``k - nin``. A step with ``spec=None`` is a scalar constant ``value``.
    ``uid`` is the uid of the graph node this step came from (temporaries are ``t<uid>``).
    """

    spec: ScalarSpec | None
    args: tuple[int, ...]
    dtype: str
    uid: int
    value: float | int | bool | None = None


@dataclass(frozen=True, slots=True)
class Composite:
    """``nin`` inputs, ``steps`` in evaluation order, and the step values that are outputs."""

    nin: int
    in_dtypes: tuple[str, ...]
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]   # references, as in Step.args

    # -- what Elemwise asks of its scalar op -----------------------------------------------
    @property
    def nout(self) -> int:
        return len(self.outputs)

    @property
    def name(self) -> str:
        return "Composite{" + ", ".join(self.expression(o) for o in self.outputs) + "}"

    def __str__(self) -> str:
        return self.name

    commutative = False
    associative = False
    identity = None
    symbol = None

    def out_dtypes(self, dtypes: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(self.ref_dtype(o) for o in self.outputs)

    def input_grads(self, inputs: list[Any], outputs: list[Any],
                    output_grads: list[Any]) -> list[Any]:
        """Differentiate the expansion into ordinary Elemwise nodes (see ``expand``)."""
        expanded = self.expand(list(inputs))
        found = backprop(dict(zip(expanded, output_grads, strict=True)), list(inputs))
        return [found.get(x) for x in inputs]

    def ref_dtype(self, ref: int) -> str:
        return self.in_dtypes[ref] if ref < self.nin else self.steps[ref - self.nin].dtype

    def numpy(self, *inputs: Any) -> Any:
        values = self.values(*inputs)
        outs = tuple(values[o] for o in self.outputs)
        return outs if len(outs) > 1 else outs[0]

    def values(self, *inputs: Any) -> list[Any]:
        """The inputs, then the value of every step (NanGuardMode looks for the first bad one)."""
        values: list[Any] = list(inputs)
        for step in self.steps:
            if step.spec is None:
                values.append(np.asarray(step.value, dtype=step.dtype))
                continue
            # evaluate, not numpy: float math on int8/uint8/bool in the step's dtype, as the
            # kernels do (NumPy alone would compute it in float16)
            result = np.asarray(step.spec.evaluate(*[values[a] for a in step.args]))
            values.append(result if result.dtype == step.dtype else result.astype(step.dtype))
        return values

    # -- printing -------------------------------------------------------------------------------
    def expression(self, ref: int) -> str:
        """Theano's infix form: ``(i0 + exp(i1))``."""
        if ref < self.nin:
            return f"i{ref}"
        step = self.steps[ref - self.nin]
        if step.spec is None:
            return repr(step.value) if not isinstance(step.value, float) \
                else f"{step.value:g}"
        args = [self.expression(a) for a in step.args]
        symbol = step.spec.symbol
        if symbol and len(args) == 1:
            return f"{symbol}{args[0]}"
        if symbol and len(args) >= 2:
            return "(" + f" {symbol} ".join(args) + ")"
        return f"{step.spec.name}({', '.join(args)})"

    # -- differentiation ------------------------------------------------------------------------
    def expand(self, inputs: list[Any]) -> list[Any]:
        """The same computation as ordinary Elemwise nodes on tensor ``inputs``."""
        values: list[Any] = list(inputs)
        for step in self.steps:
            if step.spec is None:
                values.append(constant(step.value, dtype=step.dtype))
                continue
            op = elemwise(step.spec.name) if step.spec.name in _TABLE_NAMES \
                else Elemwise(step.spec)
            out = op(*[values[a] for a in step.args])
            values.append(out if out.dtype == step.dtype else cast(out, step.dtype))
        return [values[o] for o in self.outputs]


def _table_names() -> frozenset[str]:
    return frozenset(SCALAR_BY_NAME)


_TABLE_NAMES = _table_names()
