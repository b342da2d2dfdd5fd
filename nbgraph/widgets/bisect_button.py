"""The bisect button of the Passes tab: which rewrite changed the value, on the cell's inputs.

``replay.bisect`` replays the compile, evaluating after every rewrite; the button then moves
the Passes view to that rewrite (its pass on the slider, the event picked, so the drawing
marks what it removed and added) and shows the output before and after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W  # type: ignore[import-untyped]  # ipywidgets ships no type information
import numpy as np

from ..compile.replay import BisectResult, bisect
from .layout import pane
from .static import LIGHT_BLOCK, esc
from .steps import Step

NONE_FOUND = "no rewrite changed the value beyond tolerance"
RTOL, ATOL = 1e-5, 1e-8  # replay.bisect's defaults, said in the answer


def locate(steps: Sequence[Step], event: int) -> tuple[int, int]:
    """(step index, event index within it) of event ``event`` of the whole trace."""
    for step in steps:
        if event < len(step.events):
            return step.index, event
        event -= len(step.events)
    raise IndexError("bisect: the event is past the trace's last pass")


def value_html(value: Any) -> str:
    """A value short enough to read (NumPy's summary of big arrays), on a light block."""
    text = np.array2string(np.asarray(value), threshold=24, edgeitems=3, precision=6)
    return f'<pre style="font-size:11px;margin:2px 0;{LIGHT_BLOCK}">{esc(text)}</pre>'


def inputs_text(names: Sequence[str | None], values: Sequence[Any]) -> str:
    return ", ".join(f"{name or f'#{k}'}: {np.asarray(v).dtype}{list(np.shape(v))}"
                     for k, (name, v) in enumerate(zip(names, values, strict=True)))


class BisectButton:
    """A button that bisects ``fn``'s rewrites on ``inputs`` (values, or a function giving
    them) and calls ``goto(step, event)`` to show the rewrite it found."""

    def __init__(self, fn: Any, inputs: Callable[[], Sequence[Any]] | Sequence[Any],
                 steps: Sequence[Step], goto: Callable[[int, int], None]):
        self.fn, self.inputs, self.steps, self.goto = fn, inputs, steps, goto
        self.found: BisectResult | None = None
        self.button = W.Button(description="bisect", icon="search",
                               tooltip="replay the rewrites on the cell's inputs and find the "
                                       "first one that changed an output")
        self.result = pane()
        self.button.on_click(lambda _: self.run())

    def run(self) -> BisectResult | None:
        values = list(self.inputs() if callable(self.inputs) else self.inputs)
        shown = inputs_text(self.fn.input_names, values)
        self.result.value = "<i>bisecting…</i>"
        try:
            self.found = bisect(self.fn, *values, rtol=RTOL, atol=ATOL)
        except Exception as err:  # noqa: BLE001  (a rewrite may break evaluation: say so)
            self.found = None
            self.result.value = (f"<div><b>bisect failed</b> on {esc(shown)}: "
                                 f"{esc(type(err).__name__)}: {esc(err)}</div>")
            return None
        found = self.found
        if found is None:
            self.result.value = (f"<div><b>bisect:</b> <i>{NONE_FOUND}</i> (rtol {RTOL:g}, "
                                 f"atol {ATOL:g}, on {esc(shown)}).</div>")
            return None
        if found.inside:   # an inner graph's own compile: not an event of this trace
            where = f"in {esc(found.inside)}, rewrite {found.event + 1} of its compile"
        else:
            index, event = locate(self.steps, found.event)
            self.goto(index, event)
            where = f"rewrite {event + 1} of pass {index + 1} ({esc(self.steps[index].name)})"
        self.result.value = (
            f'<div style="font-size:12px"><b>{where}</b>, <code>{esc(found.rule)}</code>, changed '
            f"output {found.output}: {esc(found.difference)} (on {esc(shown)})"
            f"<div>before:</div>{value_html(found.before)}"
            f"<div>after:</div>{value_html(found.after)}</div>")
        return found
