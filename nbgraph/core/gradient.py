"""Reverse-mode autodiff that builds graph: ``grad(cost, wrt)`` returns Variables.

The backward pass walks the nodes between ``wrt`` and ``cost`` in reverse order and calls each
op's ``L_op``; contributions to one Variable are summed with a single n-ary ``add``. Every node
the backward pass creates is tagged ``tag.grad_of = <uid of the forward node>`` so the
Gradient view can set it apart.
"""

from __future__ import annotations

import functools
import operator
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .graph import Apply, Variable, ancestors, clone_graph, next_uid, toposort
from .op import InputGrad, Op, UndefinedGrad
from .tensor_math import MATH
from .types import TensorType, is_float, is_int
from .variable import TensorVariable, as_tensor_variable, constant


class DisconnectedInputError(ValueError):
    """``grad`` was asked for a Variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """A gradient needed on the path to ``wrt`` is undefined for some op."""


def _tag_new_nodes(results: Sequence[Any], first_uid: int, forward: Apply) -> None:
    for var in ancestors([r for r in results if isinstance(r, Variable)]):
        if var.uid < first_uid:
            continue
        if var.owner is not None and var.owner.uid >= first_uid:
            if not hasattr(var.owner.tag, "grad_of"):
                var.owner.tag.grad_of = forward.uid


def _wrt_list(wrt: Any) -> tuple[list[TensorVariable], bool]:
    """``wrt`` as a list of Variables, and whether it was given as a list."""
    as_list = isinstance(wrt, (list, tuple))
    wrt_vars = list(wrt) if as_list else [wrt]
    for w in wrt_vars:
        if not isinstance(w, TensorVariable):
            raise TypeError(f"grad: wrt must be Variables, got {type(w).__name__}")
    return wrt_vars, as_list


def grad(cost: Any, wrt: Any, consider_constant: Sequence[Variable] | None = None,
         disconnected_inputs: str = "raise", add_names: bool = True,
         known_grads: dict[Variable, Any] | None = None, return_disconnected: str = "zero",
         null_gradients: str = "raise") -> Any:
    """Symbolic gradient of scalar ``cost`` with respect to ``wrt`` (a Variable or a list).

    >>> x = T.dscalar('x'); gx = grad(x ** 2, x)   # gx is a graph: 2 * x
    >>> gx.eval({x: 3.0})
    array(6.)

    ``consider_constant`` stops the gradient at those Variables; ``known_grads`` seeds it
    ({variable: gradient}) when ``cost`` is None or to add external gradients.
    ``disconnected_inputs`` is 'raise', 'warn' or 'ignore' for a ``wrt`` the cost does not
    depend on (then its gradient is zeros).
    """
    wrt_vars, as_list = _wrt_list(wrt)
    seeds: dict[Variable, TensorVariable] = {}
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: cost must be a scalar, got {cost.type.short()} "
                            f"(sum or mean it first)")
        seeds[cost] = _ones(cost)
    for var, g in (known_grads or {}).items():
        seeds[var] = as_tensor_variable(g)
    if not seeds:
        raise ValueError("grad: give a cost or known_grads")
    first_uid = next_uid()
    grads = backprop(seeds, wrt_vars, consider_constant or ())
    # name a gradient only if this pass built it and it answers one wrt alone: the seed or a
    # caller's Variable passed through (grad(a + b, [a, b])) must not be renamed
    uses: dict[int, int] = {}
    for w in wrt_vars:
        uses[id(grads.get(w))] = uses.get(id(grads.get(w)), 0) + 1
    out = []
    for w in wrt_vars:
        g = grads.get(w)
        if g is None and is_int(w.dtype) and w in ancestors(list(seeds)):
            out.append(_zeros(w))  # as in Theano: an integer the cost depends on gets zeros
            continue
        if g is None:
            message = (f"grad: the cost does not depend on {w} ({w.type}); pass "
                       f"disconnected_inputs='ignore' to get zeros")
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(message)
            if disconnected_inputs == "warn":
                warnings.warn(message, stacklevel=2)
            g = None if return_disconnected == "None" else _zeros(w)
        elif add_names and w.name and cost is not None and uses[id(g)] == 1 \
                and g.owner is not None and g.owner.uid >= first_uid:
            g.name = f"(d{cost.name or 'cost'}/d{w.name})"
        out.append(g)
    return out if as_list else out[0]


def _ones(var: TensorVariable) -> TensorVariable:
    # Theano's seed, fill(cost, 1.0): pp shows it as Theano did; canonicalize removes it
    if is_float(var.dtype):
        seed = MATH.fill(var, constant(1.0, dtype=var.dtype))
        seed.owner.tag.grad_of = var.owner.uid if var.owner is not None else var.uid  # backward
        return seed
    return constant(np.ones((), dtype="float64"))


def _zeros(var: TensorVariable) -> TensorVariable:
    return MATH.zeros_like(var, dtype=var.dtype if is_float(var.dtype) else "float64")


def backprop(seeds: dict[Variable, TensorVariable], wrt: Sequence[Variable],
             blockers: Sequence[Variable] = ()) -> dict[Variable, TensorVariable]:
    """Propagate gradients from ``seeds`` ({output: gradient}) back to ``wrt``.

    Only nodes on a path from some ``wrt`` to some seed are differentiated.
    """
    blocked = {id(v) for v in blockers}
    wanted = {id(w) for w in wrt}
    nodes = toposort(list(seeds))
    # forward reachability: which Variables depend on some wrt?
    depends = set(wanted)

    def passes(var: Variable) -> bool:  # a blocked Variable passes only its own gradient
        return id(var) in depends and (id(var) not in blocked or id(var) in wanted)

    for node in nodes:
        if any(passes(i) for i in node.inputs):
            depends.update(id(o) for o in node.outputs)
    contributions: dict[Variable, list[TensorVariable]] = {v: [g] for v, g in seeds.items()}
    totals: dict[Variable, TensorVariable] = {}

    def total(var: Variable) -> TensorVariable | None:
        if var not in totals:
            parts = contributions.get(var)
            if not parts:
                return None
            totals[var] = parts[0] if len(parts) == 1 else _sum_parts(parts, var)
        return totals[var]

    for node in reversed(nodes):
        if not any(id(o) in depends for o in node.outputs):
            continue
        # a blocked Variable keeps its own gradient (grad may ask for it) but passes none on
        output_grads = [None if id(o) in blocked else total(o) for o in node.outputs]
        if all(g is None for g in output_grads):
            continue
        if not any(passes(i) for i in node.inputs):
            continue
        output_grads = [g if g is not None else _zeros(o)
                        for g, o in zip(output_grads, node.outputs, strict=True)]
        first_uid = next_uid()
        try:
            input_grads = node.op.L_op(list(node.inputs), list(node.outputs), output_grads)
        except NotImplementedError as err:
            raise NullTypeGradError(f"grad: {node.op} (node {node.uid}) has no gradient, "
                                    f"but the cost depends on its input through it") from err
        if len(input_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(input_grads)} gradients for "
                             f"{len(node.inputs)} inputs")
        _tag_new_nodes(input_grads, first_uid, node)
        for inp, g in zip(node.inputs, input_grads, strict=True):
            if g is None or not passes(inp):
                continue
            if isinstance(g, UndefinedGrad):
                raise NullTypeGradError(f"grad: the gradient of {node.op} (node {node.uid}) "
                                        f"with respect to input {inp} is undefined: {g.why}")
            contributions.setdefault(inp, []).append(_check_grad(node, inp, g))
    return {w: g for w in wrt if (g := total(w)) is not None}


def _sum_parts(parts: list[TensorVariable], var: Variable) -> TensorVariable:
    first_uid = next_uid()
    if all(isinstance(p.type, TensorType) for p in parts):
        out = MATH.add(*parts)
    else:  # a type with its own sum (sparse matrices add with their ``+``)
        out = functools.reduce(operator.add, parts)
    if out.owner is not None and out.owner.uid >= first_uid:
        out.owner.tag.grad_of = getattr(parts[0].owner.tag, "grad_of", None) \
            if parts[0].owner is not None else None
    return out


def _check_grad(node: Apply, inp: TensorVariable, g: Any) -> TensorVariable:
    g = as_tensor_variable(g)
    if g.ndim != inp.ndim:
        raise ValueError(f"{node.op}.grad returned a {g.ndim}-d gradient for the "
                         f"{inp.ndim}-d input {inp} (node {node.uid})")
    if g.dtype != inp.dtype and is_float(inp.dtype) and isinstance(g.type, TensorType):
        g = MATH.cast(g, inp.dtype)
    return g


def grad_undefined(op: Op, index: int, x: Variable, comment: str = "") -> UndefinedGrad:
    """Mark input ``index`` of ``op`` as having no defined gradient (Theano's helper)."""
    return UndefinedGrad(comment or f"{op} is not differentiable in input {index}")


# -- ops that shape the gradient -----------------------------------------------------------
class IdentityForward(Op):
    """An op that passes its input through unchanged (a view) and only shapes the gradient;
    subclasses define ``grad``."""

    view_map = {0: [0]}

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]]) -> None:
        output_storage[0][0] = inputs[0]


