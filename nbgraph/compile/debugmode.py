"""DebugMode: recheck every node against its NumPy reference and every rewrite on real inputs.

At compile time each replacement's old and new subgraphs are copied (``RewriteChecker``); at
call time both are evaluated with the Python reference on the call's inputs, so a rewrite
that changes values is named. Each node runs what FAST_RUN's linker would run (C kernels,
fused loops, reductions with their prologue folded in) and its output is compared with its
op's ``perform``; an error names the node and the rule that made it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.fgraph import FunctionGraph, RewriteCheck
from ..core.graph import Apply, Constant, Variable, clone_graph, toposort
from ..core.op import InnerCompiler
from ..core.variable import TensorVariable
from ..link.kernel_linker import fused_prologue
from ..link.registry import get_linker
from ..rewrite.trace import Trace
from .base_mode import Mode, resolved_pipeline


class DebugModeError(AssertionError):
    """A node or a rewrite produced values that differ from the reference."""


def evaluate(outputs: list[TensorVariable], values: dict[TensorVariable, Any]) -> list[Any]:
    """Values of ``outputs`` by each op's NumPy ``perform``; ``values`` gives the inputs."""
    env: dict[TensorVariable, Any] = dict(values)
    for node in toposort(outputs):
        cells: list[list[Any]] = [[None] for _ in node.outputs]
        args = [v.data if isinstance(v, Constant) else env[v] for v in node.inputs]
        node.op.perform(node, [np.array(a, copy=True) for a in args], cells)
        env.update({out: cell[0] for out, cell in zip(node.outputs, cells, strict=True)})
    return [v.data if isinstance(v, Constant) else env[v] for v in outputs]


def mismatch(reference: Any, value: Any, rtol: float = 1e-5, atol: float = 1e-8) -> str | None:
    """Why ``value`` is not ``reference`` (None if it is). A non-finite reference that became
    finite is accepted: that is what stabilizing rewrites are for."""
    ref, got = np.asarray(reference), np.asarray(value)
    if ref.shape != got.shape:
        return f"shape {got.shape} instead of {ref.shape}"
    if ref.dtype.kind not in "fc":
        return None if np.array_equal(ref, got) else "different values"
    ok = np.isclose(got, ref, rtol=rtol, atol=atol, equal_nan=True) | ~np.isfinite(ref)
    if ok.all():
        return None
    where = tuple(int(i) for i in np.unravel_index(np.argmin(ok), ok.shape)) if ok.ndim else ()
    return f"{got[where].item()!r} instead of {ref[where].item()!r} at index {where}"


class RewriteChecker:
    """A FunctionGraph listener keeping a copy of each replacement's before and after."""

    def __init__(self) -> None:
        self.checks: list[RewriteCheck] = []
        self._seen: set[tuple[int, int]] = set()

    def on_change_input(self, node: Apply | str, i: int, old: TensorVariable, new: TensorVariable,
                        reason: str | None) -> None:
        if reason is None or (id(old), id(new)) in self._seen:
            return
        self._seen.add((id(old), id(new)))
        memo = clone_graph([old, new], keep_inputs=True)
        what = f"{old.owner.op} at node {old.owner.uid}" if old.owner else str(old)
        self.checks.append((reason, memo[old], memo[new], what))


class CheckedPipeline:
    """A pipeline whose ``apply`` also records rewrite checks on the FunctionGraph."""

    def __init__(self, optimizer: Any):
        self.optimizer = optimizer

    def _resolved(self) -> Any:
        return resolved_pipeline(self.optimizer)

    def apply(self, fgraph: FunctionGraph) -> Trace:
        checker = RewriteChecker()
        trace = self._resolved().apply(fgraph, listeners=(checker,))
        fgraph.rewrite_checks = list(checker.checks)  # this pipeline run's, as before
        return trace

    def including(self, *names: str) -> CheckedPipeline:
        return CheckedPipeline(self._resolved().including(*names))

    def excluding(self, *names: str) -> CheckedPipeline:
        return CheckedPipeline(self._resolved().excluding(*names))

    def __repr__(self) -> str:
        return f"CheckedPipeline({self.optimizer!r})"


def origin(node: Apply) -> str:
    """Where a node came from, for error messages: the rule that made it, else the user."""
    made_by = getattr(node.tag, "created_by", None)
    if made_by is not None:
        return f"made by rule {made_by}"
    grad_of = getattr(node.tag, "grad_of", None)
    return f"gradient of node {grad_of}" if grad_of is not None else "from the user's graph"


def fused_prologues(nodes: list[Apply], thunks: list[Any]) -> set[Apply]:
    """The nodes a kernel linker folded into their reduction's kernel (no thunk of their own)."""
    return {node for node, thunk in zip(nodes, thunks, strict=True) if thunk is fused_prologue}


