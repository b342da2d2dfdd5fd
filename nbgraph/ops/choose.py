"""``choose`` (``numpy.choose``): pick each element from one of several choices by an index
array. One op that runs in Python; differentiable in the choices."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..core.graph import Apply
from ..core.op import Op
from ..core.types import TensorType, is_int, upcast
from ..core.variable import TensorVariable, as_tensor_variable, describe
from .alloc import arange
from .elemwise import sum_to
from .join import stack
from .math import cast, eq
from .shape import shape_i

__all__ = ["choose", "Choose"]

ChooseMode = Literal["raise", "wrap", "clip"]


class Choose(Op):
    """``numpy.choose(a, choices, mode)``: ``out[i] = choices[a[i]][i]`` with ``a`` and each
    choice broadcast together; ``choices`` is one tensor whose first axis lists them."""

    __props__ = ("mode",)

    def __init__(self, mode: ChooseMode = "raise"):
        if mode not in ("raise", "wrap", "clip"):
            raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
        self.mode = mode

    def make_node(self, a: Any, choices: Any) -> Apply:
        a, choices = as_tensor_variable(a), as_tensor_variable(choices)
        if not is_int(a.dtype):
            raise TypeError(f"{self}: the index array must be integers, got {describe(a)}")
        if choices.ndim < 1:
            raise TypeError(f"{self}: choices must list the options on its first axis, got "
                            f"{describe(choices)}")
        ndim = max(a.ndim, choices.ndim - 1)
        out = TensorType(choices.dtype, shape=(None,) * ndim).make_variable()
        return Apply(self, [a, choices], [out])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        a, choices = inputs
        try:
            out = np.choose(a, choices, mode=self.mode)
        except ValueError as err:
            raise ValueError(f"{self} at node {node.uid}: {err} (index shape {a.shape}, "
                             f"choices shape {choices.shape})") from None
        output_storage[0][0] = np.asarray(out, dtype=node.outputs[0].type.dtype)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        # choice k receives g where the (wrapped or clipped) index picked k
        a, choices = inputs
        (g,) = output_grads
        count = shape_i(choices, 0)
        index = a % count if self.mode == "wrap" else (
            a.clip(0, count - 1) if self.mode == "clip" else a)
        k = _arange_like(count, g.ndim + 1)
        index = _pad(index, g.ndim)
        picked = cast(eq(index.dimshuffle("x", *range(g.ndim)), k), g.dtype)
        spread = g.dimshuffle("x", *range(g.ndim)) * picked       # (count, *g.shape)
        extra = g.ndim - (choices.ndim - 1)     # axes a added in front of the choices'
        if extra:
            spread = spread.sum(axis=list(range(1, 1 + extra)))
        return [None, sum_to(spread, choices)]


def _arange_like(count: Any, ndim: int) -> TensorVariable:
    return arange(count).dimshuffle(0, *["x"] * (ndim - 1))


def choose(a: Any, choices: Any, out: Any = None, mode: ChooseMode = "raise"
           ) -> TensorVariable:
    """Elements of ``choices`` picked by the integer array ``a`` (``numpy.choose``):
    ``choices`` is a list of tensors or one tensor stacked on its first axis.

    >>> T.choose(T.lvector('a'), [T.dvector('x'), T.dvector('y')])
    """
    if out is not None:
        raise ValueError("choose: out is not supported (Theano's signature has it, unused)")
    if isinstance(choices, (list, tuple)):
        parts = [as_tensor_variable(c) for c in choices]
        ndim = max(p.ndim for p in parts)
        dtype = upcast(*[p.dtype for p in parts])
        choices = stack([_pad(cast(p, dtype) if p.dtype != dtype else p, ndim) for p in parts])
    return Choose(mode)(a, choices)


def _pad(x: TensorVariable, ndim: int) -> TensorVariable:
    return x if x.ndim == ndim else x.dimshuffle(*["x"] * (ndim - x.ndim), *range(x.ndim))
