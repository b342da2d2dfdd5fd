"""Theano's smaller ``theano.gradient`` helpers: ``consider_constant``, ``undefined_grad``,
``grad_not_implemented``, ``DisconnectedType``, ``subgraph_grad`` and ``format_as``. They build
on ``grad`` and the gradient-shaping ops of ``gradient.py``; no new autodiff lives here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .gradient import GradientBlock, IdentityForward, grad
from .graph import Variable
from .op import InputGrad, Op, UndefinedGrad
from .tensor_math import MATH
from .types import is_int
from .variable import TensorVariable

__all__ = ["consider_constant", "ConsiderConstant", "undefined_grad", "UndefinedGradOp",
           "grad_not_implemented", "DisconnectedType", "disconnected_type", "subgraph_grad",
           "format_as", "ZeroGrad", "DisconnectedGrad"]


class ConsiderConstant(IdentityForward):
    """Identity forward; the gradient through it is zeros (Theano's ``ConsiderConstant``)."""

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[InputGrad]:
        if is_int(inputs[0].dtype):
            return [None]
        return [MATH.zeros_like(output_grads[0])]


def consider_constant(x: Any) -> TensorVariable:
    """``x`` forward; the gradient treats it as a constant (zeros flow back through it).

    >>> x = T.dscalar('x'); th.grad(consider_constant(x) * x, x).eval({x: 3.0})
    array(3.)
    """
    return ConsiderConstant()(x)


class UndefinedGradOp(IdentityForward):
    """Identity forward; asking for the gradient through it raises ``NullTypeGradError``."""

    def __str__(self) -> str:
        return "UndefinedGrad"

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[InputGrad]:
        return [UndefinedGrad("undefined_grad marks this gradient as undefined")]


def undefined_grad(x: Any) -> TensorVariable:
    """``x`` forward; a gradient that needs to pass through it is an error (Theano's
    ``undefined_grad``), naming the node."""
    return UndefinedGradOp()(x)


def grad_not_implemented(op: Op, x_pos: int, x: Variable, comment: str = "") -> UndefinedGrad:
    """What an op's ``grad`` returns for input ``x_pos`` whose gradient nobody wrote yet: it
    fails only if that gradient is needed, with a message saying so."""
    why = f"{op}.grad is not implemented for input {x_pos}"
    return UndefinedGrad(f"{why}: {comment}" if comment else why)


class DisconnectedType:
    """Theano's marker for a disconnected gradient. An op's ``grad`` returns
    ``DisconnectedType()()`` (which is ``None``, nbgraph's spelling of "disconnected") for an
    input its outputs do not depend on."""

    def __call__(self, name: str | None = None) -> None:
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DisconnectedType)

    def __hash__(self) -> int:
        return hash(DisconnectedType)

    def __str__(self) -> str:
        return "DisconnectedType"


disconnected_type = DisconnectedType()


class ZeroGrad(GradientBlock):
    """Theano's class of ``zero_grad``: identity forward, zeros backward."""

    def __init__(self) -> None:
        super().__init__("zero")


class DisconnectedGrad(GradientBlock):
    """Theano's class of ``disconnected_grad``: identity forward, no gradient backward."""

    def __init__(self) -> None:
        super().__init__("disconnected")


def subgraph_grad(wrt: Sequence[Variable], end: Sequence[Variable],
                  start: dict[Variable, Any] | None = None, cost: Any = None,
                  details: bool = False) -> tuple:
    """Gradients of one piece of a graph, for backpropagating piece by piece (Theano's
    ``subgraph_grad``): the gradients flowing in at ``start`` ({variable: gradient}) plus
    those of ``cost`` are propagated back to ``wrt`` and to ``end``, where propagation stops.

    Returns ``(wrt_grads, end_grads)``, and also the parts from ``start`` and from ``cost``
    when ``details``. Feed ``dict(zip(end, end_grads))`` as the next piece's ``start``.
    """
    if cost is None and start is None:
        raise ValueError("subgraph_grad: give a cost or start gradients")
    if not isinstance(wrt, (list, tuple)) or not isinstance(end, (list, tuple)):
        raise TypeError("subgraph_grad: wrt and end must be lists of Variables")
    params = list(dict.fromkeys([*wrt, *end]))
    start_grads = cost_grads = None
    if start is not None:
        start_grads = grad(None, params, consider_constant=list(end), known_grads=start,
                           disconnected_inputs="ignore")
    if cost is not None:
        cost_grads = grad(cost, params, consider_constant=list(end),
                          disconnected_inputs="ignore")
    parts = [p for p in (start_grads, cost_grads) if p is not None]
    grads = [a + b for a, b in zip(*parts, strict=True)] if len(parts) == 2 else parts[0]
    by_param = dict(zip(params, grads, strict=True))
    wrt_grads = [by_param[v] for v in wrt]
    end_grads = [by_param[v] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads


def format_as(use_list: bool, use_tuple: bool, outputs: Any) -> Any:
    """``outputs`` as a list, a tuple, or (neither flag) a lone value, unwrapping a
    one-element sequence: how Theano functions return what their caller passed in."""
    if use_list and use_tuple:
        raise ValueError("format_as: use_list and use_tuple cannot both be true")
    as_seq = isinstance(outputs, (list, tuple))
    if use_list:
        return list(outputs) if as_seq else [outputs]
    if use_tuple:
        return tuple(outputs) if as_seq else (outputs,)
    if as_seq:
        if len(outputs) != 1:
            raise ValueError(f"format_as: expected one output, got {len(outputs)}")
        return outputs[0]
    return outputs


