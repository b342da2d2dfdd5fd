"""``nbgraph.scan_module.scan_utils`` (Theano's path): ``equal_computations``. Re-exports
only."""

from ..core.graph_queries import equal_computations

__all__ = ["equal_computations"]
