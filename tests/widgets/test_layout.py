"""The stock-widget layout: zoom and layout toggles redraw and rearrange the panes."""

from __future__ import annotations

import pytest
from widget_fixtures import END, START

from nbgraph.widgets.drawing import Picture
from nbgraph.widgets.layout import SIDE, STACKED, Drawings, fits_side_by_side, picture_html
from nbgraph.widgets.render import ACTUAL, FIT


def svg(width: float) -> str:
    return f'<svg width="{width}pt" height="10pt"></svg>'


def test_fits_side_by_side_only_when_every_drawing_is_narrow():
    assert fits_side_by_side([svg(300), svg(600)])
    assert not fits_side_by_side([svg(300), svg(601)])
    assert not fits_side_by_side(["<pre>no dot</pre>"])


def test_zoom_toggle_redraws_every_pane_at_the_new_zoom():
    pictures = [Picture(START, caption="a"), Picture(END, caption="b")]
    pair = Drawings(2)
    assert [p.value for p in pair.panes] == ["", ""]
    pair.show(pictures)
    assert [p.value for p in pair.panes] == [picture_html(p, FIT) for p in pictures]
    pair.zoom.value = ACTUAL
    assert [p.value for p in pair.panes] == [picture_html(p, ACTUAL) for p in pictures]
    assert pair.panes[0].value.startswith("<h4") and ">a</h4>" in pair.panes[0].value
    with pytest.raises(ValueError, match="1 pictures for 2 panes"):
        pair.show(pictures[:1])


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
