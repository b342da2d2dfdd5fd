"""The why-not panel of the Passes tab: pick a rule, see where its pattern partly matched.

``replay.why_not`` explains the rule after each pass on every node its pattern's root op
matches (the op that differed, a guard that declined, a pass not run yet). The panel keeps,
per pass, what holds after it: each node's latest reason until a rewrite removes the node.
The drawing of the pass marks those nodes (the reason in their tooltips) and the panel's
table says what stopped the rule on each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as W  # type: ignore[import-untyped]  # ipywidgets ships no type information

from ..compile.replay import WhyNot, why_not
from ..rewrite.engine import NodeRule, Rule
from ..rewrite.pipeline import resolve
from .chips import node_chips
from .layout import pane
from .static import esc, legend, table
from .steps import Step

WHY_NOT = ("#fde68a", "#b45309")  # (fill, border): the rule's pattern partly matched here
PICK = ""  # the dropdown's value while no rule is picked
ROWS = 30  # table rows per pass (a rule without a root op, merge_nodes, explains every node)
HINT = ("<i>Pick a rule to see, pass by pass, the nodes where its pattern partly matched "
        "and what stopped it.</i>")


def rule_names(fn: Any) -> list[str]:
    """``pass/rule`` for every pattern rule of ``fn``'s pipeline, in pipeline order."""
    pipeline = resolve(fn.maker.mode.optimizer)
    return [f"{p.name}/{r.name}" for p in getattr(pipeline, "passes", ())
            for r in p.rules.rules if isinstance(r, (Rule, NodeRule))]


def rule_options(fn: Any) -> list[tuple[str, str]]:
    """The dropdown's (label, rule) pairs: each rule, with how often it fired here."""
    fired = Counter(e.rule for e in fn.trace.events()) if fn.trace is not None else Counter()
    return [(f"{name}  (fired ×{fired[name]})" if fired[name] else name, name)
            for name in rule_names(fn)]


@dataclass(frozen=True)
class PassAnswers:
    """One pass: the nodes present after it that the rule partly matched (uid -> reason),
    and the answers about nodes gone by its end (the rule fired, another rule came first)."""

    present: dict[int, str]
    gone: tuple[WhyNot, ...]


def per_pass(answers: Sequence[WhyNot], steps: Sequence[Step]) -> list[PassAnswers]:
    """``why_not``'s answers (each given once, when it changes) as the state after each
    step: a node's reason holds until a later answer or until the node is gone."""
    state: dict[int, str] = {}
    found = []
    for step in steps:
        present = {rec.uid for rec in step.after.nodes}
        gone = []
        for answer in answers:
            if answer.after_pass != step.name:
                continue
            if answer.uid in present:
                state[answer.uid] = answer.reason
            else:
                gone.append(answer)
        state = {uid: why for uid, why in state.items() if uid in present}
        found.append(PassAnswers(dict(state), tuple(gone)))
    return found


class WhyNotPanel:
    """A rule dropdown and what stopped that rule in the pass shown (``show(index)``);
    ``marks(index)`` are the nodes to mark in that pass's drawing. ``redraw`` is called after
    a new rule is picked (the Passes view draws the current pass again)."""

    def __init__(self, fn: Any, steps: Sequence[Step], redraw: Callable[[], None]):
        self.fn, self.steps, self.redraw = fn, steps, redraw
        self.answers: list[PassAnswers] = []
        self.note = ""
        self.rule = W.Dropdown(options=[("pick a rule", PICK), *rule_options(fn)],
                               value=PICK, description="why not",
                               style={"description_width": "auto"},
                               layout=W.Layout(width="auto"))
        self.text = pane(HINT)
        self.rule.observe(lambda change: self.ask(change["new"]), names="value")
        self.widget = W.VBox([self.rule, self.text])

    def ask(self, rule: str) -> None:
        """Run ``why_not`` for ``rule`` (PICK: clear) and draw the current pass again."""
        self.answers, self.note = [], ""
        if rule != PICK:
            self.text.value = f"<i>replaying the compile to explain {esc(rule)}…</i>"
            try:
                found = why_not(self.fn, rule)
            except (KeyError, TypeError, ValueError) as err:
                found, self.note = [], str(err)
            self.note = self.note or "; ".join(w.reason for w in found if w.after_pass == "-")
            self.answers = per_pass([w for w in found if w.after_pass != "-"
                                     and not w.inside], self.steps)   # the outer graph's
        self.redraw()

    def marks(self, index: int) -> dict[int, str]:
        return self.answers[index].present if self.answers else {}

    def show(self, index: int) -> None:
        self.text.value = self.html(index)

    def html(self, index: int) -> str:
        """The chosen rule after pass ``index``: a row per node it partly matched (a chip as
        drawn, and the reason), then the nodes gone in this pass, then every pass's count."""
        if self.rule.value == PICK:
            return HINT
        note = f"<div><b>{esc(self.note)}</b></div>" if self.note else ""
        if not self.answers:
            return note or "<i>no answer</i>"
        step, here = self.steps[index], self.answers[index]
        rows = [[node_chips([uid], step.after, WHY_NOT), esc(why)]
                for uid, why in here.present.items()]
        rows += [[node_chips([w.uid], step.before, ("#f3f4f6", "#9ca3af")), esc(w.reason)]
                 for w in here.gone]
        where = f"<code>{esc(self.rule.value)}</code> after pass {index + 1} ({esc(step.name)})"
        if rows:
            more = f"<div><i>… and {len(rows) - ROWS} more</i></div>" if len(rows) > ROWS else ""
            count = len(here.present)
            body = (f"{legend(('partly matched', WHY_NOT))}<div>{where}: {count} node"
                    f"{'' if count == 1 else 's'} partly matched</div>"
                    + table(["node", "what stopped the rule"], rows[:ROWS]) + more)
        else:
            body = f"<div>{where}: <i>no node has the rule's root op</i></div>"
        counts = " · ".join(f"{k + 1}. {esc(s.name)}: {len(a.present)}"
                            + (f" (+{len(a.gone)} gone)" if a.gone else "")
                            for k, (s, a) in enumerate(zip(self.steps, self.answers,
                                                           strict=True)))
        return (f'<div style="font-size:12px">{note}{body}'
                f'<div style="opacity:0.8;margin-top:2px">per pass: {counts}</div></div>')
