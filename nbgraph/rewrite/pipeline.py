"""The pipeline is a value: an ordered tuple of named passes (STYLE B5), and its mode subsets.

A new pass appears in ``PIPELINE`` below or it does not run; nothing registers at import.
``Pipeline.apply`` runs the passes over a FunctionGraph and returns the ``Trace``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..config import config
from ..core.fgraph import FunctionGraph
from ..core.source import suspended
from .canonicalize import CANONICALIZE
from .dce import DCE
from .engine import AnyRule, RewriteHistory, RuleSet, run_rules
from .fold import FOLD
from .fuse import FUSE
from .inplace import INPLACE, check_destroyers
from .merge import MERGE
from .scan_pushout import SCAN_PUSHOUT
from .specialize import SPECIALIZE
from .stabilize import STABILIZE
from .subtensor_join import SUBTENSOR_JOIN
from .trace import PassRecord, Snapshot, Trace, TraceListener, snapshot
from .verbose import VerboseListener

UNSAFE = "unsafe"  # ``including("unsafe")`` enables every rule marked unsafe=


@dataclass(frozen=True)
class Pass:
    """A named pass: its rule set, run once or to a fixpoint, inputs-to-outputs or reversed.

    ``check(fgraph)``, if given, is the pass's post-condition: it runs after the rules and
    raises if they left the graph invalid (inplace: no needed value is overwritten).
    """

    name: str
    rules: RuleSet
    fixpoint: bool = False
    reverse: bool = False
    check: Callable[[FunctionGraph], None] | None = None

    def full_names(self) -> list[str]:
        return [f"{self.name}/{r.name}" for r in self.rules.rules]


@dataclass(frozen=True)
class Pipeline:
    """Ordered passes, which rules are switched off, and which unsafe rules are allowed.

    >>> fast = PIPELINE.excluding("fuse_elemwise", "stabilize/log1p")
    >>> fast.apply(fgraph).events()
    """

    passes: tuple[Pass, ...]
    excluded: frozenset[str] = frozenset()
    unsafe_allowed: frozenset[str] = frozenset()
    selected: frozenset[str] | None = None   # only_rules: nothing else runs

    # -- selecting -------------------------------------------------------------------------
    def _known(self, name: str) -> bool:
        return name == UNSAFE or any(
            name == p.name or name in p.full_names() for p in _ALL_PASSES + self.passes)

    def _check(self, names: tuple[str, ...]) -> None:
        unknown = [n for n in names if not self._known(n)]
        if unknown:
            passes = ", ".join(p.name for p in PIPELINE.passes)
            raise ValueError(f"unknown pass or rule {unknown}; passes are {passes}; rules are "
                             f"named 'pass/rule', e.g. 'stabilize/log1p'")

    def only(self, *names: str) -> Pipeline:
        """The passes called ``names``, in pipeline order."""
        self._check(names)
        return replace(self, passes=tuple(p for p in self.passes if p.name in names))

    def only_rules(self, *full_names: str) -> Pipeline:
        """Only the rules ``pass/rule`` given (unsafe ones among them allowed)."""
        self._check(full_names)
        keep = frozenset(full_names)
        passes = tuple(p for p in _ALL_PASSES if keep & set(p.full_names()))
        return Pipeline(passes, frozenset(), keep, keep)

    def including(self, *names: str) -> Pipeline:
        """Switch on passes (placed where the full pipeline has them) or rules.

        An unsafe rule runs only when named itself (``"canonicalize/mul_zero"``) or with
        ``"unsafe"`` (every unsafe rule); including its pass leaves it off.
        """
        self._check(names)
        have = {p.name for p in self.passes}
        wanted = have | {n.split("/")[0] for n in names if n != UNSAFE}
        passes = tuple(p for p in _ALL_PASSES if p.name in wanted)
        passes += tuple(p for p in self.passes if p not in _ALL_PASSES)
        selected = self.selected
        if selected is not None:
            added = {n for n in names if "/" in n}
            for p in passes:
                if p.name in names:
                    added.update(p.full_names())
            selected = selected | added
        allowed = {n for n in names if n == UNSAFE or "/" in n}
        return Pipeline(passes, self.excluded - set(names), self.unsafe_allowed | allowed,
                        selected)

    def excluding(self, *names: str) -> Pipeline:
        """Switch off passes or ``pass/rule`` rules by name."""
        self._check(names)
        return replace(self, excluded=self.excluded | set(names),
                       unsafe_allowed=self.unsafe_allowed - set(names))

    def active_rules(self, p: Pass) -> list[AnyRule]:
        if p.name in self.excluded:
            return []
        rules = []
        for r in p.rules.rules:
            full = f"{p.name}/{r.name}"
            if full in self.excluded or (self.selected is not None
                                         and full not in self.selected):
                continue
            if r.unsafe and not ({full, UNSAFE} & self.unsafe_allowed):
                continue
            rules.append(r)
        return rules

    # -- running -----------------------------------------------------------------------------
    def apply(self, fgraph: FunctionGraph, listeners: tuple[Any, ...] = (),
              trace: bool = True) -> Trace:
        """Run every pass in order over ``fgraph`` (changing it) and return the trace.

        ``trace=False`` skips the snapshots and events (the trace then lists passes only).
        """
        tracer = TraceListener()
        attached = [tracer, *listeners] if trace else list(listeners)
        if config.optimizer_verbose:
            attached.append(VerboseListener())
        for listener in attached:
            fgraph.attach_listener(listener)
        records = []
        empty = Snapshot((), ())
        history = RewriteHistory()
        try:
            current = snapshot(fgraph) if trace else empty
            for p in self.passes:
                rules = self.active_rules(p)
                if not rules:
                    continue
                tracer.events.clear()
                start = time.perf_counter()
                tracer.start()
                with suspended():   # new nodes inherit the sources of those they replace
                    run_rules(fgraph, p.name, rules, fixpoint=p.fixpoint, reverse=p.reverse,
                              history=history)
                if p.check is not None:
                    p.check(fgraph)
                for listener in attached:
                    hook = getattr(listener, "on_pass_end", None)
                    if hook is not None:
                        hook(p.name, fgraph)
                seconds = time.perf_counter() - start
                after = snapshot(fgraph) if trace and tracer.events else current
                records.append(PassRecord(p.name, current, after, tuple(tracer.events),
                                          seconds))
                current = after
        finally:
            for listener in attached:
                fgraph.remove_listener(listener)
        return Trace(tuple(records))

    def __repr__(self) -> str:
        extra = f", excluded={sorted(self.excluded)}" if self.excluded else ""
        return f"Pipeline({', '.join(p.name for p in self.passes)}{extra})"


PIPELINE = Pipeline((
    Pass("merge",         MERGE, fixpoint=True),
    Pass("constant_fold", FOLD, fixpoint=True),
    Pass("canonicalize",  CANONICALIZE, fixpoint=True),
    Pass("scan_pushout",  SCAN_PUSHOUT, fixpoint=True),
    Pass("subtensor_join", SUBTENSOR_JOIN),
    Pass("stabilize",     STABILIZE, fixpoint=True),
    Pass("specialize",    SPECIALIZE, fixpoint=True),
    Pass("fuse_elemwise", FUSE, reverse=True),
    Pass("inplace",       INPLACE, check=check_destroyers),
    Pass("dce",           DCE),
))
_ALL_PASSES = PIPELINE.passes
# stabilize too: without it the gradients of log(1 + exp(x)), log(softmax(x)), ... are nan
# at large |x| in FAST_COMPILE (Theano's FAST_COMPILE had that defect)
FAST_COMPILE = PIPELINE.only("merge", "constant_fold", "stabilize", "dce")
PIPELINES = {"fast_run": PIPELINE, "fast_compile": FAST_COMPILE}


def resolve(optimizer: Any) -> Pipeline | None:
    """The pipeline a mode's ``optimizer`` names: 'fast_run', 'fast_compile', None (no
    rewrites), a pass name ('merge'), a Pipeline, or any object with ``apply(fgraph)``."""
    if optimizer is None or optimizer in ("None", "none", ""):
        return None
    if isinstance(optimizer, str):
        key = optimizer.lower()
        if key in PIPELINES:
            return PIPELINES[key]
        if any(p.name == optimizer for p in _ALL_PASSES):
            return PIPELINE.only(optimizer)
        raise ValueError(f"unknown optimizer {optimizer!r}; use 'fast_run', 'fast_compile', "
                         f"None, a pass name or a Pipeline")
    if hasattr(optimizer, "apply"):
        return optimizer
    raise TypeError(f"optimizer must be a name, None or a Pipeline, not "
                    f"{type(optimizer).__name__}")


def find_rule(full_name: str) -> AnyRule:
    """The rule called ``pass/rule`` in the full pipeline (for its ``doc`` and ``unsafe``:
    the viewer marks unsafe rewrites from this)."""
    pass_name, _, rule_name = full_name.partition("/")
    for p in _ALL_PASSES:
        if p.name == pass_name:
            for r in p.rules.rules:
                if r.name == rule_name:
                    return r
    raise KeyError(f"no rule {full_name!r}; rules are named 'pass/rule'")
