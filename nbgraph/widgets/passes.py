"""The Passes view: a Play button and slider over the trace, one step per pass.

Each step draws the graph before and after (removed nodes red, added green, the rest greyed),
lists the rules that fired with the nodes they touched, and diffs the listings. A ``Select``
narrows the highlights to one rewrite event; next to it a card names that event's rule, its
description, whether it is unsafe, and the nodes it removed and added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import ipywidgets as W  # type: ignore[import-untyped]  # ipywidgets ships no type information

from ..core.graph import Apply
from ..rewrite.trace import Trace
from .bisect_button import BisectButton
from .chips import node_chips
from .drawing import ADDED, DIMMED, REMOVED, REWIRED, Picture, Style, has_gradient
from .inner import expand_inner
from .layout import Drawings, empty_view, fits_side_by_side, pane, picture_html
from .pass_inner import InnerNodes
from .static import (
    LIGHT_BLOCK,
    UNSAFE_BADGE,
    View,
    esc,
    heading,
    legend,
    pass_list_html,
    rule_name,
    table,
)
from .steps import Step, pass_steps, rule_info
from .why_not_panel import WHY_NOT, WhyNotPanel

ALL_EVENTS = -1  # the Select's value for "highlight every event of the pass"
PLAY_INTERVAL_MS = 1800
CARD = ('<div class="nbgraph-event" style="font-size:12px;font-family:Helvetica,Arial,'
        'sans-serif;border:1px solid var(--jp-border-color2,#e5e7eb);border-radius:4px;'
        'padding:4px 8px;margin-top:4px;'
        'box-sizing:border-box;max-width:100%;overflow-wrap:anywhere">')  # long names wrap


def diff_html(text: str) -> str:
    """A unified diff with removed lines red and added lines green."""
    if not text:
        return "<p><i>The listing did not change.</i></p>"
    colours = {"+": "#166534", "-": "#991b1b", "@": "#6b7280"}
    lines = []
    for line in text.splitlines():
        colour = colours.get(line[:1], "#111827")
        lines.append(f'<span style="color:{colour}">{esc(line)}</span>')
    # a light block in either theme: the diff colours are made for a light background
    return ('<pre style="font-size:11px;line-height:1.3;max-height:320px;overflow:auto;'
            f'{LIGHT_BLOCK}">' + "\n".join(lines) + "</pre>")


def rules_html(step: Step) -> str:
    """The rules applied in this step, how often each fired, and the nodes it touched.

    Hovering a rule's name shows its description; unsafe rules carry a red badge.
    """
    uses = step.rules()
    if not uses:
        return f"<p><i>{esc(step.name)} changed nothing.</i></p>"
    rows = [[rule_name(u.rule), str(u.count), node_chips(u.removed, None, REMOVED),
             node_chips(u.added, None, ADDED)] for u in uses]
    return table(["rule", "fired", "removed", "added"], rows)


def event_html(step: Step, event: int | None) -> str:
    """The card next to the event list: the chosen rewrite's rule, its description, whether
    it is unsafe, and the nodes it removed and added (or, for the whole pass, each rule)."""
    if not step.events:
        return f"{CARD}<i>{esc(step.name)} changed nothing.</i></div>"
    if event is None:
        lines = []
        for use in step.rules():
            info = rule_info(use.rule)
            lines.append(f"<div>{rule_name(use.rule)} ×{use.count}: {esc(info.description)}"
                         "</div>")
        return (f"{CARD}<div><b>{rewrites(len(step.events))}</b> in {esc(step.name)}; pick one "
                f"above to see only its nodes.</div>{''.join(lines)}</div>")
    chosen = step.events[event]
    info = rule_info(chosen.rule)
    safety = (UNSAFE_BADGE.format(why=esc(info.unsafe)) + f" {esc(info.unsafe)}"
              if info.unsafe else '<span class="nbgraph-safe">safe: values unchanged</span>'
              if info.known else "<i>whether it keeps values is not known</i>")
    return (f"{CARD}<div><b>rewrite {event + 1} of {len(step.events)}:</b> "
            f"<code>{esc(chosen.rule)}</code></div>"
            f"<div>{safety}</div>"
            f'<div style="margin:2px 0;opacity:0.85">{esc(info.description)}</div>'
            f"<div>removed: {node_chips(chosen.removed, step.before, REMOVED)}</div>"
            f"<div>added: {added_html(step, event)}</div></div>")


def added_html(step: Step, event: int) -> str:
    """The chosen event's added nodes: chips for those still there after the pass; for one
    a later rewrite of the pass replaced, which rule did and what stands for it now."""
    present = {rec.uid for rec in step.after.nodes}
    parts = []
    for uid in step.events[event].added:
        if uid in present:
            parts.append(node_chips([uid], step.after, ADDED))
            continue
        rule = step.replaced_by(event, uid)
        parts.append(f"#{uid} <i>(replaced later in this pass by <code>{esc(rule)}</code>)"
                     "</i>" if rule else f"#{uid} <i>(dropped later in this pass)</i>")
    now = [u for u in step.survivors(event) if u not in step.events[event].added]
    if now:
        parts.append("; now shown as " + node_chips(now, step.after, ADDED))
    return " ".join(parts) or "–"


def rewrites(count: int) -> str:
    return f"{count} rewrite" + ("" if count == 1 else "s")


def event_options(step: Step) -> list[tuple[str, int]]:
    every = "the one rewrite" if len(step.events) == 1 else f"all {len(step.events)} rewrites"
    options = [(f"{every} of {step.name}", ALL_EVENTS)]
    for k, event in enumerate(step.events):
        unsafe = "  ⚠ unsafe" if rule_info(event.rule).unsafe else ""
        options.append((f"{k + 1}. {event.rule}  −{len(event.removed)} +{len(event.added)}"
                        f"{unsafe}", k))
    return options


def step_pictures(step: Step, event: int | None, inner: InnerNodes | None = None,
                  why: Mapping[int, str] | None = None) -> tuple[Picture, Picture]:
    """The before and after drawings with this step's (or event's) highlights; the nodes the
    step did not touch are greyed so the highlighted ones stand out. A scan, ifelse or
    OpFromGraph that ``inner`` knows is drawn with its inner graph opened; ``why`` (uid ->
    reason) marks the nodes a why-not rule partly matched after the step."""
    removed, added = step.focus(event)
    before = Style(dim=True).highlight(removed, REMOVED, "removed", note="− removed")
    after = Style(dim=True)
    if event is None:  # nodes a rewrite re-pointed to new inputs (their inputs changed)
        after.highlight(step.rewired() - added, REWIRED, "rewired", note="↻ new inputs")
    after.highlight(added, ADDED, "added", note="+ added")
    for uid, reason in (why or {}).items():
        after.highlight([uid], WHY_NOT, "whynot", note="? partly matched")
        after.tooltip[uid] = f"why not: {reason}"
    pictures = []
    for snap, style, label in ((step.before, before, "before"), (step.after, after, "after")):
        opened, clusters = expand_inner(snap, inner.for_snapshot(snap) if inner else ())
        pictures.append(Picture(opened, replace(style, clusters=tuple(clusters),
                                                narrow=has_gradient(snap)),
                                caption=f"{label} {step.name}"))
    return pictures[0], pictures[1]


def view_passes(trace: Trace | None, nodes: Sequence[Apply] = (), fn: Any = None,
                inputs: Callable[[], Sequence[Any]] | Sequence[Any] | None = None) -> View:
    """Step through a rewrite trace pass by pass (``fn.trace``); ``nodes`` (the compiled
    graph's) let scan, ifelse and OpFromGraph records open their inner graphs.

    With ``fn`` (the compiled Function), records of such nodes that a rewrite removed open
    too (one replay of the compile), and a why-not panel explains a picked rule pass by pass;
    with ``inputs`` (values, or a function giving them) a bisect button finds the first
    rewrite that changed an output and moves the view to it.

    ``view.parts`` names the controls: ``slider`` (the pass), ``events`` (the rewrite),
    ``drawings`` (a ``layout.Drawings``), ``event`` (the card), ``rules``, ``diff``, and with
    ``fn`` ``why_not`` (a ``WhyNotPanel``) and ``bisect`` (a ``BisectButton``, with inputs).

    >>> f = nbgraph.function([x], T.log(1 + T.exp(x)))
    >>> view_passes(f.trace)   # doctest: +SKIP
    """
    steps = pass_steps(trace)
    if not steps:
        return empty_view("Passes", "no rewrite trace (this function ran no rewrites)")
    start = next((s.index for s in steps if s.changed), 0)
    last = len(steps) - 1
    play = W.Play(value=start, min=0, max=last, interval=PLAY_INTERVAL_MS, description="play")
    slider = W.IntSlider(value=start, min=0, max=last, description="pass", readout=False,
                         continuous_update=False)
    W.jslink((play, "value"), (slider, "value"))
    caption, listing, card, rules, diff = (pane() for _ in range(5))
    events = W.Select(rows=6, layout=W.Layout(width="98%"))
    inner = InnerNodes(nodes, fn)
    opening = step_pictures(steps[start], None, inner)  # the pass the widget opens on, drawn
    drawings = Drawings(2, side_by_side=fits_side_by_side([picture_html(p) for p in opening]))
    state = {"busy": False}
    tools: list[Any] = []

    def current_event() -> int | None:
        return None if events.value in (ALL_EVENTS, None) else events.value

    why = WhyNotPanel(fn, steps, lambda: render(slider.value, current_event())) \
        if fn is not None else None

    def render(index: int, event: int | None) -> None:
        step = steps[index]
        grey = "" if step.changed else " (changed nothing)"
        caption.value = (f"<b>pass {index + 1}/{len(steps)}: {esc(step.name)}</b>{grey} — "
                         f"{rewrites(len(step.events))}")
        listing.value = pass_list_html(steps, current=index)
        card.value = event_html(step, event)
        if why is not None:
            why.show(index)
        drawings.show(step_pictures(step, event, inner, why.marks(index) if why else None))
        rules.value = rules_html(step)
        diff.value = heading("listing diff") + diff_html(step.diff())

    def on_pass(change: dict[str, Any]) -> None:
        state["busy"] = True
        events.options = event_options(steps[change["new"]])
        events.value = ALL_EVENTS
        state["busy"] = False
        render(change["new"], None)

    def on_event(change: dict[str, Any]) -> None:
        if not state["busy"] and change["new"] is not None:
            render(slider.value, None if change["new"] == ALL_EVENTS else change["new"])

    def goto(index: int, event: int) -> None:   # the bisect button's jump
        if slider.value != index:
            slider.value = index          # on_pass: the pass, every event
        events.value = event              # on_event: the one rewrite

    events.options = event_options(steps[start])
    events.value = ALL_EVENTS
    render(start, None)
    slider.observe(on_pass, names="value")
    events.observe(on_event, names="value")
    found = BisectButton(fn, inputs, steps, goto) if fn is not None and inputs is not None \
        else None
    if why is not None:
        tools.append(W.VBox([W.HBox([why.rule] + ([found.button] if found else [])),
                             *([found.result] if found else []), why.text]))
    key = legend(("removed", REMOVED), ("added", ADDED), ("new inputs", REWIRED),
                 ("untouched", (DIMMED[2], DIMMED[0])))
    caption.layout = W.Layout(width="auto")
    listing.layout = W.Layout(width="55%")
    card.layout = W.Layout(width="auto")  # 100% plus the widget's margin overflowed the column
    side = W.VBox([pane(key), events, card], layout=W.Layout(width="45%"))
    widget = W.VBox([W.HBox([play, slider, caption]), W.HBox([listing, side]), *tools,
                     drawings.widget, rules, diff])
    table_html = heading("Passes") + pass_list_html(steps) + key
    html_text = table_html + "".join(picture_html(picture) for picture in opening)
    summary = table_html + picture_html(opening[1])  # in %%symgraph: the graph after it
    changed = sum(1 for s in steps if s.changed)
    parts = {"play": play, "slider": slider, "events": events, "event": card,
             "drawings": drawings, "rules": rules, "diff": diff, "listing": listing,
             "why_not": why, "bisect": found}
    text = f"{len(steps)} passes, {changed} changed the graph"
    return View(widget, html_text, text, parts, plain=text + "\n" + pass_list_text(steps),
                summary=summary)


def pass_list_text(steps: list[Step]) -> str:
    """The pass table as text (what nbval compares): one line per pass."""
    lines = []
    for step in steps:
        rules = ", ".join(f"{r.rule} x{r.count}" for r in step.rules()) or "no change"
        lines.append(f"{step.index + 1}. {step.name}: {rewrites(len(step.events))}: {rules}")
    return "\n".join(lines)
