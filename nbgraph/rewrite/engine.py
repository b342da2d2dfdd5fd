"""Rules and the one driver that applies them: walk the graph, replace with reason, repeat.

Three kinds of rule, all replacing through ``fgraph.replace_all(..., reason="pass/rule")`` so
the trace cannot tell them apart: declarative ``rule`` (pattern + build), imperative
``node_rule`` (a function of one node) and ``graph_rule`` (a function of the whole graph).
"""

from __future__ import annotations

import inspect
import warnings
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.fgraph import FunctionGraph, can_replace
from ..core.graph import Apply, Constant
from ..core.variable import TensorVariable, as_tensor_variable
from ..ops.math import cast
from .pattern import OpPattern, match, node_keys

Replacement = list[TensorVariable | None] | dict[TensorVariable, TensorVariable] | None


class RewriteLoopError(RuntimeError):
    """A fixpoint pass kept rewriting; the message names the rules that kept firing."""


class RuleConflictWarning(UserWarning):
    """One rule rebuilt what another (or itself) had rewritten away: they undo each other."""


def structure(var: TensorVariable, depth: int = 3) -> Hashable:
    """``var``'s expression down to ``depth`` ops (deeper values by identity): two variables
    with equal structures compute the same thing from the same values."""
    node = var.owner
    if node is None:
        return ("const", var.signature()) if isinstance(var, Constant) else ("in", var.uid)
    if depth == 0:
        return ("var", var.uid)
    return (node.op, var.index, tuple(structure(v, depth - 1) for v in node.inputs))


class RewriteHistory:
    """Which rule rewrote each expression into which, across the passes of one compile, so
    that a rule turning the result back into the original is reported with the rule it undoes
    (``conflicts``; one warning per pair). Rebuilding an expression on the way to a simpler
    one is not a conflict: only a cycle is, ``A -> B`` then ``B -> A`` (or through a few
    more steps, ``A -> B -> C -> A``), and the rules that close it are named."""

    def __init__(self) -> None:
        self.removed_by: dict[Hashable, tuple[str, Hashable]] = {}
        self.conflicts: list[tuple[str, str, int, str]] = []   # (first, second, uid, op)

    def record(self, reason: str, pairs: Sequence[tuple[TensorVariable, TensorVariable]],
               fgraph: FunctionGraph) -> None:
        """Note that rule ``reason`` is about to replace each ``old`` by ``new`` in ``fgraph``
        (call before the replacement)."""
        for old, new in pairs:
            before, after = structure(old), structure(new)
            if before == after:
                if new not in fgraph.variables:   # not a merge: a new node, the same thing
                    self._conflict([reason], reason, old)
                continue
            chain = self._path(after, before)
            if chain:
                self._conflict(chain, reason, old)
            self.removed_by[before] = (reason, after)

    def _path(self, start: Hashable, goal: Hashable, limit: int = 8) -> list[str] | None:
        """The rules that rewrote ``start`` step by step into ``goal``, if they did."""
        rules, key = [], start
        for _ in range(limit):
            step = self.removed_by.get(key)
            if step is None:
                return None
            rules.append(step[0])
            key = step[1]
            if key == goal:
                return rules
        return None

    def _conflict(self, earlier: list[str], second: str, old: TensorVariable) -> None:
        """``earlier`` rules rewrote an expression step by step; ``second`` turns ``old`` back
        into it."""
        node = old.owner
        uid, op = (node.uid, str(node.op)) if node is not None else (old.uid, str(old))
        first = " then ".join(earlier)
        known = {self._rules(a, b) for a, b, _, _ in self.conflicts}
        self.conflicts.append((first, second, uid, op))
        if self._rules(first, second) in known:   # the same cycle, met at another step
            return
        names = [*dict.fromkeys([*earlier, second])]
        who = f"rule {second!r} undoes itself" if names == [second] else \
            "rules " + ", ".join(repr(r) for r in names[:-1]) + f" and {names[-1]!r} undo " \
            "each other"
        warnings.warn(f"{who}: {second!r} rebuilt, at node {uid} ({op}), an expression "
                      f"{first!r} had rewritten away", RuleConflictWarning, stacklevel=2)

    @staticmethod
    def _rules(first: str, second: str) -> frozenset[str]:
        return frozenset([*first.split(" then "), second])

    def describe(self) -> str:
        """Each cycle once: the rules in the order they fired, and where it was first met."""
        first_seen: dict[frozenset[str], str] = {}
        for a, b, uid, op in self.conflicts:
            chain = " then ".join(repr(r) for r in [*a.split(" then "), b])
            first_seen.setdefault(self._rules(a, b), f"{chain} at node {uid} ({op})")
        return "; ".join(first_seen.values())


