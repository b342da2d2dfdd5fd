"""Control flow: the lazy ``ifelse`` (IfElse op); ``scan`` is re-exported from ``core.scan``.

An IfElse node holds both branches as inner graphs over the outer Variables they read; it runs
only the branch the condition picks (compiled on first use by the linker's InnerCompiler).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

from ..core.gradient import grad
from ..core.graph import Apply, Constant, Variable, clone_graph, toposort
from ..core.inner_graph import REFERENCE, InnerGraphOp
from ..core.op import InnerCompiler
from ..core.types import TensorType, is_float
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable
from .math import cast, fill
from .scan.basic import scan

__all__ = ["IfElse", "ifelse", "scan"]


def _boundary(outputs: Sequence[TensorVariable], computed: Sequence[TensorVariable]
              ) -> list[TensorVariable]:
    """The outer Variables a branch reads: graph inputs, and Variables already computed
    outside (the condition's ancestors). Everything above them moves into the branch."""
    outside = {id(v) for v in computed}
    for node in toposort(computed):
        outside.update(id(o) for o in node.outputs)
    found: dict[int, TensorVariable] = {}
    stack = list(outputs)
    seen: set[int] = set()
    while stack:
        var = stack.pop()
        if id(var) in seen or isinstance(var, Constant):
            continue
        seen.add(id(var))
        if var.owner is None or id(var) in outside:
            found.setdefault(id(var), var)
        else:
            stack.extend(var.owner.inputs)
    return sorted(found.values(), key=lambda v: v.uid)


class IfElse(InnerGraphOp):
    """``outputs = then_outputs if condition else else_outputs``, computing one side only.

    Inputs are ``[condition, *outer]``; ``inner_inputs`` stand for ``outer`` inside the two
    branch graphs. Equality is identity (each IfElse has its own branches).
    """

    def __init__(self, inner_inputs: list[TensorVariable], then_outputs: list[TensorVariable],
                 else_outputs: list[TensorVariable], name: str | None = None):
        self.inner_inputs = inner_inputs
        self.then_outputs = then_outputs
        self.else_outputs = else_outputs
        self.name = name
        self._fns: dict[tuple[Hashable, bool], tuple[Callable[..., list[Any]], list[int]]] = {}


    def make_node(self, condition: Any, *outer: Any) -> Apply:
        cond = as_tensor_variable(condition)
        if cond.ndim != 0:
            raise TypeError(f"{self}: the condition must be a scalar, got {cond.type}")
        values = [as_tensor_variable(v) for v in outer]
        for var, inner in zip(values, self.inner_inputs, strict=True):
            if var.dtype != inner.dtype or var.ndim != inner.ndim:
                raise TypeError(f"{self}: input {var} is {var.type}, the branches expect "
                                f"{inner.type}")
        outs = [TensorType(a.dtype, shape=[x if x == y else None for x, y
                                           in zip(a.type.shape, b.type.shape, strict=True)])()
                for a, b in zip(self.then_outputs, self.else_outputs, strict=True)]
        return Apply(self, [cond, *values], outs)

    def branch(self, taken: bool, compiler: InnerCompiler = REFERENCE
               ) -> tuple[Callable[..., list[Any]], list[int]]:
        """The branch as a function from ``compiler`` (made on first use, per compiler key)
        and the positions of the outer inputs it reads."""
        key = (compiler.key, taken)
        if key not in self._fns:
            outputs = self.then_outputs if taken else self.else_outputs
            used = {id(v) for v in _boundary(outputs, ())}
            positions = [k for k, v in enumerate(self.inner_inputs) if id(v) in used]
            fn = compiler.function([self.inner_inputs[k] for k in positions], list(outputs))
            self._fns[key] = (fn, positions)
        return self._fns[key]

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]],
                compiler: InnerCompiler = REFERENCE) -> None:
        """Runs the taken branch only, as ``compiler`` made it: compiled by the linker's from
        ``make_thunk``, else evaluated op by op (the reference, without the compile layer)."""
        fn, positions = self.branch(bool(np.asarray(inputs[0])), compiler)
        outer = inputs[1:]
        for cell, value in zip(output_storage, fn(*[outer[k] for k in positions]), strict=True):
            cell[0] = value

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
        condition, *outer = inputs
        wrt = [v for v in outer if is_float(v.dtype)]
        if not wrt:
            return [None] * len(inputs)
        sides = []
        for branch_outputs in (self.then_outputs, self.else_outputs):
            memo = clone_graph(branch_outputs, replace=dict(zip(self.inner_inputs, outer,
                                                                strict=True)),
                               share_unchanged=True)
            known: dict[Variable, TensorVariable] = {}
            for out, g in zip(branch_outputs, output_grads, strict=True):
                if is_float(out.dtype):
                    out = memo.get(out, out)
                    known[out] = known[out] + g if out in known else g
            sides.append(grad(None, wrt, known_grads=known, disconnected_inputs="ignore")
                         if known else [v.zeros_like() for v in wrt])
        chosen = ifelse(condition, sides[0], sides[1], name=f"grad_of_{self.name or 'ifelse'}")
        picked = iter(chosen if isinstance(chosen, list) else [chosen])
        return [None, *[next(picked) if is_float(v.dtype) else None for v in outer]]


