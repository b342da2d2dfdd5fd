"""Replaying a function's rewrites on the user's inputs: ``bisect``, ``why_not`` and
``inner_graph_nodes``.

Both recompile the function's graph (from ``fn.maker.args``) with the Python linker and its own
pipeline wrapped, so the replay sees every rewrite as it happens, on a fresh copy: the
function itself is not touched. ``bisect`` evaluates the graph after every rewrite and names
the first that changed an output; ``why_not`` asks, after each pass, why one rule does not
fire on the nodes it could have. Inner graphs (a scan's step, an ifelse's branches, an
OpFromGraph's body) are compiled with their own rewrites when the function is linked: both
replay those compiles too, on the graph the outer compile ends with, and label their
answers with the outer node (``in Scan #12's step``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Constant, toposort
from ..core.inner_graph import Evaluation
from ..core.printing import InnerGraph, inner_graphs
from ..core.variable import TensorVariable
from ..rewrite.engine import NodeRule, Rule, conform
from ..rewrite.pattern import explain, node_keys
from ..rewrite.pipeline import Pipeline, find_rule, resolve
from ..rewrite.trace import Trace, TraceListener, snapshot
from .base_mode import Mode
from .debugmode import evaluate, mismatch
from .mode import get_mode

if TYPE_CHECKING:   # function.py imports this module for Function.why_not and .bisect
    from .function import Function


class _Stop(Exception):
    """Raised from a listener to end a replay once it has its answer."""


class _Wrapped:
    """An optimizer that runs ``pipeline`` with extra listeners (what a replay watches)."""

    def __init__(self, pipeline: Any, *listeners: Any):
        self.pipeline, self.listeners = pipeline, listeners

    def apply(self, fgraph: FunctionGraph) -> Any:
        self.pipeline.apply(fgraph, listeners=self.listeners)   # calls on_attach
        raise _Stop   # the replay has what it watched for: no need to link


class _UidMap(TraceListener):
    """Maps the replay's uids to ``fn``'s: both compiles run the same rewrites in the same
    order, so the initial records and each event's added nodes pair up one to one."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        super().on_attach(fgraph)
        self.initial = [r.uid for r in snapshot(fgraph).nodes]

    def mapping(self, trace: Trace | None) -> dict[int, int]:
        if trace is None or not trace.passes:
            return {}
        ours = self.initial + [uid for e in self.events for uid in e.added]
        theirs = [r.uid for r in trace.passes[0].before.nodes]
        theirs += [uid for e in trace.events() for uid in e.added]
        return dict(zip(ours, theirs, strict=False))


def _replay(fn: Function, *listeners: Any) -> dict[int, int]:
    """Recompile ``fn`` with ``listeners`` watching the rewrites; returns the map from the
    replay's uids to ``fn``'s (so answers name the nodes of ``fn.trace``)."""
    pipeline = resolve(fn.maker.mode.optimizer)
    if pipeline is None:
        raise ValueError("this function was compiled without rewrites: nothing to replay")
    uids = _UidMap()
    try:
        fn.copy(mode=Mode(linker="py", optimizer=_Wrapped(pipeline, uids, *listeners)))
    except _Stop:
        pass
    return uids.mapping(fn.trace)


def _renamed(text: str, uids: dict[int, int]) -> str:
    return re.sub(r"node (\d+)", lambda m: f"node {uids.get(int(m[1]), int(m[1]))}", text)


# -- bisect -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BisectResult:
    """The first rewrite that changed an output: ``rule`` (``pass/rule``), its position
    ``event`` in ``fn.trace.events()``, the ``output`` index, and its values ``before`` and
    ``after`` the rewrite."""

    rule: str
    event: int
    output: int
    before: Any
    after: Any
    difference: str
    removed: tuple[int, ...]
    added: tuple[int, ...]
    inside: str = ""   # an inner graph's compile (``Scan #12's step``): its own events, uids

    def __str__(self) -> str:
        where = f"in {self.inside}, " if self.inside else ""
        return (f"{where}rewrite {self.event} ({self.rule}) changed output {self.output}: "
                f"{self.difference}\n  before: {self.before!r}\n  after:  {self.after!r}")


