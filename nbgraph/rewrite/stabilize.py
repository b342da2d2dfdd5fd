"""stabilize: numerically stable forms, equal in exact arithmetic, better in floating point.

The nnet rules match op classes by name (``P.softmax`` is ``Softmax``) and build with
``core.nnet``'s fused ops (logsoftmax, crossentropy_softmax_1hot).
"""

from __future__ import annotations

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.types import is_int
from ..core.variable import TensorVariable, const_int
from ..ops import math as T
from ..ops import nnet
from ..ops.alloc import ARange
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.shape import Shape_i
from ..ops.subtensor import AdvancedSubtensor
from .engine import RuleSet, node_rule, rule
from .pattern import P, Var, x, y
from .stable_grads import (
    exp_over_1_plus_exp,
    log_softmax_grad,
    logsumexp_grad,
    negate,
    nested_mul_div_cancel,
    shifted_exp,
    sigmoid_binary_crossentropy,
    softmax_crossentropy_grad,
)


def _softmax_crossentropy(x: TensorVariable, labels: TensorVariable) -> TensorVariable:
    return nnet.crossentropy_softmax_1hot(x, labels)[0]


def _logsumexp(x: TensorVariable, s: TensorVariable) -> TensorVariable | None:
    """log(sum(exp(x), axes)) -> log(sum(exp(x - m), axes)) + m, m = max(x, axes)."""
    node = s.owner
    if node is None or node.op.dtype not in (None, x.dtype) \
            or getattr(node.tag, "max_shifted", False):
        return None  # the last test: our own output must not match again
    op = node.op
    axes = list(range(x.ndim)) if op.axis is None else list(op.axis)
    shifted, m = shifted_exp(x, axes)
    total = T.sum(shifted, axis=axes)
    total.owner.tag.max_shifted = True
    return T.log(total) + m


def _logaddexp(x: TensorVariable, y: TensorVariable) -> TensorVariable:
    """log(exp(x) + exp(y)) -> max(x, y) + softplus(-|x - y|), NumPy's logaddexp: exact and
    finite where exp overflows; x + log 2 where x == y (also at equal infinities)."""
    apart = T.maximum(x, y) + T.softplus(negate(T.abs(x - y)))
    return T.switch(T.eq(x, y), x + np.log(2.0), apart)


def _rows_of(n: TensorVariable, x: TensorVariable, y: TensorVariable) -> bool:
    """Whether ``n`` is the number of rows: x.shape[0], y.shape[0], or that static size."""
    node = n.owner
    if node is not None and isinstance(node.op, Shape_i):
        return node.op.i == 0 and node.inputs[0] in (x, y)
    size = const_int(n)
    return size is not None and size in (x.type.shape[0], y.type.shape[0])


@node_rule("crossentropy_index_form", tracks=(AdvancedSubtensor,), doc=(
    "log_softmax(x)[arange(n), y] -> -crossentropy_softmax_1hot(x, y)[0] (Theano's "
    "local_advanced_indexing_crossentropy_onehot): one fused op; it checks that x has one row "
    "per label, where the indexing read the first n rows"))
