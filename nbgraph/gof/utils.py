"""``nbgraph.gof.utils`` (Theano's ``theano.gof.utils``): the names user code reached there.
Re-exports only."""

from ..core.graph_queries import stack_search

__all__ = ["stack_search"]
