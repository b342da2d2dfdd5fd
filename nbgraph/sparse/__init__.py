"""``nbgraph.sparse`` (Theano's ``theano.sparse``): re-exports only."""

from ..ops.sparse import *  # noqa: F403
from ..ops.sparse import __all__ as _sparse_all

__all__ = [*_sparse_all]
