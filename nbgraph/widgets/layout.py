"""The last step of every drawing: a ``Picture``'s HTML, and the stock widgets holding it.

``picture_html`` is the whole way from a snapshot to a pane, each step one call in one
direction: ``drawing.graphviz_text`` (marks, heat, folding -> ``core.graphviz.to_dot``), then
``render.svg_or_text`` (``dot`` -> SVG, cached, or the listing without ``dot``). ``Drawings``
shows one or two pictures with a zoom toggle (fit width / actual size) and, for a pair, side
by side or stacked.
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as W  # type: ignore[import-untyped]  # ipywidgets ships no type information

from ..core.printing import listing
from .drawing import Picture, graphviz_text
from .render import FIT, ZOOMS, svg_or_text, svg_size
from .static import THEME_CSS, View, esc, heading

SIDE, STACKED = "side by side", "stacked"
SIDE_BY_SIDE_PT = 600  # a pair whose drawings are both this narrow starts side by side


def picture_html(picture: Picture, zoom: str = FIT) -> str:
    """HTML for one drawn graph at ``zoom`` (``render.FIT`` or ``render.ACTUAL``) under its
    caption; without Graphviz, the snapshot's listing and the install hint instead."""
    body = THEME_CSS + svg_or_text(graphviz_text(picture), listing(picture.snapshot), zoom)
    return heading(picture.caption) + body if picture.caption else body


def pane(html_text: str = "", width: str = "100%") -> W.HTML:
    """An ``HTML`` widget of the given width (its content is trusted view HTML)."""
    return W.HTML(value=html_text, layout=W.Layout(width=width))


def empty_view(title: str, message: str) -> View:
    """A view with nothing to draw: ``message`` in italics under ``title``."""
    body = f"<p><i>{esc(message)}</i></p>"
    return View(W.VBox([pane(body)]), heading(title) + body, f"{title}: {message}")


def toggle(options: Sequence[str], value: str, description: str) -> W.ToggleButtons:
    return W.ToggleButtons(options=list(options), value=value, description=description,
                           style={"button_width": "auto"},
                           layout=W.Layout(width="auto", margin="0 16px 0 0"))


def fits_side_by_side(htmls: Sequence[str]) -> bool:
    """Whether drawn graphs are narrow enough to share the width (unknown sizes: no)."""
    sizes = [svg_size(h) for h in htmls]
    return all(s is not None and s[0] <= SIDE_BY_SIDE_PT for s in sizes)


class Drawings:
    """One or two drawn graphs under a zoom toggle (fit the width, or a scale in a pane that
    scrolls both ways: pan by scrolling); a pair also gets a layout toggle.

    ``show(pictures)`` sets what is drawn, one ``Picture`` per pane; a zoom change draws
    them again with ``picture_html`` (``dot`` output is cached, so that is cheap).

    >>> pair = Drawings(2, side_by_side=False)
    >>> pair.show([Picture(before), Picture(after)])  # doctest: +SKIP
    """

    def __init__(self, count: int = 1, side_by_side: bool = True):
        self.panes = [pane() for _ in range(count)]
        self.pictures: tuple[Picture, ...] = ()
        self.zoom = toggle(ZOOMS, FIT, "zoom")
        self.arrange = toggle((SIDE, STACKED), SIDE if side_by_side else STACKED, "layout")
        self.box = W.Box(self.panes)
        self.zoom.observe(lambda change: self.redraw(), names="value")
        self.arrange.observe(lambda change: self._arrange(), names="value")
        self._arrange()
        controls = [self.arrange, self.zoom] if count > 1 else [self.zoom]
        self.widget = W.VBox([W.HBox(controls), self.box], layout=W.Layout(width="100%"))

    def show(self, pictures: Sequence[Picture]) -> None:
        if len(pictures) != len(self.panes):
            raise ValueError(f"Drawings: {len(pictures)} pictures for {len(self.panes)} panes")
        self.pictures = tuple(pictures)
        self.redraw()

    def redraw(self) -> None:
        # before the first show() there are no pictures and the panes stay empty
        for widget, picture in zip(self.panes, self.pictures, strict=False):
            widget.value = picture_html(picture, self.zoom.value)

    def _arrange(self) -> None:
        side = len(self.panes) > 1 and self.arrange.value == SIDE
        self.box.layout = W.Layout(width="100%", flex_flow="row" if side else "column")
        for widget in self.panes:
            widget.layout = W.Layout(width=f"{100 // len(self.panes)}%" if side else "100%",
                                     min_width="0")
