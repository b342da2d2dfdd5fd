"""canonicalize: algebraic simplification into one normal form (values equal in exact math).

Chains of add/mul become one n-ary node, neutral elements and no-op shape changes go away,
so the later passes (stabilize, specialize, fusion) see fewer spellings of the same thing.
"""

from __future__ import annotations

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Constant
from ..core.variable import TensorVariable, constant
from ..ops import math as T
from ..ops.elemwise import CAReduce, DimShuffle
from ..ops.shape import Reshape, Shape, Shape_i
from .cancel import MUL_DIV_CANCEL, MUL_DIV_CANCEL_ANY
from .engine import RuleSet, node_rule, rule
from .inline import inline_opfromgraph
from .pattern import P, is_constant_value, x, y
from .shape_rules import (
    fill_shape_from_input,
    make_vector_constant,
    shape_i_infer,
    shape_to_shape_i,
    subtensor_merge,
    useless_subtensor,
)


def _filled(like: TensorVariable, value: float) -> TensorVariable:
    """``value`` broadcast to ``like``'s shape: fill(like, c) with c already of like's rank."""
    data = np.full((1,) * like.ndim, value, dtype=like.dtype)
    return T.second(like, constant(data))


def _flatten(name: str):  # noqa: ANN202  (a rule factory)
    @node_rule(f"flatten_{name}", tracks=(f"Elemwise:{name}",))
    def flatten(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
        """add(add(a, b), c) -> add(a, b, c) when the inner node has no other reader."""
        terms: list[TensorVariable] = []
        changed = False
        for var in node.inputs:
            inner = var.owner
            if inner is not None and inner.op == node.op and len(fgraph.clients[var]) == 1 \
                    and var.type == node.outputs[0].type:
                terms.extend(inner.inputs)
                changed = True
            else:
                terms.append(var)
        return [node.op(*terms)] if changed else None

    return flatten


# rows whose float result is never -0.0 (so adding +0.0 to it changes nothing)
_NO_NEGATIVE_ZERO = ("exp", "exp2", "sqr", "abs_", "sigmoid", "softplus", "cosh", "erfc",
                     "arccos")


def no_negative_zero(var: TensorVariable) -> bool:
    """Whether ``var`` is never -0.0: -0.0 + 0 is +0.0 (1 / that is +inf), so x + 0 -> x
    only holds for such x (integers, and the rows above)."""
    if var.dtype[0] not in "fc":
        return True
    data = var.data if isinstance(var, Constant) else None
    if data is not None:
        return not bool(np.any(np.signbit(np.real(data)) & (data == 0)))
    owner = var.owner
    name = getattr(getattr(owner.op, "scalar_op", None), "name", None) if owner else None
    return name in _NO_NEGATIVE_ZERO


@node_rule("drop_neutral", tracks=("Elemwise:add", "Elemwise:mul"))
def drop_neutral(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """add(a, 0, b) -> add(a, b) when a or b is never -0.0; mul(a, 1, b) -> mul(a, b)."""
    spec = node.op.scalar_op
    if len(node.inputs) <= 2:
        return None  # the binary cases are the declarative add_zero / mul_one
    kept = [v for v in node.inputs if not is_constant_value(v, spec.identity)]
    if len(kept) == len(node.inputs) or not kept:
        return None
    if spec.name == "add" and not any(no_negative_zero(v) for v in kept):
        return None   # -0.0 + -0.0 + 0 is +0.0, -0.0 + -0.0 is -0.0
    return [node.op(*kept) if len(kept) > 1 else kept[0]]


@node_rule("dimshuffle_dimshuffle", tracks=(DimShuffle,))
def dimshuffle_dimshuffle(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """dimshuffle(dimshuffle(x, o1), o2) -> dimshuffle(x, o1 ∘ o2)."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    first = inner.op.new_order
    order = ["x" if o == "x" else first[o] for o in node.op.new_order]
    source = inner.inputs[0]
    if order == list(range(source.ndim)):
        return [source]
    return [DimShuffle(source.broadcastable, order)(source)]


@node_rule("useless_dimshuffle", tracks=(DimShuffle,))
def useless_dimshuffle(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """dimshuffle(x, (0, 1, ..., n-1)) -> x (also a transpose of a transpose, once merged)."""
    x_ = node.inputs[0]
    return [x_] if node.op.new_order == tuple(range(x_.ndim)) else None


def _dim_is(entry: TensorVariable, source: TensorVariable, axis: int) -> bool:
    """Whether the shape entry ``entry`` is certainly ``source.shape[axis]``."""
    owner = entry.owner
    if owner is not None and isinstance(owner.op, Shape_i):
        return owner.op.i == axis and owner.inputs[0] is source
    static = source.type.shape[axis]
    return static is not None and is_constant_value(entry, static)


@node_rule("useless_reshape", tracks=(Reshape,), doc=(
    "removes a run-time shape check; reshape(x, x.shape) -> x, trusting x's static shape "
    "where Reshape would check x's size when run (on by default, as Theano/PyTensor's "
    "shape_unsafe rewrites in FAST_RUN)"))
def useless_reshape(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """reshape(x, x.shape) -> x (entries are x's Shape_i or its known static sizes)."""
    source, shp = node.inputs
    if node.op.ndim != source.ndim:
        return None
    if source.ndim == 1 and is_constant_value(shp, -1):
        return [source]  # reshape(v, (-1,)) of a vector
    if isinstance(shp, Constant):
        dims = list(shp.data)
        ok = all(s is not None and int(d) == s for d, s in zip(dims, source.type.shape,
                                                              strict=True))
        return [source] if ok else None
    owner = shp.owner
    if owner is not None and isinstance(owner.op, Shape) and owner.inputs[0] is source:
        return [source]
    if owner is None or type(owner.op).__name__ != "MakeVector":
        return None
    ok = all(_dim_is(e, source, i) for i, e in enumerate(owner.inputs))
    return [source] if ok else None


@node_rule("sum_sum", tracks=(CAReduce,))
def sum_sum(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """sum(sum(x, a1), a2) -> sum(x, a1 ∪ a2') with a2 mapped back to x's axes."""
    inner = node.inputs[0].owner
    outer_op = node.op
    if outer_op.scalar_op.name != "add" or inner is None or not isinstance(inner.op, CAReduce):
        return None
    inner_op = inner.op
    if inner_op.scalar_op.name != "add" or inner_op.dtype != outer_op.dtype \
            or len(fgraph.clients[node.inputs[0]]) != 1:
        return None
    source = inner.inputs[0]
    first = set(range(source.ndim)) if inner_op.axis is None else set(inner_op.axis)
    remaining = [i for i in range(source.ndim) if i not in first]
    second = range(len(remaining)) if outer_op.axis is None else outer_op.axis
    axes = sorted(first | {remaining[j] for j in second})
    axis = None if len(axes) == source.ndim else axes
    return [CAReduce(outer_op.scalar_op, axis, outer_op.dtype)(source)]


CANONICALIZE = RuleSet("canonicalize", (
    rule("mul_one",   P.mul(x, 1),          lambda x: x),                 # x*1 -> x
    rule("add_zero",  P.add(x, 0),                                        # x+0 -> x
         lambda x: x if no_negative_zero(x) else None),  # (-0.0 + 0 is +0.0)
    rule("sub_zero",  P.sub(x, 0),          lambda x: x),                 # x-0 -> x
    rule("sub_self",  P.sub(x, x),          lambda x: _filled(x, 0),       # x-x -> 0
         unsafe="x = inf or nan gives nan, not 0"),
    rule("neg_neg",   P.neg(P.neg(x)),      lambda x: x),                 # --x -> x
    rule("div_one",   P.true_div(x, 1),     lambda x: x),                 # x/1 -> x
    rule("pow_one",   P.pow(x, 1),          lambda x: x),                 # x**1 -> x
    rule("add_neg",   P.add(x, P.neg(y)),   lambda x, y: x - y),          # x+(-y) -> x-y
    rule("sub_neg",   P.sub(x, P.neg(y)),   lambda x, y: x + y),          # x-(-y) -> x+y
    rule("div_self",  P.true_div(x, x),     lambda x: _filled(x, 1),       # x/x -> 1
         unsafe="x == 0 gives nan, not 1"),
    rule("mul_zero",  P.mul(x, 0),          lambda x: _filled(x, 0),       # x*0 -> 0
         unsafe="x = inf or nan gives nan, not 0"),
    rule("cast_same", P.cast(x, bind="c"),                                # cast(x, x.dtype) -> x
         lambda x, c: x if x.dtype == c.dtype else None),
    rule("fill_useless", P.fill(y, x, bind="f"),                          # fill(y, x) -> x
         lambda x, f: x if x.type == f.type else None,
         doc="removes a run-time shape check; fill(y, x) -> x when the types agree, even "
             "if y's run-time shape differs from x's (on by default, as Theano/PyTensor's "
             "shape_unsafe rewrites in FAST_RUN)"),
    _flatten("add"),
    _flatten("mul"),
    drop_neutral,
    dimshuffle_dimshuffle,
    useless_dimshuffle,
    useless_reshape,
    sum_sum,
    MUL_DIV_CANCEL,        # x * y / x -> y for x never 0 or inf (exp, sigmoid, ...)
    MUL_DIV_CANCEL_ANY,    # x * y / x -> y for any x (unsafe)
    shape_to_shape_i,      # shape(f(x)) -> MakeVector(Shape_i{0}(f(x)), ...)
    shape_i_infer,         # Shape_i{k}(f(x)) -> f's k-th size from x's (infer_shape)
    make_vector_constant,  # MakeVector(2, 3) -> [2, 3]
    fill_shape_from_input,  # fill(exp(x), v) -> fill(x, v)
    subtensor_merge,       # x[1:][1:] -> x[2:]
    useless_subtensor,     # x[:] -> x
    rule("log_exp",     P.log(P.exp(x)),       lambda x: x),          # log(exp(x)) -> x
    rule("log1p_expm1", P.log1p(P.expm1(x)),   lambda x: x),          # log1p(expm1(x)) -> x
    inline_opfromgraph,
))
