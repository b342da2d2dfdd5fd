"""Notebook views of nbgraph graphs: ``%%symgraph`` and the same views as plain functions.

``view_graph(fn)``, ``view_passes(fn.trace)``, ``view_gradient(...)``, ``view_code(fn)`` and
``view_profile(fn, time_calls(fn, values))`` each return a displayable ``View`` (a widget,
then static HTML that shows wherever the widget is not drawn). ``draw_liveness(fn)`` draws
``fn.memory()`` as a timeline; ``unroll_bptt`` draws backpropagation through time step by step.
"""

from __future__ import annotations

from .liveness import draw_liveness
from .passes import view_passes
from .static import View
from .symgraph import SymGraph, SymgraphError, symgraph
from .timing import time_calls
from .unroll import unroll_bptt
from .views import view_code, view_error, view_gradient, view_graph, view_profile

__all__ = ["SymGraph", "SymgraphError", "View", "draw_liveness", "symgraph", "time_calls",
           "unroll_bptt", "view_code", "view_error", "view_gradient", "view_graph",
           "view_passes", "view_profile"]