def crossentropy_index_form(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """log_softmax(x)[arange(n), y] -> -crossentropy_softmax_1hot(x, y)[0]."""
    if len(node.inputs) != 3:
        return None
    lsm, rows, y = node.inputs
    owner, arange = lsm.owner, rows.owner
    if owner is None or not isinstance(owner.op, LogSoftmax) or arange is None \
            or not isinstance(arange.op, ARange) or not is_int(y.dtype) or y.ndim != 1:
        return None
    x = owner.inputs[0]
    start, stop, step = arange.inputs
    if x.ndim != 2 or const_int(start) != 0 or const_int(step) != 1 \
            or not _rows_of(stop, x, y):
        return None
    return [-nnet.crossentropy_softmax_1hot(x, y)[0]]


@node_rule("softmax_from_crossentropy", tracks=(Softmax,))
def softmax_from_crossentropy(fgraph: FunctionGraph, node: Apply
                              ) -> list[TensorVariable] | None:
    """softmax(x) -> crossentropy_softmax_1hot(x, y)[1] where the graph computes that fused
    op on the same x (its second output is softmax(x)): one softmax, not two."""
    x = node.inputs[0]
    for client, _ in fgraph.clients.get(x, ()):
        op = getattr(client, "op", None)
        if isinstance(op, nnet.CrossentropySoftmax1Hot) and client.inputs[0] is x \
                and client.outputs[1].type == node.outputs[0].type:
            return [client.outputs[1]]
    return None


labels = Var("labels", where=lambda v: is_int(v.dtype) and v.ndim == 1)
sm = Var("sm")
# softmax_grad(crossentropy_grad(g, softmax(x), labels), softmax(x))
_SOFTMAX_XENT_GRAD = P.softmaxgrad(
    P.crossentropycategorical1hotgrad(Var("g"), P.softmax(x, bind="sm"), labels), sm)
# softmax_grad(g / softmax(x), softmax(x)): the gradient of log(softmax(x))
_LOG_SOFTMAX_GRAD = P.softmaxgrad(P.true_div(Var("g"), P.softmax(x, bind="sm")), sm)


STABILIZE = RuleSet("stabilize", (
    rule("sigmoid",        P.true_div(1, P.add(1, P.exp(x))), lambda x: T.sigmoid(negate(x))),
    # 1/(1+exp(x)) -> σ(-x)
    rule("one_minus_sigmoid", P.sub(1, P.sigmoid(x)),     lambda x: T.sigmoid(negate(x))),
    # 1-σ(x) -> σ(-x): no cancellation, so 1/(1-σ(x)) in gradients stays finite; it also
    # covers log(1-σ(x)): log(σ(-x)) is log_sigmoid's -softplus(x)
    rule("log1p",          P.log(P.add(1, x)),            lambda x: T.log1p(x)),
    # log(1+x) -> log1p(x)
    rule("softplus",       P.log1p(P.exp(x)),             lambda x: T.softplus(x)),
    # log1p(exp(x)) -> softplus(x): finite where exp(x) overflows (log(1+exp(x)) gets here
    # through log1p)
    rule("log1p_sub",      P.log(P.sub(1, x)),            lambda x: T.log1p(negate(x))),
    # log(1-x) -> log1p(-x)
    rule("expm1",          P.sub(P.exp(x), 1),            lambda x: T.expm1(x)),
    # exp(x)-1 -> expm1(x)
    rule("log_sigmoid",    P.log(P.sigmoid(x)),         lambda x: -T.softplus(negate(x))),
    # log(σ(x)) -> -softplus(-x)
    rule("log_softmax",    P.log(P.softmax(x)),           lambda x: nnet.logsoftmax(x)),
    # log(softmax(x)) -> logsoftmax(x)
    crossentropy_index_form,
    softmax_from_crossentropy,
    rule("crossentropy_softmax", P.crossentropycategorical1hot(P.softmax(x), labels),
         _softmax_crossentropy),
    # categorical_crossentropy(softmax(x), labels) -> crossentropy_softmax_1hot(x, labels)[0]
    rule("crossentropy_softmax_grad", _SOFTMAX_XENT_GRAD, softmax_crossentropy_grad),
    # its gradient through softmax -> g * (softmax(x) - onehot(labels)), no division by sm
    rule("logsumexp",      P.log(P.sum(P.exp(x), bind="s")), _logsumexp),
    # log(sum(exp(x))) -> log(sum(exp(x - max x))) + max x
    rule("logaddexp",      P.log(P.add(P.exp(x), P.exp(y))), _logaddexp),
    # log(exp(x) + exp(y)) -> max(x, y) + softplus(-|x - y|); its gradient form
    # exp(x) / (exp(x) + exp(y)) -> σ(x - y) is exp_over_1_plus_exp's
    # -- gradient forms (grad runs before the rewrites: stable_grads.py) --
    exp_over_1_plus_exp,
    rule("log_softmax_grad", _LOG_SOFTMAX_GRAD, log_softmax_grad),
    # softmax_grad(g / sm, sm) -> g - sm * sum(g)
    logsumexp_grad,
    sigmoid_binary_crossentropy,
    nested_mul_div_cancel,
))