@dataclass(frozen=True)
class Rule:
    """``pattern -> build(**bindings)``; ``build`` returns a Variable, or None to decline."""

    name: str
    pattern: OpPattern
    build: Callable[..., Any]
    unsafe: str | None = None
    doc: str | None = None
    _accepts: frozenset[str] | None = field(default=None, compare=False, repr=False)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.pattern.key,)

    def apply(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        bindings = match(self.pattern, node.outputs[0])
        if bindings is None:
            return None
        if self._accepts is not None:
            bindings = {k: v for k, v in bindings.items() if k in self._accepts}
        out = self.build(**bindings)
        return None if out is None else [out]


@dataclass(frozen=True)
class NodeRule:
    """An imperative rule ``fn(fgraph, node) -> [new outputs] | {old: new} | None``."""

    name: str
    fn: Callable[[FunctionGraph, Apply], Replacement]
    tracks: tuple[str, ...] | None = None
    unsafe: str | None = None
    doc: str | None = None

    @property
    def keys(self) -> tuple[str, ...] | None:
        return self.tracks

    def apply(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        return self.fn(fgraph, node)


@dataclass(frozen=True)
class GraphRule:
    """A whole-graph rule ``fn(fgraph) -> [(old, new), ...]`` (merge, dce)."""

    name: str
    fn: Callable[[FunctionGraph], Iterable[tuple[TensorVariable, TensorVariable]]]
    unsafe: str | None = None
    doc: str | None = None


AnyRule = Rule | NodeRule | GraphRule


def rule(name: str, pattern: OpPattern, build: Callable[..., Any], *,
         unsafe: str | None = None, doc: str | None = None) -> Rule:
    """A declarative rule: ``rule("log1p", P.log(P.add(1, x)), lambda x: T.log1p(x))``.

    ``unsafe`` says when the rewrite changes values (the default pipeline skips it).
    """
    if not isinstance(pattern, OpPattern):
        raise TypeError(f"rule {name!r}: the pattern's root must be an op (P.<name>(...))")
    params = inspect.signature(build).parameters.values()
    takes_all = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    accepts = None if takes_all else frozenset(p.name for p in params)
    return Rule(name, pattern, build, unsafe, doc or build.__doc__, accepts)


def node_rule(name: str, tracks: Sequence[type | str] | None = None, *,
              unsafe: str | None = None, doc: str | None = None
              ) -> Callable[[Callable], NodeRule]:
    """Decorator making ``fn(fgraph, node)`` an imperative rule run on ``tracks`` op classes
    (class or ``"Elemwise:<row>"`` keys; None: every node). ``doc`` defaults to fn's."""
    keys = None if tracks is None else tuple(
        (t if isinstance(t, str) else t.__name__).lower() for t in tracks)

    def wrap(fn: Callable[[FunctionGraph, Apply], Replacement]) -> NodeRule:
        return NodeRule(name, fn, keys, unsafe, doc or fn.__doc__)

    return wrap


def graph_rule(name: str) -> Callable[[Callable], GraphRule]:
    """Decorator making ``fn(fgraph) -> [(old, new)]`` a whole-graph rule."""
    def wrap(fn: Callable[[FunctionGraph], Iterable[tuple[TensorVariable, TensorVariable]]]
             ) -> GraphRule:
        return GraphRule(name, fn, None, fn.__doc__)

    return wrap


@dataclass(frozen=True)
class RuleSet:
    """The named, ordered rules of one pass."""

    name: str
    rules: tuple[AnyRule, ...]

    def __post_init__(self) -> None:
        names = [r.name for r in self.rules]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"rule set {self.name!r}: rule names repeat: {sorted(dupes)}")


# -- the driver -----------------------------------------------------------------------------
def conform(old: TensorVariable, new: Any) -> TensorVariable | None:
    """``new`` made to stand for ``old``: cast to its dtype; None if the shape cannot fit."""
    new = as_tensor_variable(new)
    if new.type != old.type and getattr(new, "dtype", None) != getattr(old, "dtype", None):
        new = cast(new, old.dtype)
    return new if can_replace(old.type, new.type) else None


def _pairs(node: Apply, result: Replacement) -> list[tuple[TensorVariable, TensorVariable]] | None:
    items: Iterable[tuple[TensorVariable, Any]]
    if isinstance(result, dict):
        items = result.items()
    else:
        outs = list(result or ())
        if len(outs) != len(node.outputs):
            raise ValueError(f"a rule returned {len(outs)} outputs for node {node.uid} "
                             f"({node.op}), which has {len(node.outputs)}")
        items = zip(node.outputs, outs, strict=True)
    pairs = []
    for old, new in items:
        if new is None or new is old:
            continue
        fitted = conform(old, new)
        if fitted is None:
            return None      # the replacement cannot stand in: decline the whole rewrite
        pairs.append((old, fitted))
    return pairs or None


def run_rules(fgraph: FunctionGraph, pass_name: str, rules: Sequence[AnyRule], *,
              fixpoint: bool = False, reverse: bool = False, max_sweeps: int = 50,
              history: RewriteHistory | None = None) -> Counter[str]:
    """Apply ``rules`` over ``fgraph`` (inputs to outputs, or reversed) until nothing fires
    (``fixpoint``) or once. Returns how often each full rule name fired. ``history`` (one per
    compile) names rules that undo each other, within this pass or across passes."""
    history = history if history is not None else RewriteHistory()
    whole = [r for r in rules if isinstance(r, GraphRule)]
    by_key: dict[str, list[Rule | NodeRule]] = {}
    every: list[Rule | NodeRule] = []
    for r in rules:
        if isinstance(r, GraphRule):
            continue
        if r.keys is None:
            every.append(r)
        else:
            for key in r.keys:
                by_key.setdefault(key, []).append(r)
    order = {id(r): k for k, r in enumerate(rules)}
    total: Counter[str] = Counter()
    recent: Counter[str] = Counter()   # the last few sweeps: a cycle may take one rule a sweep
    for sweep in range(max_sweeps):
        fired: Counter[str] = Counter()
        for r in whole:
            reason = f"{pass_name}/{r.name}"
            for old, new in list(r.fn(fgraph)):
                if old in fgraph.variables:
                    history.record(reason, [(old, new)], fgraph)
                    fgraph.replace(old, new, reason=reason)
                    fired[reason] += 1
        nodes = fgraph.toposort()
        for node in reversed(nodes) if reverse else nodes:
            if node not in fgraph.apply_nodes:
                continue
            candidates = list(every)
            for key in node_keys(node):
                candidates.extend(by_key.get(key, ()))
            candidates.sort(key=lambda r: order[id(r)])
            for r in candidates:
                result = r.apply(fgraph, node)
                pairs = None if result is None else _pairs(node, result)
                if pairs:
                    reason = f"{pass_name}/{r.name}"
                    history.record(reason, pairs, fgraph)
                    fgraph.replace_all(pairs, reason=reason)
                    fired[reason] += 1
                    break
        total.update(fired)
        if not fired or not fixpoint:
            return total
        if sweep >= max_sweeps - 5:
            recent.update(fired)
    kept = ", ".join(f"{name} ({n}x)" for name, n in recent.most_common(5))
    undo = f"; rules undoing each other: {history.describe()}" if history.conflicts else ""
    raise RewriteLoopError(f"pass {pass_name!r} still rewriting after {max_sweeps} sweeps; "
                           f"rules that kept firing in the last 5 sweeps: {kept}{undo}")
