"""Ops with inner graphs (Scan's step, IfElse's branches, OpFromGraph's body): their common
base ``InnerGraphOp``, and ``REFERENCE``, the InnerCompiler (core/op.py) that runs an inner
graph without compiling, node by node with each op's NumPy ``perform``. Ops use it in
``perform``; linkers lend a compiling one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .graph import Apply, Constant, Variable, toposort
from .op import Op


def _aliases(var: Variable, given: set[int]) -> bool:
    """Whether ``var``'s value may be a given input's or a constant's memory (through views)."""
    while True:
        if id(var) in given or isinstance(var, Constant):
            return True
        node = var.owner
        if node is None:
            return False
        views = {**getattr(node.op, "view_map", {}), **getattr(node.op, "destroy_map", {})}
        sources = views.get(var.index)
        if not sources:
            return False
        var = node.inputs[sources[0]]


class Evaluation:
    """``inputs -> outputs`` by each node's ``perform``, in toposort order; called with one
    value per input, it returns the list of output values (copied where they would alias an
    input or a constant, as a compiled function's are)."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]):
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        given = {id(v) for v in self.inputs}
        self.nodes: list[Apply] = [node for node in toposort(self.outputs)
                                   if not all(id(o) in given for o in node.outputs)]
        made = given | {id(o) for node in self.nodes for o in node.outputs}
        for node in self.nodes:
            for var in node.inputs:
                if id(var) not in made and not isinstance(var, Constant):
                    raise ValueError(f"inner graph: node {node.uid} ({node.op}) reads {var}, "
                                     f"which is neither an inner input nor computed inside")
        self.copy = [_aliases(v, given) or any(v is w for w in self.outputs[:k])
                     for k, v in enumerate(self.outputs)]

    def __call__(self, *values: Any) -> list[Any]:
        if len(values) != len(self.inputs):
            raise TypeError(f"inner graph: takes {len(self.inputs)} inputs, got {len(values)}")
        env: dict[int, Any] = {id(v): x for v, x in zip(self.inputs, values, strict=True)}
        for node in self.nodes:
            args = [v.data if isinstance(v, Constant) else env[id(v)] for v in node.inputs]
            if getattr(node.op, "destroy_map", None):  # never overwrite a caller's array
                args = [np.array(a, copy=True) for a in args]
            cells: list[list[Any]] = [[None] for _ in node.outputs]
            node.op.perform(node, args, cells)
            env.update((id(o), cell[0]) for o, cell in zip(node.outputs, cells, strict=True))
        outs = [v.data if isinstance(v, Constant) else env[id(v)] for v in self.outputs]
        return [np.array(x, copy=True) if copy else x
                for x, copy in zip(outs, self.copy, strict=True)]


class ReferenceCompiler:
    """The InnerCompiler that does not compile: ``perform`` node by node (the ``mode`` an op
    asks for is ignored). What ``perform`` of Scan and IfElse use, so constant folding and
    DebugMode's reference checks run them without the compile layer."""

    key = "perform"

    def function(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 mode: Any = None) -> Callable[..., list[Any]]:
        return Evaluation(inputs, outputs)

    def __repr__(self) -> str:
        return "REFERENCE"


REFERENCE = ReferenceCompiler()


class InnerGraphOp(Op):
    """An op that holds an inner graph and the functions compiled from it (``_fns``, one per
    compiler). Each instance is its own op: equality is identity, so two loops never merge.
    It prints as ``Scan{name}`` (its class and ``op_name``) and pickles without its compiled
    caches (``COMPILED``: the attributes rebuilt empty on unpickling)."""

    COMPILED: tuple[str, ...] = ("_fns",)
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    @property
    def op_name(self) -> str | None:
        return getattr(self, "name", None)

    def __str__(self) -> str:
        kind = type(self).__name__
        return f"{kind}{{{self.op_name}}}" if self.op_name else kind

    __repr__ = __str__

    def __getstate__(self) -> dict:
        return {k: v for k, v in vars(self).items() if k not in self.COMPILED}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, **{name: {} for name in self.COMPILED})

    def make_thunk(self, node: Apply, in_cells: list[list[Any]], out_cells: list[list[Any]],
                   compiler: Any = None) -> Callable[[], None]:
        """``perform(node, inputs, out_cells, compiler)`` with the inner functions compiled
        by the linker's ``compiler`` (on first use), else evaluated op by op."""
        compiler = REFERENCE if compiler is None else compiler
        perform: Callable[..., None] = self.perform  # the subclasses take the compiler

        def thunk() -> None:
            perform(node, [cell[0] for cell in in_cells], out_cells, compiler)

        return thunk
