"""The third step of every drawing: DOT text -> SVG, sized for its pane.

``dot_to_svg`` runs ``core.pydotprint.run_dot`` once per new drawing, cached by hash. Without
``dot`` that raises ``GraphvizNotFound``; ``svg_or_text`` turns it into the listing-style text
fallback the static views show instead. Nothing here knows about snapshots or styles.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import OrderedDict

from ..core.pydotprint import GraphvizError, run_dot

DOT_TIMEOUT = 30.0  # seconds; a layout that takes longer is a bug to report, not to wait on
CACHE_SIZE = 256

_cache: OrderedDict[str, str] = OrderedDict()
_XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)


def dot_to_svg(dot_text: str, timeout: float = DOT_TIMEOUT) -> str:
    """The ``<svg>`` element ``dot -Tsvg`` makes of ``dot_text`` (no XML prologue), cached.

    >>> dot_to_svg('digraph { a -> b }').startswith('<svg')  # doctest: +SKIP
    True
    """
    key = hashlib.sha1(dot_text.encode()).hexdigest()
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    svg = compact_svg(_XML_PROLOGUE.sub("", run_dot(dot_text, "svg", timeout).decode()))
    _cache[key] = svg
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return svg


_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)
_TITLE = re.compile(r"<title>[^<]*</title>\n?")
_GEOMETRY = re.compile(r'( (?:x|y|cx|cy|rx|ry|points|d|transform|viewBox|width|height)=")([^"]*)"')
_DECIMAL = re.compile(r"-?\d+\.\d+")
_FONT = ' font-family="Helvetica,sans-Serif"'  # THEME_CSS sets it once for every drawing


def _whole_points(found: re.Match[str]) -> str:
    numbers = _DECIMAL.sub(lambda m: str(round(float(m.group(0)))), found.group(2))
    return f'{found.group(1)}{numbers}"'


def compact_svg(svg: str) -> str:
    """``dot``'s SVG, much smaller, drawn the same: no comments (they carry the Graphviz
    version: the output stays the same on every machine), no ``<title>``s (every node has
    its tooltip), geometry in whole points, no font family on each text.

    >>> compact_svg('<svg><!-- x --><title>n1</title><text x="1.75" '
    ...             'font-family="Helvetica,sans-Serif">0.25</text></svg>')
    '<svg><text x="2">0.25</text></svg>'
    """
    svg = _TITLE.sub("", _COMMENT.sub("", svg))
    return _GEOMETRY.sub(_whole_points, svg).replace(_FONT, "")


FIT, ACTUAL = "fit width", "actual size"  # the two main zooms of every drawn graph
ZOOMS = (FIT, "50%", "75%", ACTUAL, "150%", "200%")  # the others scale the actual size
MIN_ZOOM, MAX_ZOOM = 0.8, 1.0  # fitting never shrinks labels below 0.8x nor blows them up
ACTUAL_MAX_HEIGHT = 720  # px; at actual size the pane scrolls both ways below this
WIDE_PT = 900  # a drawing wider than this at MIN_ZOOM overflows a notebook's width: say so
_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')


def svg_size(svg: str) -> tuple[float, float] | None:
    """The natural (width, height) in pt ``dot`` gave the first ``<svg>`` in ``svg``."""
    found = _SIZE.search(svg)
    return (float(found.group(1)), float(found.group(2))) if found else None


def svg_block(svg: str, zoom: str = FIT) -> str:
    """An SVG sized to its pane.

    ``FIT`` scales it to the pane's width, but never above ``MAX_ZOOM`` times its natural size
    (small graphs stay small) nor below ``MIN_ZOOM`` (a wider graph scrolls sideways instead of
    turning its labels to dust); the page, not the pane, scrolls a tall graph. ``ACTUAL`` draws
    it at its natural size, and a percentage (``"50%"``, see ``ZOOMS``) at that scale of it,
    in a pane that scrolls both ways.
    """
    width, height = svg_size(svg) or (0.0, 0.0)
    if zoom != FIT:  # a fixed scale in a pane that scrolls both ways: pan by scrolling
        scale = 1.0 if zoom == ACTUAL else float(zoom.rstrip("%")) / 100
        size = f"width:{width * scale:.0f}pt;height:{height * scale:.0f}pt;" if width else ""
        css = f"display:block;max-width:none;{size}"
        box = f"overflow:auto;max-height:{ACTUAL_MAX_HEIGHT}px"
    else:
        limits = (f"min-width:{width * MIN_ZOOM:.0f}pt;max-width:{width * MAX_ZOOM:.0f}pt;"
                  if width else "max-width:100%;")
        css, box = f"display:block;margin:0 auto;width:100%;{limits}height:auto", "overflow-x:auto"
    svg = svg.replace("<svg ", f'<svg style="{css}" ', 1)
    # a browser may hide the scrollbar until hovered: a wide drawing looks cut off without this
    hint = ('<div class="nbgraph-wide" style="font-size:11px;color:var(--jp-ui-font-color2,'
            '#555)">↔ wider than the page at a legible size: scroll sideways, or zoom out</div>'
            if zoom == FIT and width * MIN_ZOOM > WIDE_PT else "")
    # width:0 + min-width:100%: the box takes the pane's width without letting the drawing's
    # own width widen the pane (a flex item would grow to it and clip instead of scrolling)
    return hint + f'<div class="nbgraph-svg" style="width:0;min-width:100%;{box}">{svg}</div>'


def svg_or_text(dot_text: str, fallback: str, zoom: str = FIT) -> str:
    """HTML for a drawing: the SVG, or ``fallback`` text with the install hint when no ``dot``."""
    try:
        return svg_block(dot_to_svg(dot_text), zoom)
    except GraphvizError as err:  # GraphvizNotFound too
        return (f'<div class="nbgraph-nodot"><p style="color:#b91c1c">{html.escape(str(err))}'
                f"</p><pre>{html.escape(fallback)}</pre></div>")
