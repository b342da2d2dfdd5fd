"""``nbgraph.compile.ops`` (Theano's ``theano.compile.ops``): ``as_op``, which turns a NumPy
function into an Op (no gradient; ``infer_shape`` optional)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.op import Op

__all__ = ["FromFunctionOp", "as_op"]


class FromFunctionOp(Op):
    """An Op whose ``perform`` calls ``fn`` on the input arrays (Theano's). ``fn`` returns
    one array per ``otypes`` entry (the array itself when there is one)."""

    __props__ = ("fn", "itypes", "otypes", "infer_shape_fn")

    def __init__(self, fn: Callable[..., Any], itypes: Sequence[Any], otypes: Sequence[Any],
                 infer_shape: Callable[..., Any] | None = None):
        self.fn = fn
        self.itypes, self.otypes = tuple(itypes), tuple(otypes)
        self.infer_shape_fn = infer_shape

    def __str__(self) -> str:
        return f"FromFunctionOp{{{getattr(self.fn, '__name__', self.fn)}}}"

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        results = self.fn(*inputs)
        if len(self.otypes) == 1:
            results = [results]
        if len(results) != len(self.otypes):
            raise ValueError(f"{self} (node {node.uid}): returned {len(results)} values, "
                             f"otypes declares {len(self.otypes)}")
        for cell, value, out in zip(output_storage, results, node.outputs, strict=True):
            cell[0] = np.asarray(value, dtype=out.type.dtype)

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        if self.infer_shape_fn is None:
            raise NotImplementedError(f"{self}: as_op was given no infer_shape")
        return self.infer_shape_fn(node, input_shapes)

    def grad(self, inputs: list[Any], output_grads: list[Any]) -> list[Any]:
        raise NotImplementedError(f"{self}: an as_op function has no gradient; write an Op "
                                  f"with a grad method")


def as_op(itypes: Sequence[Any], otypes: Sequence[Any],
          infer_shape: Callable[..., Any] | None = None) -> Callable[[Callable], FromFunctionOp]:
    """Decorate a NumPy function to make it an Op (Theano's ``as_op``).

    >>> @as_op(itypes=[T.dmatrix, T.dmatrix], otypes=[T.dmatrix])
    ... def numpy_dot(a, b):
    ...     return numpy.dot(a, b)
    """
    if not isinstance(itypes, (list, tuple)) or not isinstance(otypes, (list, tuple)):
        raise TypeError("as_op: itypes and otypes must be lists of types")

    def make(fn: Callable[..., Any]) -> FromFunctionOp:
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return make
