"""Graph objects: Variable, Constant, Apply, and deterministic traversal.

An ``Apply`` is the statement ``outputs = op(*inputs)``; a ``Variable`` is a value in the graph.
Every Variable and Apply takes a ``uid`` from one counter, so a uid names the same node in every
trace snapshot, every drawing and every generated temporary. Inputs and outputs are tuples:
traversal order, printing and drawing are reproducible.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Self, TypeVar

from ..config import config
from .scope import current_scope
from .source import user_source

if TYPE_CHECKING:  # every value in a graph is a tensor; variable.py builds on this module
    from .variable import TensorVariable

_uids = itertools.count(1)

# what a traversal is given it returns, with the tensors found above it
V = TypeVar("V", bound="Variable")


def next_uid() -> int:
    return next(_uids)


class Variable:
    """A symbolic value: the ``index``-th output of ``owner``, or a graph input if no owner."""

    def __init__(self, type: Any, owner: Apply | None = None, index: int | None = None,
                 name: str | None = None):
        self.uid = next_uid()
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = SimpleNamespace()

    def __repr__(self) -> str:
        if config.print_test_value and hasattr(self.tag, "test_value"):
            # Theano's print_test_value flag; the value as the type stores it (an ndarray)
            value = self.tag.test_value
            if hasattr(self.type, "filter"):
                value = self.type.filter(value, allow_downcast=True)
            return f"{self}\n{value!r}"
        return str(self)

    def __str__(self) -> str:
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = str(self.owner.op)
            if len(self.owner.outputs) == 1:
                return f"{op}.0"
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def clone(self) -> Self:
        """A new ownerless Variable of the same type and name (a fresh uid)."""
        out = type(self)(self.type, None, None, self.name)
        out.tag = SimpleNamespace(**vars(self.tag))
        return out


class Constant(Variable):
    """A Variable with a fixed value; ``data`` is a NumPy array (or scalar for scalar types)."""

    def __init__(self, type: Any, data: Any, name: str | None = None):
        super().__init__(type, None, None, name)
        self.data = data

    def clone(self) -> Self:
        return type(self)(self.type, self.data, self.name)

    def signature(self) -> tuple:
        """What makes two constants interchangeable (used by merge)."""
        data = self.data
        return (self.type, data.dtype.str, data.shape, data.tobytes())


class Apply:
    """One application of an Op: ``outputs = op(*inputs)``."""

    def __init__(self, op: Any, inputs: Sequence[TensorVariable],
                 outputs: Sequence[TensorVariable]):
        self.uid = next_uid()
        self.op = op
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        for i, out in enumerate(self.outputs):
            out.owner, out.index = self, i
        self.tag = SimpleNamespace()
        where = user_source()
        if where is not None:
            self.tag.source = (where,)   # "built at model.py:42 in forward" in errors and views
        scope = current_scope()
        if scope is not None:  # with nbgraph.name_scope(...): the views group by it
            self.tag.scope = scope

    @property
    def out(self) -> TensorVariable:
        """The default (or only) output."""
        index = getattr(self.op, "default_output", None)
        if index is None:
            if len(self.outputs) != 1:
                raise ValueError(f"{self.op} has {len(self.outputs)} outputs; pick one")
            index = 0
        return self.outputs[index]

    @property
    def nin(self) -> int:
        return len(self.inputs)

    def clone_with_new_inputs(self, inputs: Sequence[TensorVariable]) -> Apply:
        """A node of the same op on ``inputs``; types must stay compatible."""
        node = self.op.make_node(*inputs)
        for old, new in zip(self.outputs, node.outputs, strict=True):
            # static shapes may sharpen (givens); dtype and rank may not change
            if (getattr(old.type, "dtype", None), getattr(old.type, "ndim", None)) != \
                    (getattr(new.type, "dtype", None), getattr(new.type, "ndim", None)):
                raise TypeError(f"{self.op}: output type changed from {old.type} to {new.type}")
            new.name = old.name
        node.tag = SimpleNamespace(**vars(self.tag))  # provenance (grad_of, created_by) stays
        return node

    def __repr__(self) -> str:
        args = ", ".join(str(v) for v in self.inputs)
        return f"{self.op}({args})"


def toposort(outputs: Iterable[Variable]) -> list[Apply]:
    """Apply nodes feeding ``outputs``, each after its inputs' owners, in a reproducible order.

    Depth-first from the outputs in order, visiting inputs left to right, so the result depends
    only on the graph's structure and never on hashing.
    """
    order: list[Apply] = []
    done: set[int] = set()
    for root in outputs:
        if root.owner is None or id(root.owner) in done:
            continue
        stack: list[tuple[Apply, int]] = [(root.owner, 0)]
        on_stack = {id(root.owner)}
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                parent = node.inputs[i].owner
                if parent is not None and id(parent) not in done:
                    if id(parent) in on_stack:
                        raise ValueError(f"cycle in graph at node {parent.uid} ({parent.op})")
                    stack.append((parent, 0))
                    on_stack.add(id(parent))
            else:
                stack.pop()
                on_stack.discard(id(node))
                done.add(id(node))
                order.append(node)
    return order


def ancestors(outputs: Iterable[V], blockers: Iterable[Variable] = ()
              ) -> list[V | TensorVariable]:
    """Every Variable that ``outputs`` depend on (outputs included), stopping at ``blockers``."""
    stop = {id(v) for v in blockers}
    seen: set[int] = set()
    result: list[V | TensorVariable] = []
    stack: list[V | TensorVariable] = [*outputs]
    stack.reverse()
    while stack:
        var = stack.pop()
        if id(var) in seen:
            continue
        seen.add(id(var))
        result.append(var)
        if var.owner is not None and id(var) not in stop:
            stack.extend(reversed(var.owner.inputs))
    return result


def graph_inputs(outputs: Iterable[V], blockers: Iterable[Variable] = ()
                 ) -> list[V | TensorVariable]:
    """The ownerless Variables (inputs and constants) that ``outputs`` depend on, in order."""
    stop = {id(v) for v in blockers}
    return [v for v in ancestors(outputs, blockers) if v.owner is None or id(v) in stop]


def clone_graph(outputs: Sequence[TensorVariable],
                replace: Mapping[Variable, TensorVariable] | None = None,
                keep_inputs: bool = True, share_unchanged: bool = False
                ) -> dict[Variable, TensorVariable]:
    """Copy the graph above ``outputs``; return the map old Variable -> new Variable.

    ``replace`` substitutes Variables (``givens``); graph inputs map to themselves when
    ``keep_inputs`` (so the caller's input Variables stay valid), else to fresh clones.
    With ``share_unchanged``, nodes whose inputs did not change are reused, not copied.
    """
    memo: dict[Variable, TensorVariable] = dict((replace or {}).items())
    for var in graph_inputs(outputs, blockers=list(memo)):
        if var not in memo:
            memo[var] = var if keep_inputs or isinstance(var, Constant) else var.clone()
    for node in toposort(outputs):
        if all(out in memo for out in node.outputs):
            continue
        inputs = [memo.get(v, v) for v in node.inputs]
        if share_unchanged and all(a is b for a, b in zip(inputs, node.inputs, strict=True)):
            for out in node.outputs:
                memo.setdefault(out, out)
            continue
        new = node.clone_with_new_inputs(inputs)
        for old, fresh in zip(node.outputs, new.outputs, strict=True):
            memo.setdefault(old, fresh)
    return memo

