"""``OpFromGraph``: a graph packaged as one op (Theano's ``theano.compile.builders``).

Calling it puts one node in the graph; ``perform`` runs the inner graph (compiled by the
outer function's linker, through the ``InnerCompiler`` it lends). With ``inline=True``
canonicalize replaces the node by a copy of the inner graph, so the rewrites see through it.
The gradient is the inner graph's, built over the node's actual inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..core.gradient import grad
from ..core.graph import Apply, Constant, Variable, clone_graph, graph_inputs
from ..core.inner_graph import REFERENCE, InnerGraphOp
from ..core.op import InnerCompiler
from ..core.shared import SharedVariable
from ..core.types import is_float
from ..core.variable import TensorVariable, as_tensor_variable

__all__ = ["OpFromGraph"]


class OpFromGraph(InnerGraphOp):
    """``OpFromGraph(inputs, outputs, inline=False, name=None)``: an op computing
    ``outputs`` from ``inputs``.

    >>> x, y = T.dmatrices('x', 'y')
    >>> op = OpFromGraph([x, y], [x + y * 2])
    >>> z = op(a, b)                       # a node; differentiable
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Any,
                 inline: bool = False, grad_overrides: Any = "default",
                 name: str | None = None, **kwargs: Any):
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        self.inputs = [as_tensor_variable(v) for v in inputs]
        self.outputs = [as_tensor_variable(v) for v in outputs]
        for var in self.inputs:
            if var.owner is not None or isinstance(var, (Constant, SharedVariable)):
                raise TypeError(f"OpFromGraph: input {var} must be a plain symbolic input "
                                f"(made by T.matrix() etc.), not computed, constant or shared")
        # shared variables the graph reads become implicit inputs, as in Theano
        given = {id(v) for v in self.inputs}
        self.shared_inputs = [v for v in graph_inputs(self.outputs)
                              if isinstance(v, SharedVariable) and id(v) not in given]
        missing = [v for v in graph_inputs(self.outputs) if id(v) not in given
                   and not isinstance(v, (Constant, SharedVariable))]
        if missing:
            raise ValueError(f"OpFromGraph: the outputs depend on {missing}, which are not "
                             f"among the inputs")
        self.inline = inline
        # Theano's grad_overrides: a callable (inputs, output_grads) -> input grads, or an
        # OpFromGraph taking inputs + output_grads; 'default' differentiates the inner graph
        self.grad_overrides = grad_overrides
        self.name = name
        self._fns: dict[Hashable, Callable[..., list[Any]]] = {}


    @property
    def inner_inputs(self) -> list[TensorVariable]:
        return [*self.inputs, *self.shared_inputs]

    @property
    def inner_outputs(self) -> list[TensorVariable]:
        """The body's outputs (with ``inner_inputs``, what debugprint and the views open)."""
        return list(self.outputs)

    def make_node(self, *inputs: Any) -> Apply:
        # the shared variables read come last; rewrites cloning the node pass them again
        if len(inputs) == len(self.inner_inputs) and self.shared_inputs:
            inputs = inputs[:len(self.inputs)]
        if len(inputs) != len(self.inputs):
            raise TypeError(f"{self}: takes {len(self.inputs)} inputs, got {len(inputs)}")
        values = [as_tensor_variable(v) for v in inputs]
        for k, (var, inner) in enumerate(zip(values, self.inputs, strict=True)):
            if var.dtype != inner.dtype or var.ndim != inner.ndim:
                raise TypeError(f"{self}: input {k} ({var}) is {var.type}, the inner graph "
                                f"takes {inner.type}")
        outs = [o.type() for o in self.outputs]
        return Apply(self, [*values, *self.shared_inputs], outs)

    def inner_function(self, compiler: InnerCompiler) -> Callable[..., list[Any]]:
        if compiler.key not in self._fns:
            self._fns[compiler.key] = compiler.function(self.inner_inputs, self.outputs)
        return self._fns[compiler.key]

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]],
                compiler: InnerCompiler = REFERENCE) -> None:
        results = self.inner_function(compiler)(*inputs)
        for cell, value in zip(output_storage, results, strict=True):
            cell[0] = value

    def expand(self, inputs: Sequence[Any]) -> list[TensorVariable]:
        """The inner graph copied over ``inputs`` (the node's inputs): what inlining puts in
        the node's place and what the gradient differentiates."""
        memo = clone_graph(self.outputs, replace=dict(zip(self.inner_inputs, inputs,
                                                          strict=True)))
        return [memo.get(o, o) for o in self.outputs]

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
        if self.grad_overrides != "default":
            override = self.grad_overrides
            user = inputs[:len(self.inputs)]
            given = (override(*user, *output_grads) if isinstance(override, OpFromGraph)
                     else override(user, output_grads))
            given = given if isinstance(given, (list, tuple)) else [given]
            return [*given, *[None] * len(self.shared_inputs)]
        wrt = [v for v in inputs if is_float(v.dtype)]
        if not wrt:
            return [None] * len(inputs)
        known: dict[Variable, TensorVariable] = {}
        for out, g in zip(self.expand(inputs), output_grads, strict=True):
            if g is not None and is_float(out.dtype):
                known[out] = known[out] + g if out in known else g
        grads = iter(grad(None, wrt, known_grads=known, disconnected_inputs="ignore"))
        return [next(grads) if is_float(v.dtype) else None for v in inputs]