class _Bisector:
    """After every rewrite, evaluate the graph and compare with the values just before."""

    def __init__(self, values: list[Any], rtol: float, atol: float):
        self.values, self.rtol, self.atol = values, rtol, atol
        self.result: BisectResult | None = None
        self.event = 0
        self._reset()

    def _reset(self) -> None:
        self.removed: list[int] = []
        self.added: list[int] = []
        self.changed = False

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph
        explicit = len(self.values)
        env: dict[TensorVariable, Any] = dict(zip(fgraph.inputs[:explicit], self.values,
                                                   strict=True))
        for var in fgraph.inputs[explicit:]:     # shared variables: their current values
            env[var] = var.get_value(borrow=True)  # type: ignore[attr-defined]
        self.env = env
        self.current = self.evaluate()

    def evaluate(self) -> list[Any]:
        return evaluate(self.fgraph.outputs, self.env)

    def on_import(self, node: Apply, reason: str | None) -> None:
        if reason is not None:
            self.added.append(node.uid)

    def on_prune(self, node: Apply, reason: str | None) -> None:
        if reason is not None:
            self.removed.append(node.uid)

    def on_change_input(self, node: Any, i: int, old: TensorVariable, new: TensorVariable,
                        reason: str | None) -> None:
        if reason is not None:
            self.changed = True

    def on_replace_done(self, reason: str | None) -> None:
        if reason is None or not (self.removed or self.added or self.changed):
            return self._reset()
        after = self.evaluate()
        for k, (old, new) in enumerate(zip(self.current, after, strict=True)):
            why = mismatch(old, new, self.rtol, self.atol)
            if why is not None:
                self.result = BisectResult(reason, self.event, k, old, new, why,
                                           tuple(self.removed), tuple(self.added))
                raise _Stop
        self.current = after
        self.event += 1
        self._reset()


def bisect(fn: Function, *inputs: Any, rtol: float = 1e-5, atol: float = 1e-8
           ) -> BisectResult | None:
    """The first rewrite of ``fn``'s compile that changes its outputs on ``inputs`` beyond
    ``rtol``/``atol`` (values before and after it), or None if no rewrite does.

    The graph is evaluated with each op's Python reference after every rewrite, on a fresh
    copy: ``fn`` and its shared variables are not changed. A rewrite that turns a non-finite
    value finite is not a change (stabilizing is what such rules are for). When no rewrite
    of the outer compile changes a value, each inner graph's own compile is replayed, the
    outer graph evaluated after each of its rewrites (``inside`` then names the graph, and
    ``event`` counts that compile's rewrites; inner graphs nested in inner graphs are not
    searched).

    >>> result = nbgraph.bisect(fn, x_value)
    >>> print(result)      # rewrite 3 (canonicalize/...) changed output 0: ...
    """
    explicit = [spec for spec in fn.maker.inputs if not spec.implicit]
    if len(inputs) != len(explicit):
        raise TypeError(f"bisect: the function takes {len(explicit)} inputs, "
                        f"{len(inputs)} given")
    values = [spec.variable.type.filter(np.asarray(value) if not hasattr(value, "dtype")
                                        else value, allow_downcast=True)
              for spec, value in zip(explicit, inputs, strict=True)]
    bisector, final = _Bisector(values, rtol, atol), _Final()
    uids = _replay(fn, bisector, final)
    found = bisector.result
    if found is None:   # then the inner graphs' own compiles, each in the outer graph
        return _bisect_inside(final.fgraph, bisector, uids, fn.maker.mode.optimizer)
    return replace(found, removed=tuple(uids.get(u, u) for u in found.removed),
                   added=tuple(uids.get(u, u) for u in found.added))


