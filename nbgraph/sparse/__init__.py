"""``nbgraph.sparse`` (Theano's ``theano.sparse``): re-exports only."""

from ..compile.verify_sparse import verify_grad_sparse
from ..ops.sparse import *  # noqa: F403
from ..ops.sparse import __all__ as _sparse_all

__all__ = [*_sparse_all, "verify_grad_sparse"]
