"""specialize: cheaper ops for the same value (x**2 -> sqr(x), dot + z -> gemm, matrix-vector
dot -> gemv)."""

from __future__ import annotations

import numpy as np

from ..core.fgraph import FunctionGraph, can_replace
from ..core.graph import Apply
from ..core.types import is_float, upcast
from ..core.variable import TensorVariable, constant
from ..ops import math as T
from ..ops.blas import Gemm, gemm_no_inplace, gemv_no_inplace
from ..ops.elemwise import DimShuffle, Elemwise
from ..ops.linalg import Dot
from ..ops.math import Argmax
from ..ops.nnet import LogSoftmax, Softmax
from .engine import RuleSet, node_rule, rule
from .pattern import P, constant_value, x


def _single_reader(fgraph: FunctionGraph, var: TensorVariable) -> bool:
    return len(fgraph.clients.get(var, ())) == 1 and var not in fgraph.outputs


def _matrix_dot(fgraph: FunctionGraph, var: TensorVariable) -> Apply | None:
    node = var.owner
    if node is None or not isinstance(node.op, Dot) or not _single_reader(fgraph, var):
        return None
    a, b = node.inputs
    return node if a.ndim == 2 and b.ndim == 2 else None


def _scalar(var: TensorVariable) -> TensorVariable | None:
    """``var`` as a 0-d Variable if it holds one number (broadcast constant or padded 0-d)."""
    data = constant_value(var)
    if data is not None:
        return constant(data.reshape(-1)[0].item(), dtype=var.dtype) if data.size == 1 \
            else None
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.inputs[0].ndim == 0:
        return node.inputs[0]
    return var if var.ndim == 0 else None


def _negated(alpha: TensorVariable) -> TensorVariable:
    data = constant_value(alpha)
    return constant(-data.item(), dtype=alpha.dtype) if data is not None else -alpha


def _is_plain_mul(node: Apply) -> bool:
    """An out-of-place elementwise mul (an inplace one overwrites an input gemm would read)."""
    op = node.op
    return isinstance(op, Elemwise) and op.scalar_op.name == "mul" and not op.inplace_pattern


def _scaled_dot(fgraph: FunctionGraph, var: TensorVariable) -> tuple[TensorVariable, Apply] | None:
    """(alpha, dot node) for ``dot(a, b)`` or ``alpha * dot(a, b)``."""
    found = _matrix_dot(fgraph, var)
    if found is not None:
        return constant(1, dtype=var.dtype), found
    node = var.owner
    if node is None or not _is_plain_mul(node) or len(node.inputs) != 2 \
            or not _single_reader(fgraph, var):
        return None
    for k in (0, 1):
        found = _matrix_dot(fgraph, node.inputs[k])
        alpha = _scalar(node.inputs[1 - k])
        if found is not None and alpha is not None:
            return alpha, found
    return None


def _times(a: TensorVariable, b: TensorVariable) -> TensorVariable:
    """The 0-d product ``a * b``, folded when both are constants."""
    da, db = constant_value(a), constant_value(b)
    if da is not None and db is not None:
        return constant((da * db).item(), dtype=upcast(a.dtype, b.dtype))
    return T.mul(a, b)


def _scaled_gemm(fgraph: FunctionGraph, var: TensorVariable
                 ) -> tuple[TensorVariable, Apply, Apply] | None:
    """(alpha, gemm node, dot node) for ``alpha * gemm(dot(a, b), ...)`` (or without alpha):
    the ``z + alpha * (dot(a, b) - dot(c, d))`` of an update, once gemm fused the inner sub."""
    alpha: TensorVariable | None = constant(1, dtype=var.dtype)
    node = var.owner
    if node is not None and _is_plain_mul(node) and len(node.inputs) == 2 \
            and _single_reader(fgraph, var):
        for k in (0, 1):
            alpha = _scalar(node.inputs[1 - k])
            if alpha is not None and node.inputs[k].owner is not None:
                var = node.inputs[k]
                break
    node = var.owner
    if alpha is None or node is None or not isinstance(node.op, Gemm) or node.op.inplace \
            or not _single_reader(fgraph, var):
        return None
    dot_node = _matrix_dot(fgraph, node.inputs[0])
    return None if dot_node is None else (alpha, node, dot_node)