class _Swap:
    """An inner compiler for evaluating an outer node with its inner graph as ``inner`` is
    now (a replay's copy of it: same inputs in order, outputs in order)."""

    key = "bisect-swap"

    def __init__(self, original: list[Any], outputs: tuple[Any, ...], inner: FunctionGraph):
        self.position = {id(v): k for k, v in enumerate(original)}
        self.outputs, self.inner = outputs, inner

    def function(self, inputs: Any, outputs: Any, mode: Any = None) -> Evaluation:
        if [id(v) for v in outputs] != [id(v) for v in self.outputs]:   # the other branch
            return Evaluation(inputs, outputs)
        return Evaluation([self.inner.inputs[self.position[id(v)]] for v in inputs],
                          self.inner.outputs)


class _InnerBisector(_Bisector):
    """``_Bisector`` over an inner graph's compile: after each of its rewrites, the outer
    graph is evaluated with ``node``'s inner graph as the rewrite left it."""

    def __init__(self, outer: _Bisector, node: Apply, graph: InnerGraph, label: str):
        super().__init__(outer.values, outer.rtol, outer.atol)
        self.outer, self.node, self.graph, self.label = outer, node, graph, label

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.fgraph, self.env = fgraph, self.outer.env
        self.current = self.outer.current

    def evaluate(self) -> list[Any]:
        op = self.node.op
        original = getattr(op, "inner_inputs", None) or list(self.graph.outer)
        swap = _Swap(original, self.graph.outputs, self.fgraph)
        _forget(op)   # the function made from the inner graph as it was before this rewrite
        env: dict[Any, Any] = dict(self.env)
        for node in toposort(self.outer.fgraph.outputs):
            cells: list[list[Any]] = [[None] for _ in node.outputs]
            args = [v.data if isinstance(v, Constant) else np.array(env[v], copy=True)
                    for v in node.inputs]
            if node is not self.node:
                node.op.perform(node, args, cells)
            elif hasattr(op, "step_function"):   # Scan's perform takes the step function
                op.perform(node, args, cells, op.step_function(swap))
            else:
                op.perform(node, args, cells, swap)
            env.update({out: cell[0] for out, cell in zip(node.outputs, cells, strict=True)})
        return [v.data if isinstance(v, Constant) else env[v] for v in self.outer.fgraph.outputs]


def _forget(op: Any) -> None:
    """Drop what ``_Swap`` compiled from the op's caches (per key, or (key, branch))."""
    for key in [k for k in op._fns if _Swap.key in (k, k[0] if isinstance(k, tuple) else k)]:
        del op._fns[key]


def _bisect_inside(fgraph: FunctionGraph | None, outer: _Bisector, uids: dict[int, int],
                   optimizer: Any) -> BisectResult | None:
    """The first rewrite of an inner graph's own compile (run with the optimizer it was
    compiled with: the op's own mode's, else the outer function's ``optimizer``) that
    changes the outer outputs."""
    for node in fgraph.toposort() if fgraph is not None else ():
        compiles = _inner_compiles(node, uids, optimizer)
        for (label, _, pipeline, inner), graph in zip(compiles, inner_graphs(node) if compiles
                                                   else [], strict=True):
            bisector = _InnerBisector(outer, node, graph, label)
            try:
                pipeline.apply(inner, listeners=(bisector,), trace=False)
            except _Stop:
                found = bisector.result
                return None if found is None else replace(found, inside=label)
            finally:
                _forget(node.op)
    return None


# -- why_not ------------------------------------------------------------------------------
@dataclass(frozen=True)
class WhyNot:
    """After pass ``after_pass``, rule ``rule`` did not fire on node ``uid`` (``node``):
    ``reason`` in words. ``inside`` names the inner graph (``Scan #12's step``) when the node
    is one of an inner function's, whose compile has its own uids."""

    after_pass: str
    uid: int
    node: str
    reason: str
    inside: str = ""

    def __str__(self) -> str:
        where = f"in {self.inside}, " if self.inside else ""
        return f"{where}after {self.after_pass}: node {self.uid} {self.node}: {self.reason}"


