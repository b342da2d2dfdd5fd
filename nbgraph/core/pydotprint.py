"""Drawing with the Graphviz ``dot`` program: ``run_dot`` (the one place that runs it; the
widgets call it and cache the SVG) and Theano's ``pydotprint``, which writes an image file."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..config import config
from .graphviz import DotOptions, to_dot

INSTALL_HINT = ("Graphviz `dot` not found; install graphviz (apt-get install graphviz, "
                "conda install graphviz, or brew install graphviz) to draw graphs")

# Theano's pydotprint keywords that have no counterpart here: nbgraph draws no variable
# nodes (compact), always puts uids in tooltips (with_ids), has one palette (high_contrast,
# colorCodes, cond_highlight) and draws no inner Scan graphs (scan_graphs,
# var_with_name_simple). They are accepted and ignored so Theano scripts run.
IGNORED_THEANO_KEYWORDS = frozenset({"compact", "with_ids", "high_contrast", "cond_highlight",
                                     "colorCodes", "scan_graphs", "var_with_name_simple"})


class GraphvizError(RuntimeError):
    """Graphviz ``dot`` failed or timed out on a drawing."""


class GraphvizNotFound(GraphvizError):
    """The Graphviz ``dot`` program is not on PATH."""


def run_dot(dot_text: str, format: str = "png", timeout: float = 60.0) -> bytes:
    """Render DOT text with the ``dot`` program and return the image bytes.

    Raises ``GraphvizNotFound`` without ``dot`` and ``GraphvizError`` when it fails or takes
    longer than ``timeout`` seconds.

    Examples
    --------
    >>> run_dot('digraph { a -> b }', 'svg')[:5]  # doctest: +SKIP
    b'<?xml'
    """
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound(INSTALL_HINT)
    try:
        done = subprocess.run([exe, f"-T{format}"], input=dot_text.encode(),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"Graphviz `dot -T{format}`: no layout after {timeout:g} s "
                            f"({dot_text.count('->')} edges); draw less "
                            "(DotOptions(collapse_chains=3)) or raise timeout") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise GraphvizError(f"Graphviz `dot -T{format}` failed (exit {done.returncode}): "
                            f"{message}")
    return done.stdout


def _theano_options(options: DotOptions | None, theano: dict[str, Any]) -> DotOptions:
    """``options`` with Theano's ``max_label_size`` (default 70) applied; the other Theano
    keywords must be in ``IGNORED_THEANO_KEYWORDS``."""
    unknown = sorted(set(theano) - IGNORED_THEANO_KEYWORDS - {"max_label_size"})
    if unknown:
        known = ", ".join(sorted(IGNORED_THEANO_KEYWORDS | {"max_label_size"}))
        raise TypeError(f"pydotprint() got unexpected keyword arguments {unknown}; of "
                        f"Theano's it takes {known}")
    if "max_label_size" in theano or options is None:
        options = replace(options or DotOptions(), max_label=theano.get("max_label_size", 70))
    return options


def pydotprint(fct: Any, outfile: str | None = None, *, format: str = "png",
               highlight: Iterable[int] = (), title: str | None = None,
               options: DotOptions | None = None, return_image: bool = False,
               print_output_file: bool = True, **theano: Any) -> bytes | None:
    """Draw a graph to an image file with Graphviz ``dot``.

    Parameters
    ----------
    fct : compiled Function, Variable, list of Variables, FunctionGraph or Snapshot
        What to draw (a Function draws its optimized graph).
    outfile : str, optional
        Where to write; defaults to ``<compiledir>/nbgraph.pydotprint.<device>.<format>``.
    format : str
        Any ``dot -T`` format: 'png', 'svg', 'pdf', ...
    highlight, title, options
        As for ``to_dot``.
    return_image : bool
        Return the image bytes instead of writing a file.
    print_output_file : bool
        Say where the file went.
    **theano
        Theano's other keywords: ``max_label_size`` (default 70: longer labels are cut, the
        tooltip keeps them whole) sets ``options.max_label``; those in
        ``IGNORED_THEANO_KEYWORDS`` are accepted and ignored. Everything after ``outfile`` is
        keyword-only: Theano's third positional argument was ``compact``.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> pydotprint(T.exp(x), outfile='exp.svg', format='svg')  # doctest: +SKIP
    The output file is available at exp.svg
    """
    text = to_dot(fct, highlight=highlight, title=title, options=_theano_options(options, theano))
    image = run_dot(text, format)
    if return_image:
        return image
    if outfile is None:
        os.makedirs(config.compiledir, exist_ok=True)
        outfile = os.path.join(config.compiledir,
                               f"nbgraph.pydotprint.{config.device}.{format}")
    elif os.path.dirname(outfile):  # Theano's tutorial writes to "pics/...": make the folder
        os.makedirs(os.path.dirname(outfile), exist_ok=True)
    with open(outfile, "wb") as handle:
        handle.write(image)
    if print_output_file:
        print("The output file is available at", outfile)
    return None
