"""DOT text -> SVG through Graphviz ``dot``: one subprocess per new drawing, cached by hash.

Without ``dot`` it raises one clear ``GraphvizNotFound``; ``svg_or_text`` turns that into the
debugprint-style text fallback the static views show instead.
"""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import subprocess
from collections import OrderedDict

DOT_TIMEOUT = 30.0  # seconds; a layout that takes longer is a bug to report, not to wait on
CACHE_SIZE = 256
INSTALL_HINT = ("Graphviz `dot` not found; install graphviz (apt-get install graphviz, "
                "conda install graphviz, or brew install graphviz) to draw graphs")

_cache: OrderedDict[str, str] = OrderedDict()
_XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)


class GraphvizNotFound(RuntimeError):
    """The ``dot`` program is not on PATH."""


class GraphvizError(RuntimeError):
    """``dot`` failed or timed out on a drawing."""


def dot_program() -> str:
    path = shutil.which("dot")
    if path is None:
        raise GraphvizNotFound(INSTALL_HINT)
    return path


def dot_to_svg(dot_text: str, timeout: float = DOT_TIMEOUT) -> str:
    """The ``<svg>`` element ``dot -Tsvg`` makes of ``dot_text`` (no XML prologue).

    >>> dot_to_svg('digraph { a -> b }').startswith('<svg')  # doctest: +SKIP
    True
    """
    key = hashlib.sha1(dot_text.encode()).hexdigest()
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    try:
        done = subprocess.run([dot_program(), "-Tsvg"], input=dot_text.encode(),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise GraphvizError(f"dot: no layout after {timeout:.0f} s "
                            f"({dot_text.count('->')} edges)") from err
    if done.returncode != 0:
        raise GraphvizError(f"dot -Tsvg failed (exit {done.returncode}): "
                            f"{done.stderr.decode(errors='replace').strip()}")
    svg = _XML_PROLOGUE.sub("", done.stdout.decode())
    # Comments carry the Graphviz version; keep the output the same on every machine.
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    _cache[key] = svg
    if len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return svg


def svg_block(svg: str, max_height: int = 640) -> str:
    """An SVG sized to its pane: shrinks to the width, scrolls when very tall."""
    svg = svg.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
    return (f'<div class="nbgraph-svg" style="overflow:auto;max-height:{max_height}px">'
            f"{svg}</div>")


def svg_or_text(dot_text: str, fallback: str, max_height: int = 640) -> str:
    """HTML for a drawing: the SVG, or ``fallback`` text with the install hint when no ``dot``."""
    try:
        return svg_block(dot_to_svg(dot_text), max_height)
    except (GraphvizNotFound, GraphvizError) as err:
        return (f'<div class="nbgraph-nodot"><p style="color:#b91c1c">{html.escape(str(err))}'
                f"</p><pre>{html.escape(fallback)}</pre></div>")