def _chain(z: TensorVariable, alpha: TensorVariable, gemm_node: Apply, dot_node: Apply,
           dtype: str) -> TensorVariable:
    """``z + alpha * gemm(dot(a, b), a2, x, y, b2)`` as Theano's chain
    ``gemm(gemm(z, alpha*b2, a, b, 1), alpha*a2, x, y, 1)``: both products accumulate into
    z's buffer (in place when z is a shared variable's update)."""
    _, a2, x_, y_, b2 = gemm_node.inputs
    one = constant(1, dtype=dtype)
    inner = gemm_no_inplace(z, T.cast(_times(alpha, b2), dtype), *dot_node.inputs, one)
    return gemm_no_inplace(inner, T.cast(_times(alpha, a2), dtype), x_, y_, one)


@node_rule("gemm", tracks=("Elemwise:add", "Elemwise:sub"))
def gemm(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """z + alpha*dot(a, b) -> gemm(z, alpha, a, b, 1); z - dot(a, b) -> gemm(z, -1, a, b, 1);
    z + alpha*gemm(dot(a, b), ...) -> a chain of two gemms on z (see ``_chain``)."""
    out = node.outputs[0]
    if out.ndim != 2 or not out.dtype.startswith("float"):
        return None
    is_sub = node.op.scalar_op.name == "sub"
    terms = list(node.inputs)
    for k, term in enumerate(terms):
        if is_sub and k == 0:
            continue
        scaled = _scaled_dot(fgraph, term)
        chained = None if scaled is not None else _scaled_gemm(fgraph, term)
        if scaled is not None:
            alpha, dot_node = scaled
        elif chained is not None:
            alpha, _, dot_node = chained
        else:
            continue
        if any(v.dtype != out.dtype for v in dot_node.inputs):
            continue
        for j, z in enumerate(terms):
            if j == k or (is_sub and j != 0) or z.dtype != out.dtype:
                continue
            if z.broadcastable != (False, False) or not can_replace(out.type, z.type):
                continue  # z must be a full matrix the size of the result
            alpha_ = _negated(alpha) if is_sub else alpha
            if alpha_.dtype != out.dtype:
                alpha_ = T.cast(alpha_, out.dtype)
            fused = _chain(z, alpha_, chained[1], dot_node, out.dtype) if chained else \
                gemm_no_inplace(z, alpha_, *dot_node.inputs, constant(1, dtype=out.dtype))
            rest = [t for i, t in enumerate(terms) if i not in (j, k)]
            return [T.add(fused, *rest) if rest else fused]
    return None


@node_rule("argmax_softmax", tracks=(Argmax,))
def argmax_softmax(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """argmax(softmax(x), -1) -> argmax(x, -1) (also logsoftmax, argmin): both are increasing
    along the last axis, so the winner is the same and softmax is not computed for it."""
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, (Softmax, LogSoftmax)):
        return None
    x = inner.inputs[0]
    axes = range(x.ndim) if node.op.axis is None else node.op.axis
    if list(axes) != [x.ndim - 1] or x.dtype != node.inputs[0].dtype:
        return None
    return [Argmax(node.op.axis, node.op.kind)(x)]
@node_rule("gemv", tracks=(Dot,))
def gemv(fgraph: FunctionGraph, node: Apply) -> list[TensorVariable] | None:
    """dot(A, x) -> gemv(y, 1, A, x, 0) for float matrix A and vector x (Theano's CGemv).
    With beta 0, y is never read: it is a constant of shape (1,) that broadcasts, so no
    zeros are allocated per call (the C thunk writes into a reused buffer)."""
    A, x = node.inputs
    out = node.outputs[0]
    if A.ndim != 2 or x.ndim != 1 or not is_float(out.dtype) \
            or A.dtype != out.dtype or x.dtype != out.dtype:
        return None
    y = constant(np.zeros(1, dtype=out.dtype))
    return [gemv_no_inplace(y, constant(1, dtype=out.dtype), A, x,
                            constant(0, dtype=out.dtype))]


def _inv_float(x: TensorVariable) -> TensorVariable | None:
    """x**-1 -> inv(x) for float x only: NumPy refuses int ** -1, and inv of an int is a
    float that, cast back to the int result, would be 0 for |x| > 1."""
    return T.inv(x) if is_float(x.dtype) else None


SPECIALIZE = RuleSet("specialize", (
    rule("pow_2",    P.pow(x, 2),    lambda x: T.sqr(x)),    # x**2 -> sqr(x)
    rule("pow_half", P.pow(x, 0.5),  lambda x: T.sqrt(x)),   # x**0.5 -> sqrt(x)
    rule("pow_neg1", P.pow(x, -1),   _inv_float),            # x**-1 -> inv(x)
    gemm,
    argmax_softmax,
    gemv,
))
