"""``nbgraph.gof.graph`` (Theano's ``theano.gof.graph``): graph objects and queries in
Theano's orders. Re-exports only."""

from ..core.graph import Apply, Constant, Variable, ancestors, clone_graph, toposort
from ..core.graph_queries import equal_computations, inputs, is_same_graph, stack_search

__all__ = ["Apply", "Constant", "Variable", "ancestors", "clone_graph", "equal_computations",
           "inputs", "is_same_graph", "stack_search", "toposort"]
