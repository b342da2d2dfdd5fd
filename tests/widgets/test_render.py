"""DOT -> SVG: the real ``dot``, the cache, and the clear error when Graphviz is missing."""

from __future__ import annotations

import shutil

import pytest

from nbgraph.widgets import render
from nbgraph.widgets.render import GraphvizError, GraphvizNotFound, dot_to_svg, svg_or_text

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


@needs_dot
def test_dot_to_svg_returns_bare_svg():
    svg = dot_to_svg('digraph { a -> b [label="x"] }')
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!--" not in svg


@needs_dot
def test_dot_to_svg_caches_by_dot_hash(monkeypatch):
    text = "digraph { cached_once -> b }"
    first = dot_to_svg(text)
    monkeypatch.setattr(render.subprocess, "run", lambda *a, **k: pytest.fail("not cached"))
    assert dot_to_svg(text) is first


@needs_dot
def test_dot_to_svg_reports_bad_dot():
    with pytest.raises(GraphvizError, match="dot -Tsvg failed"):
        dot_to_svg("digraph { a -> }")


def test_missing_dot_raises_one_clear_error(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizNotFound, match="install graphviz"):
        dot_to_svg("digraph { never_rendered_before -> b }")


def test_missing_dot_static_view_falls_back_to_text(monkeypatch):
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    html = svg_or_text("digraph { also_never_rendered -> b }", "%3:float64[?] = exp %1")
    assert "<svg" not in html and "install graphviz" in html
    assert "%3:float64[?] = exp %1" in html
