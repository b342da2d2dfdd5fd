"""The Passes view: a Play button and slider over the trace, one step per pass.

Each step draws the graph before and after side by side (removed nodes red, added green),
lists the rules that fired with the nodes they touched, and diffs the listings. A ``Select``
narrows the highlights to one rewrite event.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from ..compile.rewrite.trace import Trace
from .dot import ADDED, REMOVED, Style
from .static import View, esc, heading, pass_list_html, table
from .steps import Step, pass_steps
from .views import drawing, empty_view, legend

ALL_EVENTS = -1  # the Select's value for "highlight every event of the pass"
PLAY_INTERVAL_MS = 1800


def diff_html(text: str) -> str:
    """A unified diff with removed lines red and added lines green."""
    if not text:
        return "<p><i>The listing did not change.</i></p>"
    colours = {"+": "#166534", "-": "#991b1b", "@": "#6b7280"}
    lines = []
    for line in text.splitlines():
        colour = colours.get(line[:1], "#111827")
        lines.append(f'<span style="color:{colour}">{esc(line)}</span>')
    return ('<pre style="font-size:11px;line-height:1.3;max-height:320px;overflow:auto">'
            + "\n".join(lines) + "</pre>")


def uid_list(uids: tuple[int, ...]) -> str:
    return " ".join(f"#{u}" for u in uids) or "–"


def rules_html(step: Step) -> str:
    """The rules applied in this step, how often each fired, and the nodes it touched."""
    uses = step.rules()
    if not uses:
        return f"<p><i>{esc(step.name)} changed nothing.</i></p>"
    rows = [[f"<code>{esc(u.rule)}</code>", str(u.count), uid_list(u.removed),
             uid_list(u.added)] for u in uses]
    return table(["rule", "fired", "removed", "added"], rows)


def event_options(step: Step) -> list[tuple[str, int]]:
    options = [(f"all {len(step.events)} rewrites of {step.name}", ALL_EVENTS)]
    for k, event in enumerate(step.events):
        options.append((f"{k + 1}. {event.rule}  −{len(event.removed)} +{len(event.added)}",
                        k))
    return options


def step_panes(step: Step, event: int | None) -> tuple[str, str]:
    """HTML of the before and after drawings with this step's (or event's) highlights."""
    removed, added = step.focus(event)
    before = drawing(step.before, Style().highlight(removed, REMOVED, "removed"), max_height=520)
    after = drawing(step.after, Style().highlight(added, ADDED, "added"), max_height=520)
    return (heading(f"before {step.name}") + before, heading(f"after {step.name}") + after)


def view_passes(trace: Trace | None) -> View:
    """Step through a rewrite trace pass by pass (``fn.trace``).

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
    caption = W.HTML()
    listing = W.HTML()
    events = W.Select(rows=5, layout=W.Layout(width="98%"))
    before, after = W.HTML(), W.HTML()
    for pane in (before, after):
        pane.layout = W.Layout(width="50%")
    rules, diff = W.HTML(), W.HTML()
    state = {"busy": False}

    def render(index: int, event: int | None) -> None:
        step = steps[index]
        grey = "" if step.changed else " (changed nothing)"
        caption.value = (f"<b>pass {index + 1}/{len(steps)}: {esc(step.name)}</b>{grey} — "
                         f"{len(step.events)} rewrites")
        listing.value = pass_list_html(steps, current=index)
        before.value, after.value = step_panes(step, event)
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

    events.options = event_options(steps[start])
    events.value = ALL_EVENTS
    render(start, None)
    slider.observe(on_pass, names="value")
    events.observe(on_event, names="value")
    key = legend(("removed", REMOVED), ("added", ADDED))
    controls = W.HBox([play, slider, caption])
    listing.layout = W.Layout(width="55%")
    side = W.VBox([W.HTML(key), events], layout=W.Layout(width="45%"))
    widget = W.VBox([controls, W.HBox([listing, side]),
                     W.HBox([before, after]), rules, diff])
    html_text = heading("Passes") + pass_list_html(steps)
    changed = sum(1 for s in steps if s.changed)
    return View(widget, html_text, f"{len(steps)} passes, {changed} changed the graph")