class GradientBlock(IdentityForward):
    """Identity forward; backward returns zero (``zero_grad``) or disconnects
    (``disconnected_grad``)."""

    __props__ = ("kind",)

    def __init__(self, kind: str):
        self.kind = kind

    def __str__(self) -> str:
        return {"zero": "ZeroGrad", "disconnected": "DisconnectedGrad"}[self.kind]

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[InputGrad]:
        if self.kind == "zero" and not is_int(inputs[0].dtype):
            return [_zeros(inputs[0])]
        return [None]


def zero_grad(x: Any) -> TensorVariable:
    """``x`` forward; its gradient is zeros."""
    return GradientBlock("zero")(x)


def disconnected_grad(x: Any) -> TensorVariable:
    """``x`` forward; the gradient does not flow through it (``consider_constant`` for one
    Variable)."""
    return GradientBlock("disconnected")(x)


class GradClip(IdentityForward):
    """Identity forward; backward clips the incoming gradient elementwise to ``[lower,
    upper]`` (Theano's ``GradClip``)."""

    __props__ = ("clip_lower_bound", "clip_upper_bound")

    def __init__(self, clip_lower_bound: float, clip_upper_bound: float):
        if not clip_lower_bound <= clip_upper_bound:
            raise ValueError(f"grad_clip: lower_bound {clip_lower_bound} is above "
                             f"upper_bound {clip_upper_bound}")
        self.clip_lower_bound = float(clip_lower_bound)
        self.clip_upper_bound = float(clip_upper_bound)

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[InputGrad]:
        return [MATH.clip(output_grads[0], self.clip_lower_bound, self.clip_upper_bound)]