def wrapped(check: Any, thunk: Any) -> Any:
    """``check`` (which runs ``thunk``) keeping what ``thunk`` says it reads: a reduction's
    kernel reads its folded prologue's inputs, and the VM's errors show those."""
    if hasattr(thunk, "reads"):
        check.reads = thunk.reads
    return check


class DebugLinker:
    """Wraps a linker (by default FAST_RUN's, C): checks rewrites once per call, then what
    each node really ran (a C kernel, a fused loop, a reduction with its elementwise prologue
    folded in) against the Python reference ``perform``, node by node."""

    def __init__(self, inner: Any = "c", rtol: float = 1e-5, atol: float = 1e-8):
        self.inner, self.rtol, self.atol = inner, rtol, atol
        self.name = f"debug({getattr(inner, 'name', inner)})"

    def make_thunks(self, fgraph: FunctionGraph, nodes: list[Apply], storage: dict[Variable, list],
                    profile: Any, compiler: InnerCompiler
                    ) -> tuple[list[Any], dict[Apply, str]]:
        linker = get_linker(self.inner)
        thunks, source = linker.make_thunks(fgraph, nodes, storage, profile, compiler)
        folded = fused_prologues(nodes, thunks)
        where = getattr(linker, "name", str(self.inner))
        checked = [self._reference_only(node, storage) if node in folded else
                   self._node_check(node, thunk, storage, where,
                                    [v.owner for v in node.inputs if v.owner in folded])
                   for node, thunk in zip(nodes, thunks, strict=True)]
        if checked:
            checked[0] = self._with_rewrite_checks(fgraph, storage, checked[0])
        return checked, source

    def _with_rewrite_checks(self, fgraph: FunctionGraph, storage: dict[Variable, list],
                             first: Any) -> Any:
        checks = fgraph.rewrite_checks

        def run() -> None:
            values = {v: storage[v][0] for v in fgraph.inputs}
            for rule, old, new, what in checks:
                before, after = evaluate([old, new], values)
                problem = mismatch(before, after, self.rtol, self.atol)
                if problem is not None:
                    raise DebugModeError(f"DebugMode: rewrite {rule} changed the value of "
                                         f"{what} on this call's inputs: {problem}")
            first()

        return run

    @staticmethod
    def _reference_only(node: Apply, storage: dict[Variable, list]) -> Any:
        """A prologue folded into its reduction's kernel computes nothing itself; its output
        cell gets the reference value, which the reduction's reference check reads."""

        def run() -> None:
            cells: list[list[Any]] = [[None] for _ in node.outputs]
            node.op.perform(node, [np.array(storage[v][0], copy=True) for v in node.inputs],
                            cells)
            for out, cell in zip(node.outputs, cells, strict=True):
                storage[out][0] = cell[0]

        return run

    def _node_check(self, node: Apply, thunk: Any, storage: dict[Variable, list], where: str,
                    folded: list[Apply]) -> Any:
        destroyed = {i for ins in (getattr(node.op, "destroy_map", {}) or {}).values()
                     for i in ins}
        ran = f"node {node.uid} ({node.op}, {origin(node)}) as the {where} linker runs it"
        if folded:
            ran += "".join(f", with node {p.uid} ({p.op}, {origin(p)}) folded into its kernel"
                           for p in folded)

        def run() -> None:
            before = [np.array(storage[v][0], copy=True) for v in node.inputs]
            thunk()
            cells: list[list[Any]] = [[None] for _ in node.outputs]
            node.op.perform(node, [b.copy() for b in before], cells)
            for k, (out, cell) in enumerate(zip(node.outputs, cells, strict=True)):
                problem = mismatch(cell[0], storage[out][0], self.rtol, self.atol)
                if problem is not None:
                    raise DebugModeError(f"DebugMode: {ran}: output {k} differs from the "
                                         f"NumPy reference: {problem}")
            for i, (var, old) in enumerate(zip(node.inputs, before, strict=True)):
                if i not in destroyed and not np.array_equal(np.asarray(storage[var][0]),
                                                             old, equal_nan=True):
                    raise DebugModeError(f"DebugMode: {ran}: modified input {i} ({var}) "
                                         f"without declaring destroy_map")

        return wrapped(run, thunk)


class DebugMode(Mode):
    """Check every node against its NumPy reference and every rewrite on the call's inputs.

    >>> f = nbgraph.function([x], T.log(1 + x), mode="DebugMode")
    >>> f([0.5])   # raises DebugModeError naming the rule if a rewrite changed a value
    """

    def __init__(self, optimizer: Any = "fast_run", linker: Any = "c",
                 rtol: float = 1e-5, atol: float = 1e-8):
        if not isinstance(optimizer, CheckedPipeline):
            optimizer = CheckedPipeline(optimizer)
        super().__init__(DebugLinker(linker, rtol, atol), optimizer)
