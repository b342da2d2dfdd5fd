"""``nbgraph.tensor.sort`` (Theano's ``theano.tensor.sort``): re-exports only."""

from ..ops.sort import *  # noqa: F403
from ..ops.sort import __all__  # noqa: F401