def _match(then_out: TensorVariable, else_out: TensorVariable, label: str, k: int
           ) -> tuple[TensorVariable, TensorVariable]:
    """Same dtype and rank on both sides; a Python number adopts the other side's dtype and
    shape (``ifelse(c, x, 0)``)."""
    if isinstance(else_out, TensorConstant) and else_out.weak:
        else_out = fill(then_out, cast(else_out, then_out.dtype))
    elif isinstance(then_out, TensorConstant) and then_out.weak:
        then_out = fill(else_out, cast(then_out, else_out.dtype))
    if then_out.dtype != else_out.dtype or then_out.ndim != else_out.ndim:
        raise TypeError(f"{label}: output {k} is {then_out.type.short()} in the then branch "
                        f"but {else_out.type.short()} in the else branch; both must have the "
                        f"same dtype and number of dimensions")
    return then_out, else_out


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: str | None = None) -> Any:
    """``then_branch`` if the scalar ``condition`` is nonzero, else ``else_branch``; lazy.

    >>> a, b = T.dscalars('a', 'b'); x, y = T.dmatrices('x', 'y')
    >>> z = ifelse(T.lt(a, b), T.mean(x), T.mean(y))   # only one mean is computed

    Branches are single Variables or equally long lists (then a list is returned).
    """
    as_list = isinstance(then_branch, (list, tuple))
    thens = [as_tensor_variable(v) for v in (then_branch if as_list else [then_branch])]
    elses = [as_tensor_variable(v) for v in
             (else_branch if isinstance(else_branch, (list, tuple)) else [else_branch])]
    label = f"ifelse {name!r}" if name else "ifelse"
    if len(thens) != len(elses):
        raise ValueError(f"{label}: the then branch has {len(thens)} outputs and the else "
                         f"branch {len(elses)}")
    pairs = [_match(t, e, label, k) for k, (t, e) in enumerate(zip(thens, elses, strict=True))]
    thens, elses = [t for t, _ in pairs], [e for _, e in pairs]
    condition = as_tensor_variable(condition)
    outer = _boundary(thens + elses, [condition])
    inner = [v.type(v.name) for v in outer]
    memo = clone_graph(thens + elses, replace=dict(zip(outer, inner, strict=True)),
                       share_unchanged=True)
    op = IfElse(inner, [memo.get(v, v) for v in thens], [memo.get(v, v) for v in elses], name)
    outs = op.make_node(condition, *outer).outputs
    return list(outs) if as_list else outs[0]
