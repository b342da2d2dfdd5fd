"""Cancelling a factor against a divisor: ``x * y / x -> y`` (two canonicalize rules).

Gradients built before rewrites are full of these: d log(σ(x)) is ``g / σ(x) * σ(x) * ...``,
which is nan where σ(x) underflows to 0. Cancelling is exact where ``x`` is never 0 or inf in
exact arithmetic (exp, sigmoid, softplus, 1 - sigmoid, nonzero constants), so that rule is
safe; for any other ``x`` it turns ``0/0`` into a number and is marked unsafe.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply
from ..core.variable import TensorVariable
from ..ops import math as T
from ..ops.elemwise import Elemwise
from .engine import NodeRule, node_rule
from .pattern import constant_value, is_constant_value

# rows whose value is finite and nonzero wherever their input is finite (exact arithmetic)
_NEVER_ZERO_ROWS = ("exp", "sigmoid", "softplus")


def scalar_name(var: TensorVariable) -> str | None:
    """The scalar-table row computing ``var`` (inside a plain Elemwise), else None."""
    node = var.owner
    if node is None or type(node.op) is not Elemwise:   # exact class: not a subclass
        return None
    return str(node.op.scalar_op.name)


def args(var: TensorVariable) -> tuple[TensorVariable, ...]:
    """The inputs of the node computing ``var`` (none for a graph input or constant)."""
    node = var.owner
    return () if node is None else tuple(node.inputs)


def never_zero(var: TensorVariable) -> bool:
    """Whether ``var`` is finite and nonzero in exact arithmetic (so ``var / var`` is 1)."""
    data = constant_value(var)
    if data is not None:
        return bool(data.size) and bool(np.all(np.isfinite(data) & (data != 0)))
    name = scalar_name(var)
    if name in _NEVER_ZERO_ROWS:
        return True
    if name == "neg":
        return never_zero(args(var)[0])
    if name == "sub":   # 1 - σ(x) = σ(-x)
        first, second = args(var)
        return is_constant_value(first, 1) and scalar_name(second) == "sigmoid"
    return False


def quotient(var: TensorVariable) -> tuple[TensorVariable, TensorVariable, bool] | None:
    """``(a, d, negated)`` when ``var`` is ``a / d`` or ``-(a / d)``."""
    negated = False
    if scalar_name(var) == "neg":
        var, negated = args(var)[0], True
    if scalar_name(var) != "true_div":
        return None
    a, d = args(var)
    return a, d, negated


def product(factors: list[TensorVariable]) -> TensorVariable:
    return factors[0] if len(factors) == 1 else T.mul(*factors)


def _cancel_in_mul(factors: list[TensorVariable], allowed: Callable[[TensorVariable], bool]
                   ) -> list[TensorVariable] | None:
    """mul(.., a / d, .., d, ..) -> mul(.., a, ..); a negated quotient keeps its sign."""
    for k, factor in enumerate(factors):
        found = quotient(factor)
        if found is None:
            continue
        a, d, negated = found
        j = next((i for i, f in enumerate(factors) if f is d and i != k), None)
        if j is None or not allowed(d):
            continue
        rest = [f for i, f in enumerate(factors) if i not in (j, k)]
        rest.append(-a if negated else a)
        return [product(rest)]
    return None


def _without(factors: list[TensorVariable], skip: int, d: TensorVariable
             ) -> list[TensorVariable] | None:
    """``factors`` less the one at ``skip`` and one factor that is ``d``; None if none is."""
    rest = [f for i, f in enumerate(factors) if i != skip]
    if d not in rest:
        return None
    rest.remove(d)
    return rest


def _cancel_into_sum(factors: list[TensorVariable],
                     allowed: Callable[[TensorVariable], bool]) -> list[TensorVariable] | None:
    """mul(a / d1 ± b / d2, d1, d2) -> a d2 ± b d1 (the gradient of a sum of logs meeting
    the derivative of what they divide by, as binary cross-entropy's does at the sigmoid)."""
    for k, factor in enumerate(factors):
        name = scalar_name(factor)
        if name not in ("add", "sub"):
            continue
        terms = []
        for term in args(factor):
            found = quotient(term)
            if found is None or not allowed(found[1]):
                break
            a, d, negated = found
            rest = _without(factors, k, d)
            if rest is None:
                break
            terms.append(product([*rest, -a if negated else a]))
        else:
            return [T.add(*terms) if name == "add" else T.sub(*terms)]
    return None


def _cancel_in_div(node: Apply, allowed: Callable[[TensorVariable], bool]
                   ) -> list[TensorVariable] | None:
    """mul(.., d, ..) / d -> mul(..)."""
    num, d = node.inputs
    if scalar_name(num) != "mul" or not allowed(d):
        return None
    factors = list(args(num))
    if d not in factors:
        return None
    factors.remove(d)
    return [product(factors)]


def cancel_factors(factors: list[TensorVariable], allowed: Callable[[TensorVariable], bool]
                   ) -> list[TensorVariable] | None:
    """The product of ``factors`` with a divisor cancelled (either form above), or None."""
    return _cancel_in_mul(factors, allowed) or _cancel_into_sum(factors, allowed)


def cancel_rule(name: str, allowed: Callable[[TensorVariable], bool], *,
                unsafe: str | None = None) -> NodeRule:
    """A rule cancelling a divisor ``d`` against an equal factor where ``allowed(d)``."""

    @node_rule(name, tracks=("Elemwise:mul", "Elemwise:true_div"), unsafe=unsafe)
    def cancel(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
        """x * y / x -> y; (y / x) * x -> y; (-(y / x)) * x -> -y."""
        if node.op.scalar_op.name == "mul":
            return cancel_factors(list(node.inputs), allowed)
        return _cancel_in_div(node, allowed)

    return cancel


# never 0 or inf: exact (the gradients of log σ, log(1 - σ), log softplus need it)
MUL_DIV_CANCEL = cancel_rule("mul_div_cancel", never_zero)
# any x: x = 0 or inf made nan before and gives y now
MUL_DIV_CANCEL_ANY = cancel_rule("mul_div_cancel_any", lambda d: True,
                                 unsafe="x = 0 or inf gives nan, not y")
