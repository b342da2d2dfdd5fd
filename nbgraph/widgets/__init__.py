"""Notebook views of nbgraph graphs: ``%%symgraph`` and the same views as plain functions.

``view_graph(fn)``, ``view_passes(fn.trace)``, ``view_gradient(...)``, ``view_code(fn)`` and
``view_profile(fn, time_calls(fn, values))`` each return a displayable ``View`` (a widget,
then static HTML that shows wherever the widget is not drawn).
"""

from __future__ import annotations

from .passes import view_passes
from .static import View
from .symgraph import SymGraph, SymgraphError, symgraph
from .timing import time_calls
from .views import view_code, view_error, view_gradient, view_graph, view_profile

__all__ = ["SymGraph", "SymgraphError", "View", "symgraph", "time_calls", "view_code",
           "view_error", "view_gradient", "view_graph", "view_passes", "view_profile"]
