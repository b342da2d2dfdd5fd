"""``Print``: an identity op that prints its value when the compiled function runs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.graph import Apply
from ..core.op import Op
from ..core.variable import TensorVariable, as_tensor_variable


def _print_fn(op: Print, value: Any) -> None:
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, "=", shown() if callable(shown) else shown)


class Print(Op):
    """Theano's ``theano.printing.Print``: passes ``x`` through and prints ``message`` with
    each of ``attrs`` of its value (``__str__`` by default) on every call.

    >>> x = T.dvector('x')
    >>> f = function([x], Print('x is')(x) * 5)
    >>> f([1, 2])
    x is __str__ = [1. 2.]
    array([ 5., 10.])

    The gradient passes through unchanged.
    """

    __props__ = ("message", "attrs")
    view_map = {0: [0]}

    def __init__(self, message: str = "", attrs: Sequence[str] = ("__str__",),
                 global_fn: Callable[[Print, Any], None] = _print_fn):
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        self.global_fn(self, inputs[0])
        output_storage[0][0] = inputs[0]

    def infer_shape(self, node: Apply, shapes: list[tuple]) -> list[tuple]:
        return [shapes[0]]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[TensorVariable]:
        return list(output_grads)
