"""stabilize, gradient side: the forms reverse mode builds from unstable expressions.

``grad`` runs before any rewrite, so the gradient of ``log(1 + exp(x))`` is
``g / (1 + exp(x)) * exp(x)`` (inf / inf at x = 800) even though the value becomes
``softplus(x)``. These rules rewrite such gradient forms to ones that stay finite.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorVariable
from ..ops import math as T
from ..ops import nnet
from ..ops.elemwise import CAReduce, DimShuffle, keep_reduced_dims
from .cancel import args, cancel_factors, never_zero, product, quotient, scalar_name
from .engine import node_rule
from .pattern import constant_value, is_constant_value


def negate(x: TensorVariable) -> TensorVariable:
    """-x, unwrapping a negation instead of stacking two (canonicalize has already run); a
    bool goes through int8 (NumPy has no boolean minus)."""
    if scalar_name(x) == "neg":
        return args(x)[0]
    return -T.cast(x, "int8") if x.dtype == "bool" else -x


def _negates(a: TensorVariable, b: TensorVariable) -> bool:
    """Whether ``a`` is ``-b`` (either one written as a neg of the other)."""
    return (scalar_name(a) == "neg" and args(a)[0] is b) or \
        (scalar_name(b) == "neg" and args(b)[0] is a)


def shifted_exp(x: TensorVariable, axes: Sequence[int]) -> tuple[TensorVariable, TensorVariable]:
    """``(exp(x - m), m)`` with ``m = max(x, axes)`` (reduced), or 0 where that max is +-inf
    (inf - inf would be nan; unshifted, the sum is inf or 0, as NumPy's unshifted form)."""
    biggest = T.max(x, axis=list(axes))
    m = T.switch(T.isinf(biggest), 0, biggest)
    return T.exp(x - keep_reduced_dims(m, axes, x.ndim)), m


# -- sigmoid forms ----------------------------------------------------------------------------
def _share(e: TensorVariable, d: TensorVariable) -> TensorVariable | None:
    """``e / d`` as a finite form when ``e = exp(x)`` and ``d`` is ``1 + e`` (``σ(x)``) or
    ``e + exp(y)`` (``σ(x - y)``, the gradient of logaddexp); else None."""
    if scalar_name(d) != "add" or len(args(d)) != 2 or e not in args(d):
        return None
    a, b = args(d)
    other = b if a is e else a
    x = args(e)[0]
    if is_constant_value(other, 1):
        return T.sigmoid(x)
    if scalar_name(other) == "exp":
        return T.sigmoid(x - args(other)[0])
    return None


def _times_sigmoid(e: TensorVariable, factor: TensorVariable) -> TensorVariable | None:
    """``factor * e`` as a finite form when ``e = exp(x)`` and ``factor`` is ``σ(-x)`` or
    ``a / d`` with ``e / d`` a ``_share``; else None."""
    x = args(e)[0]
    if scalar_name(factor) == "sigmoid" and _negates(args(factor)[0], x):
        return T.sigmoid(x)
    found = quotient(factor)
    if found is None:
        return None
    a, d, negated = found
    share = _share(e, d)
    return None if share is None else (-a if negated else a) * share


@node_rule("exp_over_1_plus_exp", tracks=("Elemwise:mul", "Elemwise:true_div"))
def exp_over_1_plus_exp(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """exp(x) * (a / (1 + exp(x))) -> a σ(x); exp(x) σ(-x) -> σ(x);
    exp(x) * y / (1 + exp(x)) -> y σ(x) (the gradient of log1p(exp(x)) and softplus);
    the same with exp(y) for 1: σ(x - y) (the gradient of log(exp(x) + exp(y)))."""
    factors = list(node.inputs)
    if node.op.scalar_op.name == "true_div":
        num, d = factors
        for e in (num, *(args(num) if scalar_name(num) == "mul" else ())):
            share = _share(e, d) if scalar_name(e) == "exp" else None
            if share is None:
                continue
            if num is e:
                return [share]
            rest = list(args(num))
            rest.remove(e)   # one factor e: e * e / (1 + e) is e σ(x)
            return [product([*rest, share])]
        return None
    for i, e in enumerate(factors):
        if scalar_name(e) != "exp":
            continue
        for j, factor in enumerate(factors):
            if j == i:
                continue
            stable = _times_sigmoid(e, factor)
            if stable is not None:
                rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                return [product([*rest, stable])]
    return None


def _nested_factors(var: TensorVariable, factors: list[TensorVariable]) -> bool:
    """Append the factors of the product ``var`` to ``factors``, through nested products and
    negated products; return whether an odd number of negations was passed."""
    negated = False
    for f in args(var):
        inner = args(f)[0] if scalar_name(f) == "neg" else f
        if scalar_name(inner) == "mul":
            negated ^= (inner is not f) ^ _nested_factors(inner, factors)
        else:
            factors.append(f)
    return negated


@node_rule("nested_mul_div_cancel", tracks=("Elemwise:mul",))
def nested_mul_div_cancel(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """(a / σ(x)) σ(x) σ(-x) -> a σ(-x) through nested products: canonicalize's mul_div_cancel
    for a graph it has not flattened (FAST_COMPILE), where the gradients of log σ(x),
    log(1 - σ(x)) and binary cross-entropy are 0/0 once σ underflows."""
    if not any(scalar_name(a) == "mul" or (scalar_name(a) == "neg"
               and scalar_name(args(a)[0]) == "mul") for a in node.inputs):
        return None   # flat: canonicalize's own rule sees it
    factors: list[TensorVariable] = []
    negated = _nested_factors(node.outputs[0], factors)
    out = cancel_factors(factors, never_zero)
    if out is None:
        return None
    return [-out[0] if negated else out[0]]


def _log_sigmoid_arg(v: TensorVariable) -> tuple[TensorVariable, bool] | None:
    """``(b, negated)`` when ``v`` is ``log σ(-b)`` (negated) or ``log σ(b)``, in any of the
    forms stabilize leaves: ``log(σ(w))``, ``log(1 - σ(w))``, ``-softplus(-w)``."""
    name = scalar_name(v)
    if name == "log":
        inner = args(v)[0]
        flipped = False
        if scalar_name(inner) == "sub" and is_constant_value(args(inner)[0], 1):
            inner, flipped = args(inner)[1], True    # log(1 - σ(w)) = log σ(-w)
        if scalar_name(inner) != "sigmoid":
            return None
        w = args(inner)[0]
        if scalar_name(w) == "neg":
            return args(w)[0], not flipped
        return w, flipped
    if name == "neg" and scalar_name(args(v)[0]) == "softplus":
        u = args(args(v)[0])[0]              # -softplus(u) = log σ(-u)
        if scalar_name(u) == "neg":
            return args(u)[0], False
        return u, True
    return None


def _weighted(term: TensorVariable) -> tuple[TensorVariable, TensorVariable] | None:
    """``(weight, other)`` for a product of two factors."""
    if scalar_name(term) != "mul" or len(args(term)) != 2:
        return None
    a, b = args(term)
    return a, b


def _is_one_minus(u: TensorVariable, t: TensorVariable) -> bool:
    """Whether ``u`` is ``1 - t``, as a node or as two constants (folded)."""
    if scalar_name(u) == "sub":
        return args(u)[1] is t and is_constant_value(args(u)[0], 1)
    a, b = constant_value(u), constant_value(t)
    return a is not None and b is not None and a.shape == b.shape \
        and bool(np.allclose(a, 1 - b, rtol=1e-12, atol=0))


def _bce_logits(p: TensorVariable, q: TensorVariable) -> TensorVariable | None:
    """``t sp(-x) + (1 - t) sp(x)`` when ``p = t log σ(x)`` and ``q = (1 - t) log(1 - σ(x))``."""
    first, second = _weighted(p), _weighted(q)
    if first is None or second is None:
        return None
    for t, log_s in (first, first[::-1]):
        for one_minus_t, log_1ms in (second, second[::-1]):
            if not _is_one_minus(one_minus_t, t):
                continue
            a, b = _log_sigmoid_arg(log_s), _log_sigmoid_arg(log_1ms)
            if a is None or b is None or a[0] is not b[0] or a[1] == b[1]:
                continue
            base, negated = a
            logits, minus = (-base, base) if negated else (base, -base)
            return t * T.softplus(minus) + one_minus_t * T.softplus(logits)
    return None


@node_rule("sigmoid_binary_crossentropy", tracks=("Elemwise:neg",))
def sigmoid_binary_crossentropy(fgraph: FunctionGraph, node: Apply
                                ) -> list[TensorVariable] | None:
    """-(t log σ(x) + (1 - t) log(1 - σ(x))) -> t softplus(-x) + (1 - t) softplus(x)
    (binary_crossentropy(sigmoid(x), t) in the logits form)."""
    total = node.inputs[0]
    if scalar_name(total) != "add" or len(args(total)) != 2:
        return None
    p, q = args(total)
    for first, second in ((p, q), (q, p)):
        out = _bce_logits(first, second)
        if out is not None:
            return [out]
    return None


# -- softmax forms -----------------------------------------------------------------------------
def log_softmax_grad(g: TensorVariable, sm: TensorVariable) -> TensorVariable:
    """SoftmaxGrad(g / sm, sm) -> g - sm sum(g): the gradient of log(softmax(x)) without
    dividing by softmax entries that underflow to 0."""
    return g - sm * T.sum(g, axis=-1, keepdims=True)


def _unwrap_broadcast(var: TensorVariable) -> tuple[TensorVariable, list[Apply]]:
    """``var`` seen through fill (``second``) and DimShuffle, and the wrappers passed."""
    wrappers: list[Apply] = []
    while var.owner is not None:
        node = var.owner
        if isinstance(node.op, DimShuffle):
            var = node.inputs[0]
        elif scalar_name(var) == "second":
            var = node.inputs[1]
        else:
            break
        wrappers.append(node)
    return var, wrappers


def _rewrap(var: TensorVariable, wrappers: list[Apply], e: TensorVariable,
            x: TensorVariable) -> TensorVariable:
    """``var`` wrapped again by ``wrappers`` (innermost last), as _unwrap_broadcast found;
    a fill shaped like ``e = exp(x)`` takes its shape from ``x`` (not computing exp(x))."""
    for node in reversed(wrappers):
        if isinstance(node.op, DimShuffle):
            var = DimShuffle(var.broadcastable, node.op.new_order)(var)
        else:
            model = node.inputs[0]
            var = T.second(x if model is e else model, var)
    return var


def _shifted_sum(fgraph: FunctionGraph, x: TensorVariable, axes: list[int]
                 ) -> tuple[TensorVariable, TensorVariable]:
    """``(exp(x - m), sum(exp(x - m), axes))``: the logsumexp rule's, where it has made them
    for this ``x`` and ``axes`` (merge does not run again after stabilize), else new ones."""
    for node in fgraph.apply_nodes:
        if not getattr(node.tag, "max_shifted", False) or list(node.op.axis or ()) != axes:
            continue
        shifted = node.inputs[0]
        diff = args(shifted)[0] if scalar_name(shifted) == "exp" else None
        if diff is not None and scalar_name(diff) == "sub" and args(diff)[0] is x:
            return shifted, node.outputs[0]
    shifted, _ = shifted_exp(x, axes)
    return shifted, T.sum(shifted, axis=axes)


def _lse_grad_factor(fgraph: FunctionGraph, e: TensorVariable, factor: TensorVariable
                     ) -> TensorVariable | None:
    """``factor * e`` as ``g * exp(x - m) / sum(exp(x - m))`` when ``e = exp(x)`` and
    ``factor`` broadcasts ``g / sum(exp(x), axes)``."""
    inner, wrappers = _unwrap_broadcast(factor)
    found = quotient(inner)
    if found is None:
        return None
    g, total, negated = found
    reduce = total.owner
    if reduce is None or not isinstance(reduce.op, CAReduce) or reduce.inputs[0] is not e \
            or reduce.op.scalar_op.name != "add":
        return None
    x = args(e)[0]
    axes = list(range(x.ndim)) if reduce.op.axis is None else list(reduce.op.axis)
    shifted, shifted_total = _shifted_sum(fgraph, x, axes)
    ratio = shifted / keep_reduced_dims(shifted_total, axes, x.ndim)
    try:
        return _rewrap(-g if negated else g, wrappers, e, x) * ratio
    except (TypeError, ValueError):
        return None   # g's broadcast pattern does not fit the wrappers: leave it


@node_rule("logsumexp_grad", tracks=("Elemwise:mul",))
def logsumexp_grad(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """(g / sum(exp(x))) * exp(x) -> g * exp(x - m) / sum(exp(x - m)), m = max(x): the
    gradient of log(sum(exp(x))) without inf / inf."""
    factors = list(node.inputs)
    for i, e in enumerate(factors):
        if scalar_name(e) != "exp":
            continue
        for j, factor in enumerate(factors):
            stable = None if j == i else _lse_grad_factor(fgraph, e, factor)
            if stable is not None:
                rest = [f for k, f in enumerate(factors) if k not in (i, j)]
                return [product([*rest, stable])]
    return None


def softmax_crossentropy_grad(g: TensorVariable, sm: TensorVariable,
                              labels: TensorVariable) -> TensorVariable:
    return nnet.CrossentropySoftmax1HotDx()(g, sm, labels)
