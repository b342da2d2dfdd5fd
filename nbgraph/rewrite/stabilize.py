"""stabilize: numerically stable forms, equal in exact arithmetic, better in floating point.

The nnet rules match op classes by name (``P.softmax`` is ``Softmax``) and build with
``core.nnet``'s fused ops (logsoftmax, crossentropy_softmax_1hot).
"""

from __future__ import annotations

from ..core.types import is_int
from ..core.variable import TensorVariable
from ..ops import math as T
from ..ops import nnet
from ..ops.elemwise import keep_reduced_dims
from .engine import RuleSet, rule
from .pattern import P, Var, x


def _negate(x: TensorVariable) -> TensorVariable:
    """-x, unwrapping a negation instead of stacking two (canonicalize has already run)."""
    node = x.owner
    if node is not None and getattr(node.op, "scalar_op", None) is not None \
            and node.op.scalar_op.name == "neg":
        return node.inputs[0]
    return -T.cast(x, "int8") if x.dtype == "bool" else -x   # NumPy has no bool minus


def _softmax_crossentropy(x: TensorVariable, labels: TensorVariable) -> TensorVariable:
    return nnet.crossentropy_softmax_1hot(x, labels)[0]


def _logsumexp(x: TensorVariable, s: TensorVariable) -> TensorVariable | None:
    """log(sum(exp(x), axes)) -> log(sum(exp(x - m), axes)) + m, with m = max(x, axes),
    or m = 0 where max(x) is +-inf (inf - inf would be nan; unshifted, the sum is inf or 0,
    so the log gives inf or -inf as NumPy's unstabilized expression does)."""
    node = s.owner
    if node is None or node.op.dtype not in (None, x.dtype) \
            or getattr(node.tag, "max_shifted", False):
        return None  # the last test: our own output must not match again
    op = node.op
    axes = list(range(x.ndim)) if op.axis is None else list(op.axis)
    biggest = T.max(x, axis=axes)
    m = T.switch(T.isinf(biggest), 0, biggest)
    shift = keep_reduced_dims(m, axes, x.ndim)
    total = T.sum(T.exp(x - shift), axis=axes)
    total.owner.tag.max_shifted = True
    return T.log(total) + m


def _softmax_crossentropy_grad(g: TensorVariable, sm: TensorVariable,
                               labels: TensorVariable) -> TensorVariable:
    return nnet.CrossentropySoftmax1HotDx()(g, sm, labels)


labels = Var("labels", where=lambda v: is_int(v.dtype) and v.ndim == 1)
sm = Var("sm")
# softmax_grad(crossentropy_grad(g, softmax(x), labels), softmax(x))
_SOFTMAX_XENT_GRAD = P.softmaxgrad(
    P.crossentropycategorical1hotgrad(Var("g"), P.softmax(x, bind="sm"), labels), sm)


STABILIZE = RuleSet("stabilize", (
    rule("sigmoid",        P.true_div(1, P.add(1, P.exp(x))), lambda x: T.sigmoid(_negate(x))),
    # 1/(1+exp(x)) -> σ(-x)
    rule("one_minus_sigmoid", P.sub(1, P.sigmoid(x)),     lambda x: T.sigmoid(_negate(x))),
    # 1-σ(x) -> σ(-x): no cancellation, so 1/(1-σ(x)) in gradients stays finite; it also
    # covers log(1-σ(x)): log(σ(-x)) is log_sigmoid's -softplus(x)
    rule("log1p",          P.log(P.add(1, x)),            lambda x: T.log1p(x)),
    # log(1+x) -> log1p(x)
    rule("softplus",       P.log1p(P.exp(x)),             lambda x: T.softplus(x)),
    # log1p(exp(x)) -> softplus(x): finite where exp(x) overflows (log(1+exp(x)) gets here
    # through log1p)
    rule("log1p_sub",      P.log(P.sub(1, x)),            lambda x: T.log1p(_negate(x))),
    # log(1-x) -> log1p(-x)
    rule("expm1",          P.sub(P.exp(x), 1),            lambda x: T.expm1(x)),
    # exp(x)-1 -> expm1(x)
    rule("log_sigmoid",    P.log(P.sigmoid(x)),         lambda x: -T.softplus(_negate(x))),
    # log(σ(x)) -> -softplus(-x)
    rule("log_softmax",    P.log(P.softmax(x)),           lambda x: nnet.logsoftmax(x)),
    # log(softmax(x)) -> logsoftmax(x)
    rule("crossentropy_softmax", P.crossentropycategorical1hot(P.softmax(x), labels),
         _softmax_crossentropy),
    # categorical_crossentropy(softmax(x), labels) -> crossentropy_softmax_1hot(x, labels)[0]
    rule("crossentropy_softmax_grad", _SOFTMAX_XENT_GRAD, _softmax_crossentropy_grad),
    # its gradient through softmax -> g * (softmax(x) - onehot(labels)), no division by sm
    rule("logsumexp",      P.log(P.sum(P.exp(x), bind="s")), _logsumexp),
    # log(sum(exp(x))) -> log(sum(exp(x - max x))) + max x
))
