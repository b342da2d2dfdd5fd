"""``nbgraph.tensor.subtensor`` (Theano's ``theano.tensor.subtensor``): re-exports only."""

from ..ops.indexing import inc_subtensor, set_subtensor  # noqa: F401
from ..ops.subtensor import *  # noqa: F403
from ..ops.subtensor import __all__ as _ops_all

__all__ = [*_ops_all, "inc_subtensor", "set_subtensor"]
