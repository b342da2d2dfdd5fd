"""``nbgraph.tensor.slinalg`` (Theano's ``theano.tensor.slinalg``): re-exports only."""

from ..ops.slinalg import *  # noqa: F403
from ..ops.slinalg import __all__ as _slinalg_all

__all__ = [*_slinalg_all]
