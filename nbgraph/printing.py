"""Theano's ``theano.printing`` path: the text views of ``core.printing``, ``pydotprint`` and
``run_dot`` (core/pydotprint.py), and the ``Print`` op; re-exports only."""

from .core.graphviz import DotOptions, to_dot
from .core.printing import PrintOptions, char_from_number, debugprint, listing, pp, pprint
from .core.pydotprint import (
    IGNORED_THEANO_KEYWORDS,
    INSTALL_HINT,
    GraphvizError,
    GraphvizNotFound,
    pydotprint,
    run_dot,
)
from .core.records import snapshot_records
from .ops.print_op import Print

__all__ = ["IGNORED_THEANO_KEYWORDS", "INSTALL_HINT", "DotOptions", "GraphvizError",
           "GraphvizNotFound", "Print", "PrintOptions", "char_from_number", "debugprint",
           "listing", "pp", "pprint", "pydotprint", "run_dot", "snapshot_records", "to_dot"]