def grad_clip(x: Any, lower_bound: float, upper_bound: float) -> TensorVariable:
    """``x`` forward; the gradient flowing back through it is clipped to ``[lower_bound,
    upper_bound]`` elementwise (Theano's ``theano.gradient.grad_clip``).

    >>> x = T.dscalar('x')
    >>> grad(grad_clip(x, -1, 1) ** 2, x).eval({x: 3.0})   # 2x = 6, clipped
    array(1.)
    """
    return GradClip(lower_bound, upper_bound)(x)


class GradScale(IdentityForward):
    """Identity forward; backward multiplies the incoming gradient by ``multiplier``."""

    __props__ = ("multiplier",)

    def __init__(self, multiplier: float):
        self.multiplier = float(multiplier)

    def grad(self, inputs: list[TensorVariable], output_grads: list[TensorVariable]
             ) -> list[InputGrad]:
        return [output_grads[0] * self.multiplier]


def grad_scale(x: Any, multiplier: float) -> TensorVariable:
    """``x`` forward; the gradient flowing back through it is scaled by ``multiplier``
    (Theano's ``theano.gradient.grad_scale``; -1 reverses it)."""
    return GradScale(multiplier)(x)


# -- derived: Lop, Rop, jacobian, hessian ---------------------------------------------------
def Lop(f: Any, wrt: Any, eval_points: Any, consider_constant: Any = None,
        disconnected_inputs: str = "raise") -> Any:
    """Vector-Jacobian product: ``eval_points`` (shaped like ``f``) times ``df/dwrt``."""
    fs = f if isinstance(f, (list, tuple)) else [f]
    vs = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    known = {fi: as_tensor_variable(v) for fi, v in zip(fs, vs, strict=True)}
    return grad(None, wrt, consider_constant=consider_constant, known_grads=known,
                disconnected_inputs=disconnected_inputs)


