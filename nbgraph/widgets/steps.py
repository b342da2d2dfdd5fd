"""From a rewrite trace to what the Passes view shows at each step (tinygrad's rewrite details).

A step is one pass: its graph before and after, the uids its events removed and added (the
highlights), how often each rule fired and what it touched, and a listing diff.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..core.printing import listing
from ..rewrite.pipeline import find_rule
from ..rewrite.trace import PassRecord, RewriteEvent, Snapshot, Trace

_CONST = re.compile(r"Const\(value=([^)]*)\)")


_RST_ROLE = re.compile(r":\w+:`~?([^`]*)`")  # :func:`log1p` -> log1p


def plain_text(doc: str) -> str:
    """A docstring as one line of plain text: RST roles and ``code`` marks dropped.

    >>> plain_text("Rewrite ``log(1 + x)`` as :func:`log1p`.")
    'Rewrite log(1 + x) as log1p.'
    """
    text = _RST_ROLE.sub(r"\1", doc).replace("``", "").replace("`", "")
    return " ".join(text.split())


@dataclass(frozen=True)
class RuleInfo:
    """What the Passes view says about a rule: its description and, if unsafe, why;
    ``known`` is False for a rule outside the default pipeline (nothing is known of it)."""

    name: str
    description: str
    unsafe: str | None
    known: bool = True


@lru_cache(maxsize=512)
def rule_info(name: str) -> RuleInfo:
    """The rule's ``doc`` (else its pattern) and ``unsafe`` reason, from the full pipeline.

    A rule the pipeline does not know (a user's own pass) still gets a RuleInfo.

    >>> rule_info("canonicalize/div_self").unsafe
    'x == 0 gives nan, not 1'
    """
    try:
        rule = find_rule(name)
    except KeyError:
        return RuleInfo(name, "(not a rule of the default pipeline)", None, known=False)
    doc = plain_text(rule.doc or "")
    pattern = getattr(rule, "pattern", None)
    if not doc and pattern is not None:  # declarative rules without a doc: show what they match
        doc = "matches " + _CONST.sub(r"\1", repr(pattern))
    return RuleInfo(name, doc or "(no description)", rule.unsafe)


@dataclass(frozen=True)
class RuleUse:
    """One rule within one step: how often it fired and the uids it removed and added."""

    rule: str
    count: int
    removed: tuple[int, ...]
    added: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """What the Passes view draws for one pass (or one event of it, see ``focus``)."""

    index: int
    name: str
    before: Snapshot
    after: Snapshot
    events: tuple[RewriteEvent, ...]
    removed: frozenset[int]
    added: frozenset[int]
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.events) or self.before != self.after

    def rules(self) -> list[RuleUse]:
        """Rules in the order they first fired, with counts and touched uids."""
        counts = Counter(e.rule for e in self.events)
        uses = []
        for rule in dict.fromkeys(e.rule for e in self.events):
            mine = [e for e in self.events if e.rule == rule]
            uses.append(RuleUse(rule, counts[rule], _union(e.removed for e in mine),
                                _union(e.added for e in mine)))
        return uses

    def focus(self, event: int | None) -> tuple[frozenset[int], frozenset[int]]:
        """(removed, added) uids to highlight: the whole step, or only event ``event``.

        An event's added node that a later event of the pass replaced is not in the graph
        after the pass; what replaced it (followed to the end of the pass) is shown instead.
        """
        if event is None:
            return self.removed, self.added
        chosen = self.events[event]
        return frozenset(chosen.removed), frozenset(self.survivors(event))

    def survivors(self, event: int) -> list[int]:
        """The uids in the graph after the pass that stand for event ``event``'s added nodes:
        each itself, or (replaced later in the pass) what the later events put there."""
        present = {rec.uid for rec in self.after.nodes}
        found: list[int] = []
        todo = list(self.events[event].added)
        later = self.events[event + 1:]
        seen: set[int] = set()
        while todo:
            uid = todo.pop(0)
            if uid in seen:
                continue
            seen.add(uid)
            if uid in present:
                found.append(uid)
                continue
            replaced = next((e for e in later if uid in e.removed), None)
            todo += list(replaced.added) if replaced is not None else []
        return found

    def replaced_by(self, event: int, uid: int) -> str | None:
        """The rule of the later event of this pass that removed ``uid`` (None if none)."""
        return next((e.rule for e in self.events[event + 1:] if uid in e.removed), None)

    def rewired(self) -> frozenset[int]:
        """Nodes present before and after whose inputs changed (a rewrite re-pointed them)."""
        before = {rec.uid: rec.inputs for rec in self.before.nodes}
        return frozenset(rec.uid for rec in self.after.nodes
                         if rec.uid in before and before[rec.uid] != rec.inputs)

    def diff(self) -> str:
        """Unified diff of the listing before and after (empty when nothing changed)."""
        lines = difflib.unified_diff(listing(self.before).splitlines(),
                                     listing(self.after).splitlines(),
                                     f"before {self.name}", f"after {self.name}",
                                     lineterm="", n=1)
        return "\n".join(lines)


def _union(groups: Iterable[Iterable[int]]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(uid for group in groups for uid in group))


def step_of(index: int, record: PassRecord) -> Step:
    """The step for one pass record. Highlights are exactly the uids its events name."""
    return Step(index, record.name, record.before, record.after, record.events,
                frozenset(u for e in record.events for u in e.removed),
                frozenset(u for e in record.events for u in e.added), record.seconds)


def pass_steps(trace: Trace | None) -> list[Step]:
    """One step per pass, unchanged passes included (the view greys them, never hides)."""
    if trace is None:
        return []
    return [step_of(k, rec) for k, rec in enumerate(trace.passes)]


def step_summary(steps: Sequence[Step]) -> list[tuple[str, int, bool, list[tuple[str, int]]]]:
    """(pass name, events, changed, [(rule, count)]) per pass: the static pass list."""
    return [(s.name, len(s.events), s.changed, [(r.rule, r.count) for r in s.rules()])
            for s in steps]