def explain_node(r: Rule | NodeRule, fgraph: FunctionGraph, node: Apply,
                 would: str = "would fire now") -> str:
    """Why ``r`` does not rewrite ``node`` now, in words (``would`` if it does)."""
    if isinstance(r, Rule):
        why = explain(r.pattern, node.outputs[0])
        if why is not None:
            return why
        result = r.apply(fgraph, node)
        if not result:
            return "the pattern matches, but the rule's guard declined (its build returned None)"
        new = result[0] if isinstance(result, list) else None
        if new is not None and conform(node.outputs[0], new) is None:
            return (f"the pattern matches, but the replacement's type {new.type} cannot stand "
                    f"for {node.outputs[0].type}")
        return would
    result = r.apply(fgraph, node)
    if result is None:
        return "the rule's function declined this node (it returned None)"
    return would


class _Asker:
    """After each pass, explain the rule on every node its root could match; a node whose
    reason did not change since the previous pass is not repeated."""

    def __init__(self, rule_name: str, r: Rule | NodeRule):
        self.rule_name, self.rule = rule_name, r
        self.found: list[WhyNot] = []
        self._said: dict[int, str] = {}
        self._own_pass = rule_name.partition("/")[0]
        self._ran = False

    def on_prune(self, node: Apply, reason: str | None) -> None:
        if reason is None:
            return
        if reason == self.rule_name and self.rule.keys is not None \
                and set(self.rule.keys) & set(node_keys(node)):
            said = "the rule fired here"
        elif node.uid in self._said:
            said = f"rewritten away by {reason} first"
        else:
            return
        self.found.append(WhyNot(reason.partition("/")[0], node.uid, str(node.op), said))
        self._said.pop(node.uid, None)

    def on_pass_end(self, pass_name: str, fgraph: FunctionGraph) -> None:
        self._ran = self._ran or pass_name == self._own_pass
        would = ("matches: made by a later pass, after the rule's pass "
                 f"{self._own_pass!r} ran" if self._ran else
                 f"matches: the rule's pass {self._own_pass!r} has not run yet")
        keys = self.rule.keys
        for node in fgraph.toposort():
            if keys is not None and not set(keys) & set(node_keys(node)):
                continue
            reason = explain_node(self.rule, fgraph, node, would)
            if self._said.get(node.uid) != reason:
                self._said[node.uid] = reason
                self.found.append(WhyNot(pass_name, node.uid, str(node.op), reason))


def _rule_of(fn: Function, full_name: str) -> Any:
    """The rule ``pass/rule`` of ``fn``'s own pipeline (a user's pass too), else the
    default pipeline's (a rule that is switched off)."""
    pipeline = resolve(fn.maker.mode.optimizer)
    pass_name, _, name = full_name.partition("/")
    for p in getattr(pipeline, "passes", ()):
        for r in p.rules.rules:
            if p.name == pass_name and r.name == name:
                return r
    return find_rule(full_name)


def why_not(fn: Function, rule_name: str) -> list[WhyNot]:
    """Why rule ``pass/rule`` did not rewrite ``fn``'s graph: after each pass, every node the
    rule could apply to (its pattern's root op), with what stopped it, in words; then the
    same inside each inner graph's own compile (``WhyNot.inside`` names it; its uids are
    that compile's).

    >>> for line in fn.why_not("stabilize/log1p"): print(line)
    after stabilize: node 12 Elemwise{log,no_inplace}: input 0 of log (node 12): expected
    add(...), found Elemwise{sub,no_inplace} (node 9)
    """
    r = _rule_of(fn, rule_name)
    if not isinstance(r, (Rule, NodeRule)):
        raise TypeError(f"why_not: {rule_name!r} is a whole-graph rule; it has no pattern")
    found: list[WhyNot] = []
    if _switched_off(resolve(fn.maker.mode.optimizer), rule_name, r):
        found.append(WhyNot("-", 0, "", f"the rule is switched off in this function's "
                                        f"mode ({fn.maker.mode.optimizer!r})"))
    asker, final = _Asker(rule_name, r), _Final()
    uids = _replay(fn, asker, final)
    found += [WhyNot(w.after_pass, uids.get(w.uid, w.uid), w.node, _renamed(w.reason, uids))
              for w in asker.found]
    return found + _ask_inside(final.fgraph, rule_name, r, uids, fn.maker.mode.optimizer)


