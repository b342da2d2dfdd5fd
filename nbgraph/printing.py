"""Theano's ``theano.printing`` path: the text views of ``core.printing`` plus ``pydotprint``.

``pydotprint`` is the one place outside the widgets that runs Graphviz ``dot`` to make an image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from .config import config
from .core.dot import DotOptions, to_dot
from .core.print_op import Print
from .core.printing import PrintOptions, char_from_number, debugprint, listing, pp, pprint
from .core.records import snapshot_records

__all__ = ["DotOptions", "Print", "PrintOptions", "char_from_number", "debugprint", "listing",
           "pp", "pprint", "pydotprint", "run_dot", "snapshot_records", "to_dot"]


class GraphvizNotFound(RuntimeError):
    """The Graphviz ``dot`` program is not on PATH."""


def run_dot(dot_text: str, format: str = "png", timeout: float = 60.0) -> bytes:
    """Render DOT text with the ``dot`` program and return the image bytes."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound("Graphviz `dot` not found; install graphviz "
                               "(apt install graphviz, conda install graphviz)")
    try:
        done = subprocess.run([exe, f"-T{format}"], input=dot_text.encode(),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz `dot -T{format}` took more than {timeout:g} s; draw "
                           "less (DotOptions(collapse_chains=3)) or raise timeout") from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise RuntimeError(f"Graphviz `dot -T{format}` failed (exit {done.returncode}): "
                           f"{message}")
    return done.stdout


def pydotprint(fct: Any, outfile: str | None = None, format: str = "png",
               compact: bool = True, with_ids: bool = False, high_contrast: bool = True,
               cond_highlight: Any = None, colorCodes: Any = None,  # Theano spelling
               max_label_size: int = 70, scan_graphs: bool = False,
               var_with_name_simple: bool = False, print_output_file: bool = True,
               return_image: bool = False, *, highlight: Any = (), title: str | None = None,
               options: DotOptions | None = None, timeout: float = 60.0) -> bytes | None:
    """Draw a graph to an image file with Graphviz ``dot``.

    Parameters
    ----------
    fct : compiled Function, Variable, list of Variables, FunctionGraph or Snapshot
        What to draw (a Function draws its optimized graph).
    outfile : str, optional
        Where to write; defaults to ``<compiledir>/nbgraph.pydotprint.<device>.<format>``.
    format : str
        Any ``dot -T`` format: 'png', 'svg', 'pdf', ...
    max_label_size : int
        Longest node label before it is cut (the full text stays in the tooltip).
    return_image : bool
        Return the image bytes instead of writing a file.
    highlight, title, options
        As for ``to_dot``.

    ``compact``, ``with_ids``, ``high_contrast``, ``cond_highlight``, ``colorCodes``,
    ``scan_graphs`` and ``var_with_name_simple`` are accepted so Theano calls run; the
    drawing always shows uids in tooltips and uses one palette.

    Examples
    --------
    >>> import nbgraph.tensor as T
    >>> x = T.dvector('x')
    >>> pydotprint(T.exp(x), outfile='exp.svg', format='svg')  # doctest: +SKIP
    The output file is available at exp.svg
    """
    if options is None:
        options = DotOptions(max_label=max_label_size)
    text = to_dot(fct, highlight=highlight, title=title, options=options)
    image = run_dot(text, format, timeout)
    if return_image:
        return image
    if outfile is None:
        os.makedirs(config.compiledir, exist_ok=True)
        outfile = os.path.join(config.compiledir,
                               f"nbgraph.pydotprint.{config.device}.{format}")
    with open(outfile, "wb") as handle:
        handle.write(image)
    if print_output_file:
        print("The output file is available at", outfile)
    return None
