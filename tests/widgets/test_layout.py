"""The stock-widget layout: zoom and layout toggles redraw and rearrange the panes."""

from __future__ import annotations

from nbgraph.widgets.layout import SIDE, STACKED, Drawings, fits_side_by_side
from nbgraph.widgets.render import ACTUAL, FIT


def svg(width: float) -> str:
    return f'<svg width="{width}pt" height="10pt"></svg>'


def test_fits_side_by_side_only_when_every_drawing_is_narrow():
    assert fits_side_by_side([svg(300), svg(600)])
    assert not fits_side_by_side([svg(300), svg(601)])
    assert not fits_side_by_side(["<pre>no dot</pre>"])


def test_zoom_toggle_redraws_every_pane_at_the_new_zoom():
    calls = []

    def draw(zoom: str) -> list[str]:
        calls.append(zoom)
        return [f"a {zoom}", f"b {zoom}"]

    pair = Drawings(2)
    pair.show(draw)
    assert [p.value for p in pair.panes] == [f"a {FIT}", f"b {FIT}"]
    pair.zoom.value = ACTUAL
    assert [p.value for p in pair.panes] == [f"a {ACTUAL}", f"b {ACTUAL}"]
    assert calls == [FIT, ACTUAL]


def test_layout_toggle_switches_row_and_column():
    pair = Drawings(2, side_by_side=True)
    assert pair.box.layout.flex_flow == "row"
    assert [p.layout.width for p in pair.panes] == ["50%", "50%"]
    pair.arrange.value = STACKED
    assert pair.box.layout.flex_flow == "column"
    assert [p.layout.width for p in pair.panes] == ["100%", "100%"]
    assert Drawings(2, side_by_side=False).arrange.value == STACKED
    assert pair.arrange.options == (SIDE, STACKED)


def test_single_drawing_has_only_the_zoom_toggle():
    one = Drawings(1)
    controls = one.widget.children[0].children
    assert controls == (one.zoom,) and one.box.layout.flex_flow == "column"