def _switched_off(pipeline: Any, rule_name: str, r: Rule | NodeRule) -> bool:
    """``pipeline`` (a Pipeline; None or a user's optimizer: unknown) never runs the rule."""
    if not isinstance(pipeline, Pipeline):
        return False
    pass_name = rule_name.partition("/")[0]
    off = pass_name in pipeline.excluded or rule_name in pipeline.excluded or \
        not any(p.name == pass_name for p in pipeline.passes)
    return off or bool(r.unsafe and not ({rule_name, "unsafe"} & pipeline.unsafe_allowed))


class _Final:
    """Holds the replayed graph: after the pipeline, the one the linker would get."""

    fgraph: FunctionGraph | None = None

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph


def _inner_compiles(node: Apply, uids: dict[int, int], optimizer: Any
                    ) -> list[tuple[str, Any, Any, FunctionGraph]]:
    """Each inner graph of ``node`` the linker compiles (a scan's step, an ifelse branch, an
    OpFromGraph's body): its label (``Scan #12's step``, uid in ``fn.trace``), the optimizer
    its compile ran with (the op's own mode's, else ``optimizer``, the outer function's: as
    InnerCompiler does), that optimizer's pipeline, and a fresh graph of it to run the
    pipeline on (none without rewrites)."""
    graphs: list[InnerGraph] = inner_graphs(node)
    own = getattr(node.op, "mode", None)
    used = get_mode(own).optimizer if own is not None else optimizer
    pipeline = resolve(used) if graphs else None
    inputs = getattr(node.op, "inner_inputs", None)
    found: list[tuple[str, Any, Any, FunctionGraph]] = []
    for graph in graphs if pipeline is not None else ():
        label = f"{type(node.op).__name__} #{uids.get(node.uid, node.uid)}'s {graph.label}"
        ins: Any = inputs if inputs is not None else graph.outer   # Variables all
        outs: Any = graph.outputs
        found.append((label, used, pipeline, FunctionGraph(list(ins), list(outs))))
    return found


def _ask_inside(fgraph: FunctionGraph | None, rule_name: str, r: Rule | NodeRule,
                uids: dict[int, int], optimizer: Any) -> list[WhyNot]:
    """``why_not`` on every inner graph's own compile (and theirs, nested), labelled;
    ``optimizer`` is the one the graph holding them was compiled with."""
    found: list[WhyNot] = []
    compiles = [c for node in (fgraph.toposort() if fgraph is not None else ())
                for c in _inner_compiles(node, uids, optimizer)]
    for label, used, pipeline, inner in compiles:
        if _switched_off(pipeline, rule_name, r):
            found.append(WhyNot("-", 0, "", f"the rule is switched off in the mode this graph "
                                            f"was compiled with ({used!r})", label))
        asker = _Asker(rule_name, r)
        pipeline.apply(inner, listeners=(asker,), trace=False)
        found += [replace(w, inside=label) for w in asker.found]
        found += [replace(w, inside=f"{label} > {w.inside}")
                  for w in _ask_inside(inner, rule_name, r, {}, used)]
    return found


# -- inner graphs of nodes a later rewrite removed -----------------------------------------
class _InnerCollector:
    """Every node with inner graphs the compile has at some point: at the start or added."""

    def __init__(self) -> None:
        self.found: dict[int, Apply] = {}

    def on_attach(self, fgraph: FunctionGraph) -> None:
        for node in fgraph.toposort():
            self.on_import(node, None)

    def on_import(self, node: Apply, reason: str | None) -> None:
        if inner_graphs(node):
            self.found[node.uid] = node


def inner_graph_nodes(fn: Function) -> dict[int, Apply]:
    """Every node of ``fn``'s compile that has inner graphs (a scan, an ifelse, an
    OpFromGraph), in any pass, keyed by its uid in ``fn.trace``: also those a rewrite removed
    before the end (an inlined OpFromGraph). The nodes are the replay's: same ops, other
    uids (``fn.trace``'s records give the uids of their inputs)."""
    collector = _InnerCollector()
    uids = _replay(fn, collector)
    return {uids[u]: node for u, node in collector.found.items() if u in uids}
