"""FunctionGraph: the mutable graph rewrites work on, with clients, replace(reason=) and listeners.

Every change goes through ``replace``/``replace_all`` (which rewire clients with
``change_input``), so listeners such as the trace see all of them. A rewire keeps the client
node (and its uid); only nodes a rule creates are imported, and nodes left without clients are
pruned. It never decides *what* to rewrite: that is the rewrite layer's job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Protocol

from .graph import Apply, Constant, Variable, clone_graph, toposort
from .source import inherit
from .variable import TensorVariable

OUTPUT = "output"  # the client standing for "fgraph.outputs[i]"

Client = tuple[Any, int]  # (Apply node or OUTPUT, input index)
# (rule, copy of the replaced variable's graph, copy of its replacement's, what was replaced)
RewriteCheck = tuple[str, TensorVariable, TensorVariable, str]


class Listener(Protocol):
    """What a FunctionGraph tells its listeners (each hook may be a no-op)."""

    def on_attach(self, fgraph: FunctionGraph) -> None: ...

    def on_import(self, node: Apply, reason: str | None) -> None: ...

    def on_prune(self, node: Apply, reason: str | None) -> None: ...

    def on_change_input(self, node: Apply | str, i: int, old: TensorVariable,
                        new: TensorVariable,
                        reason: str | None) -> None: ...


class InconsistentTypeError(TypeError):
    """A replacement whose type the graph cannot take in place of the old variable."""


class MissingInputError(ValueError):
    """A graph reaches an ownerless, non-constant Variable that is not one of its inputs."""


def can_replace(old_type: Any, new_type: Any) -> bool:
    """Whether a value of ``new_type`` may stand where ``old_type`` was.

    Same dtype and rank; a dimension known to be ``k`` must stay ``k`` or unknown, and a
    broadcastable (length-1) dimension must stay broadcastable, because downstream Elemwise
    nodes were typed relying on it.
    """
    if old_type == new_type:
        return True
    if getattr(old_type, "dtype", None) != getattr(new_type, "dtype", None):
        return False
    old_shape, new_shape = getattr(old_type, "shape", None), getattr(new_type, "shape", None)
    if old_shape is None or new_shape is None or len(old_shape) != len(new_shape):
        return False
    return all(n == o or (n is None and o != 1) for o, n in zip(old_shape, new_shape,
                                                               strict=True))


class FunctionGraph:
    """A copy of the graph from ``inputs`` to ``outputs`` that rewrites may change.

    ``clients[var]`` lists ``(node, i)`` pairs reading ``var`` (``(OUTPUT, i)`` for the
    i-th graph output). With ``clone=True`` (the default) the nodes are copied first, so the
    caller's graph is never mutated; node tags (``grad_of``, ...) travel with the copies.
    ``borrow_outputs``, ``update_targets`` and ``inplace_updates`` describe the outputs of a
    compiled function (``function`` passes them; the gpu and inplace passes read them).

    >>> x = T.dvector("x"); fg = FunctionGraph([x], [T.exp(x) * 1])
    >>> fg.replace(fg.outputs[0], fg.outputs[0].owner.inputs[0], reason="demo")
    """

    def __init__(self, inputs: Sequence[TensorVariable], outputs: Sequence[TensorVariable],
                 clone: bool = True, listeners: Iterable[Listener] = (), *,
                 borrow_outputs: Sequence[bool] = (),
                 update_targets: Sequence[TensorVariable] = (),
                 inplace_updates: Mapping[TensorVariable, int] | None = None):
        # What ``function`` says about the outputs (all empty for a bare graph). The first
        # outputs are the user's: ``Out(borrow=True)`` ones may stay on the device (gpu pass).
        self.borrow_outputs: tuple[bool, ...] = tuple(borrow_outputs)
        # the shared variables updated per call; their new values follow the user's outputs
        self.update_targets: tuple[TensorVariable, ...] = tuple(update_targets)
        # shared variable -> position of its update among the outputs: the inplace pass may
        # compute that update into the variable's own buffer
        self.inplace_updates: dict[TensorVariable, int] = dict(inplace_updates or {})
        # gradient provenance: uid of a copied node -> the op text of the node it copies
        self.forward_ops: dict[int, str] = {}
        # DebugMode's copies of each replacement, re-evaluated on every call's inputs
        self.rewrite_checks: list[RewriteCheck] = []
        # nodes one replace_all imported and dropped: the new ones inherit the old sources
        self._made: list[Apply] = []
        self._dropped: list[Apply] = []
        if clone:
            inputs, outputs = self._clone(inputs, outputs)
        self.inputs: list[TensorVariable] = list(inputs)
        self.outputs: list[TensorVariable] = []
        self.clients: dict[Variable, list[Client]] = {}
        self.apply_nodes: dict[Apply, None] = {}     # insertion-ordered set
        self.variables: dict[Variable, None] = {}
        self.listeners: list[Listener] = []
        self._input_ids = {id(v) for v in self.inputs}
        for var in self.inputs:
            self._add_variable(var)
        for i, var in enumerate(outputs):
            self._import_var(var, None)
            self.outputs.append(var)
            self.clients[var].append((OUTPUT, i))
        for listener in listeners:
            self.attach_listener(listener)

    def _clone(self, inputs: Sequence[TensorVariable], outputs: Sequence[TensorVariable]
               ) -> tuple[list[TensorVariable], list[TensorVariable]]:
        """Copies of the nodes between ``inputs`` and ``outputs``. An input computed by the
        graph (``function([y], 2 * y)`` with ``y = exp(x) + 1``) cuts it, as in Theano: it
        becomes an ownerless copy, so no rule can reach past it to ``x``."""
        cuts: dict[Variable, TensorVariable] = {v: v.clone() if v.owner is not None else v
                                                for v in inputs}
        memo = clone_graph(outputs, replace=cuts, keep_inputs=True)
        new_uid: dict[int, int] = {}
        copies: list[Apply] = []
        for node in toposort(outputs):
            copy = memo[node.outputs[0]].owner
            if copy is not None and copy is not node:
                copy.tag = SimpleNamespace(**vars(node.tag))
                new_uid[node.uid] = copy.uid
                self.forward_ops[copy.uid] = str(node.op)
                copies.append(copy)
        for copy in copies:  # grad_of names the copied forward node
            if hasattr(copy.tag, "grad_of"):
                copy.tag.grad_of = new_uid.get(copy.tag.grad_of, copy.tag.grad_of)
        return [cuts[v] for v in inputs], [memo[o] for o in outputs]

    # -- listeners -----------------------------------------------------------------------
    def attach_listener(self, listener: Listener) -> None:
        if listener not in self.listeners:
            self.listeners.append(listener)
            hook = getattr(listener, "on_attach", None)
            if hook is not None:
                hook(self)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def _notify(self, event: str, *args: Any) -> None:
        for listener in self.listeners:
            hook = getattr(listener, event, None)
            if hook is not None:
                hook(*args)

    # -- bookkeeping ---------------------------------------------------------------------
    def _add_variable(self, var: Variable) -> None:
        if var not in self.variables:
            self.variables[var] = None
            self.clients.setdefault(var, [])

    def _import_var(self, var: Variable, reason: str | None) -> None:
        """Bring ``var`` and every node above it that is not yet in the graph."""
        if var in self.variables:
            return
        if var.owner is None:
            if not isinstance(var, Constant) and id(var) not in self._input_ids:
                raise MissingInputError(f"FunctionGraph: {var} ({_short(var)}) is not an "
                                        f"input of this graph and has no owner")
            self._add_variable(var)
            return
        stack = [var.owner]
        while stack:  # iterative: deep graphs (unrolled loops) must not hit recursion limits
            node = stack[-1]
            missing = [v.owner for v in node.inputs if v not in self.variables
                       and v.owner is not None and v.owner not in self.apply_nodes]
            if missing:
                stack.extend(reversed(dict.fromkeys(missing)))  # leftmost first
                continue
            stack.pop()
            if node in self.apply_nodes:
                continue
            for v in node.inputs:
                if v not in self.variables:
                    self._import_var(v, reason)
            self._import_node(node, reason)

    def _import_node(self, node: Apply, reason: str | None) -> None:
        self.apply_nodes[node] = None
        for out in node.outputs:
            self._add_variable(out)
        for i, v in enumerate(node.inputs):
            self.clients[v].append((node, i))
        if reason is not None and not hasattr(node.tag, "created_by"):
            node.tag.created_by = reason   # provenance for the viewer's tooltips
        if reason is not None:
            self._made.append(node)
        self._notify("on_import", node, reason)

    def _prune_if_unused(self, var: Variable, reason: str | None) -> None:
        """Drop ``var``'s owner (and what only it needed) once nothing reads its outputs."""
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if self.clients.get(v) or node is None or node not in self.apply_nodes:
                if node is None and not self.clients.get(v) and id(v) not in self._input_ids:
                    self.variables.pop(v, None)    # an unused constant leaves the graph
                    self.clients.pop(v, None)
                continue
            if any(self.clients.get(out) for out in node.outputs):
                continue
            del self.apply_nodes[node]
            for out in node.outputs:
                self.variables.pop(out, None)
                self.clients.pop(out, None)
            if reason is not None:
                self._dropped.append(node)
            self._notify("on_prune", node, reason)
            for i, inp in enumerate(node.inputs):
                clients = self.clients.get(inp)
                if clients is not None and (node, i) in clients:
                    clients.remove((node, i))
                stack.append(inp)

    # -- changes ---------------------------------------------------------------------------
    def change_input(self, node: Apply | str, i: int, new: TensorVariable,
                     reason: str | None = None) -> None:
        """Make input ``i`` of ``node`` (or output ``i`` when node is OUTPUT) read ``new``."""
        old = node.inputs[i] if isinstance(node, Apply) else self.outputs[i]
        if old is new:
            return
        if not can_replace(old.type, new.type):
            where = f"node {node.uid} ({node.op})" if isinstance(node, Apply) else "output"
            raise InconsistentTypeError(
                f"{reason or 'replace'}: cannot put {new} ({_short(new)}) in place of {old} "
                f"({_short(old)}) at input {i} of {where}")
        self._import_var(new, reason)
        if isinstance(node, Apply):
            inputs = list(node.inputs)
            inputs[i] = new
            node.inputs = tuple(inputs)
        else:
            self.outputs[i] = new
        self.clients[old].remove((node, i))
        self.clients[new].append((node, i))
        self._notify("on_change_input", node, i, old, new, reason)
        self._prune_if_unused(old, reason)

    def replace(self, old: TensorVariable, new: TensorVariable, reason: str | None = None
                ) -> None:
        """Make every reader of ``old`` read ``new`` instead (a rule's one way to change).

        Raises ``InconsistentTypeError`` (naming both sides) if ``new``'s type cannot stand
        in for ``old``'s.
        """
        self.replace_all([(old, new)], reason)

    def replace_all(self, pairs: Iterable[tuple[TensorVariable, TensorVariable]],
                    reason: str | None = None) -> None:
        """Several replacements reported to listeners as one change (one trace event)."""
        pairs = list(pairs)
        for old, new in pairs:
            if not can_replace(old.type, new.type):
                raise InconsistentTypeError(
                    f"{reason or 'replace'}: cannot replace {old} ({_short(old)}) with {new} "
                    f"({_short(new)}) at node {old.owner.uid if old.owner else old.uid}")
        self._made, self._dropped = [], []
        for old, new in pairs:
            if old not in self.variables:
                continue
            for node, i in list(self.clients[old]):
                self.change_input(node, i, new, reason)
        made = [n for n in self._made if n in self.apply_nodes]
        if made:   # new nodes stand for the dropped ones (or, if none was, the replaced)
            replaced = self._dropped or [o.owner for o, _ in pairs if o.owner is not None]
            inherit(made, replaced)
        self._made, self._dropped = [], []
        self._notify("on_replace_done", reason)

    def remove_unreachable(self, reason: str | None = None) -> int:
        """Prune nodes no output depends on (reported as one change); return how many."""
        reachable = set(self.toposort())
        dead = [node for node in self.apply_nodes if node not in reachable]
        for node in dead:
            del self.apply_nodes[node]
            for out in node.outputs:
                self.variables.pop(out, None)
                self.clients.pop(out, None)
            for i, inp in enumerate(node.inputs):
                clients = self.clients.get(inp)
                if clients is not None and (node, i) in clients:
                    clients.remove((node, i))
            self._notify("on_prune", node, reason)
        if dead:
            self._notify("on_replace_done", reason)
        return len(dead)

    # -- queries ----------------------------------------------------------------------------
    def toposort(self) -> list[Apply]:
        return toposort(self.outputs)

    def __contains__(self, item: Apply | Variable) -> bool:
        return item in self.apply_nodes or item in self.variables

    def clone(self) -> FunctionGraph:
        """An independent copy over the same input Variables, with the same output roles
        (borrowed outputs, updates); listeners and rewrite checks are not copied."""
        return FunctionGraph(self.inputs, self.outputs, clone=True,
                             borrow_outputs=self.borrow_outputs,
                             update_targets=self.update_targets,
                             inplace_updates=self.inplace_updates)

    def check_integrity(self) -> None:
        """Raise AssertionError if the client lists and node sets disagree with the graph."""
        reachable = set(self.toposort())
        assert reachable == set(self.apply_nodes), "apply_nodes differ from reachable nodes"
        for node in reachable:
            for i, v in enumerate(node.inputs):
                assert (node, i) in self.clients[v], f"missing client {node} of {v}"

    def __repr__(self) -> str:
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"


def _short(var: Variable) -> str:
    short = getattr(var.type, "short", None)
    return short() if callable(short) else str(var.type)
