"""``nbgraph.tensor.nnet.bn`` (Theano's ``theano.tensor.nnet.bn``): re-exports only."""

from ...ops.bn import *  # noqa: F403
from ...ops.bn import __all__ as _bn_all

__all__ = [*_bn_all]
