"""DOT -> SVG: the real ``dot`` (through ``printing.run_dot``), the cache, and the clear error
when Graphviz is missing."""

from __future__ import annotations

import shutil

import pytest

from nbgraph import printing
from nbgraph.core import pydotprint as pydotprint_module
from nbgraph.printing import GraphvizError, GraphvizNotFound
from nbgraph.widgets import render
from nbgraph.widgets.render import (
    ACTUAL,
    FIT,
    MAX_ZOOM,
    MIN_ZOOM,
    ZOOMS,
    dot_to_svg,
    svg_block,
    svg_or_text,
    svg_size,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def test_one_dot_runner_and_one_error_family():
    assert render.run_dot is printing.run_dot
    assert issubclass(GraphvizNotFound, GraphvizError)
    assert render.GraphvizError is GraphvizError


@needs_dot
def test_dot_to_svg_returns_bare_svg():
    svg = dot_to_svg('digraph { a -> b [label="x"] }')
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!--" not in svg


@needs_dot
def test_dot_to_svg_caches_by_dot_hash(monkeypatch):
    text = "digraph { cached_once -> b }"
    first = dot_to_svg(text)
    monkeypatch.setattr(render, "run_dot", lambda *a, **k: pytest.fail("not cached"))
    assert dot_to_svg(text) is first


@needs_dot
def test_dot_to_svg_reports_bad_dot():
    with pytest.raises(GraphvizError, match="dot -Tsvg` failed"):
        dot_to_svg("digraph { a -> }")


def test_missing_dot_raises_one_clear_error(monkeypatch):
    monkeypatch.setattr(pydotprint_module.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFound, match="install graphviz"):
        dot_to_svg("digraph { never_rendered_before -> b }")


def test_missing_dot_static_view_falls_back_to_text(monkeypatch):
    monkeypatch.setattr(pydotprint_module.shutil, "which", lambda name: None)
    html = svg_or_text("digraph { also_never_rendered -> b }", "%3:float64[?] = exp %1")
    assert "<svg" not in html and "install graphviz" in html
    assert "%3:float64[?] = exp %1" in html


SVG = '<svg width="800pt" height="300pt" viewBox="0 0 800 300"><g id="n1"></g></svg>'


def test_svg_size_reads_points():
    assert svg_size(SVG) == (800.0, 300.0)
    assert svg_size("<svg></svg>") is None


def test_fit_zoom_fills_width_between_min_and_max_zoom():
    block = svg_block(SVG, FIT)
    assert "width:100%" in block and "height:auto" in block
    assert f"min-width:{800 * MIN_ZOOM:.0f}pt" in block
    assert f"max-width:{800 * MAX_ZOOM:.0f}pt" in block
    assert "max-height" not in block  # the page scrolls a tall graph, not a pane
    assert block.count("<svg ") == 1 and '<g id="n1">' in block
    assert block.startswith('<div class="nbgraph-svg" style="width:0;min-width:100%;')


def test_actual_zoom_keeps_natural_size_and_scrolls():
    block = svg_block(SVG, ACTUAL)
    assert '<svg style="display:block;max-width:none;width:800pt;height:300pt;"' in block
    assert "overflow:auto" in block and "max-height" in block


def test_percent_zoom_scales_the_actual_size_in_a_pane_that_pans():
    assert "50%" in ZOOMS and "200%" in ZOOMS
    half = svg_block(SVG, "50%")
    assert "width:400pt;height:150pt;" in half and "overflow:auto" in half
    assert "width:1600pt;height:600pt;" in svg_block(SVG, "200%")


def test_a_drawing_too_wide_to_fit_says_it_scrolls():
    assert "nbgraph-wide" not in svg_block(SVG, FIT)  # 800pt at 0.8x fits
    wide = SVG.replace('width="800pt"', 'width="1200pt"')
    assert svg_size(wide) == (1200.0, 300.0)
    block = svg_block(wide, FIT)
    assert block.startswith('<div class="nbgraph-wide"') and "scroll sideways" in block
    assert "nbgraph-wide" not in svg_block(wide, "50%")  # a fixed zoom pans in its pane