def Rop(f: Any, wrt: Any, eval_points: Any) -> Any:
    """Jacobian-vector product ``df/dwrt · eval_points``, by the double-Lop trick
    (the gradient of ``<u, Lop(f, wrt, u)>`` with respect to a dummy ``u``)."""
    wrt_list, as_list = _wrt_list(wrt)
    points = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    fs = f if isinstance(f, (list, tuple)) else [f]
    outs = []
    for fi in fs:
        u = fi.type.make_variable("u")
        vjp = Lop(fi, wrt_list, u, disconnected_inputs="ignore")
        vjp = vjp if isinstance(vjp, list) else [vjp]
        terms = [MATH.sum(v * p) for v, p in zip(vjp, points, strict=True)]
        inner = MATH.add(*terms) if len(terms) > 1 else terms[0]
        jvp = grad(inner, u, disconnected_inputs="ignore")
        # the result no longer depends on u (it is linear in u): substitute zeros for it
        outs.append(clone_graph([jvp], replace={u: _zeros(fi)}, share_unchanged=True)[jvp])
    return outs if isinstance(f, (list, tuple)) else outs[0]


def jacobian(expression: Any, wrt: Any, consider_constant: Any = None,
             disconnected_inputs: str = "raise") -> Any:
    """The Jacobian of a vector ``expression`` with respect to ``wrt``: one row per element
    of ``expression`` (computed with ``scan`` over the rows)."""
    expression = as_tensor_variable(expression)
    wrt_list, as_list = _wrt_list(wrt)
    if expression.ndim == 0:
        out = grad(expression, wrt_list, consider_constant, disconnected_inputs)
        return out if as_list else out[0]
    flat = expression.flatten()

    def row(i: Any, *ws: Any) -> Any:
        return grad(flat[i], list(ws), consider_constant, disconnected_inputs)

    rows, _ = MATH.scan(row, sequences=MATH.arange(flat.shape[0]), non_sequences=wrt_list)
    rows = rows if isinstance(rows, list) else [rows]
    shaped = [r.reshape([*[expression.shape[i] for i in range(expression.ndim)],
                         *[w.shape[j] for j in range(w.ndim)]], ndim=expression.ndim + w.ndim)
              for r, w in zip(rows, wrt_list, strict=True)]
    return shaped if as_list else shaped[0]


def hessian(cost: Any, wrt: Any, consider_constant: Any = None,
            disconnected_inputs: str = "raise") -> Any:
    """The Hessian of scalar ``cost`` with respect to each vector in ``wrt``."""
    wrt_list, as_list = _wrt_list(wrt)
    out = []
    for w in wrt_list:
        g = grad(cost, w, consider_constant, disconnected_inputs)
        out.append(jacobian(g, w, consider_constant, disconnected_inputs))
    return out if as_list else out[0]


def numeric_grad(fn: Any, points: list[np.ndarray], eps: float) -> list[np.ndarray]:
    """Central finite differences of scalar ``fn(*points)`` with respect to each point."""
    grads = []
    for p in points:
        g = np.zeros_like(p, dtype="float64")
        flat = p.reshape(-1)
        gf = g.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = float(fn(*points))
            flat[i] = old - eps
            minus = float(fn(*points))
            flat[i] = old
            gf[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads
