"""Stock-widget layout shared by the views: HTML panes and ``Drawings``, one or two graphs
with a zoom toggle (fit width / actual size) and, for a pair, side by side or stacked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as W

from .render import ACTUAL, FIT, svg_size

SIDE, STACKED = "side by side", "stacked"
SIDE_BY_SIDE_PT = 600  # a pair whose drawings are both this narrow starts side by side


def pane(html_text: str = "", width: str = "100%") -> W.HTML:
    """An ``HTML`` widget of the given width (its content is trusted view HTML)."""
    return W.HTML(value=html_text, layout=W.Layout(width=width))


def toggle(options: Sequence[str], value: str, description: str) -> W.ToggleButtons:
    return W.ToggleButtons(options=list(options), value=value, description=description,
                           style={"button_width": "auto"},
                           layout=W.Layout(width="auto", margin="0 16px 0 0"))


def fits_side_by_side(htmls: Sequence[str]) -> bool:
    """Whether drawn graphs are narrow enough to share the width (unknown sizes: no)."""
    sizes = [svg_size(h) for h in htmls]
    return all(s is not None and s[0] <= SIDE_BY_SIDE_PT for s in sizes)


Draw = Callable[[str], Sequence[str]]  # zoom -> the HTML of each pane


class Drawings:
    """One or two drawn graphs under a zoom toggle; a pair also gets a layout toggle.

    ``show(draw)`` sets what is drawn: ``draw(zoom)`` returns one HTML string per pane, and
    is called again whenever the zoom changes (``dot`` output is cached, so that is cheap).

    >>> pair = Drawings(2, side_by_side=False)
    >>> pair.show(lambda zoom: (drawing(a, zoom=zoom), drawing(b, zoom=zoom)))  # doctest: +SKIP
    """

    def __init__(self, count: int = 1, side_by_side: bool = True):
        self.panes = [pane() for _ in range(count)]
        self.zoom = toggle((FIT, ACTUAL), FIT, "zoom")
        self.arrange = toggle((SIDE, STACKED), SIDE if side_by_side else STACKED, "layout")
        self.box = W.Box(self.panes)
        self._draw: Draw = lambda zoom: [""] * count
        self.zoom.observe(lambda change: self.redraw(), names="value")
        self.arrange.observe(lambda change: self._arrange(), names="value")
        self._arrange()
        controls = [self.arrange, self.zoom] if count > 1 else [self.zoom]
        self.widget = W.VBox([W.HBox(controls), self.box], layout=W.Layout(width="100%"))

    def show(self, draw: Draw) -> None:
        self._draw = draw
        self.redraw()

    def redraw(self) -> None:
        for widget, html_text in zip(self.panes, self._draw(self.zoom.value), strict=True):
            widget.value = html_text

    def _arrange(self) -> None:
        side = len(self.panes) > 1 and self.arrange.value == SIDE
        self.box.layout = W.Layout(width="100%", flex_flow="row" if side else "column")
        for widget in self.panes:
            widget.layout = W.Layout(width=f"{100 // len(self.panes)}%" if side else "100%",
                                     min_width="0")
