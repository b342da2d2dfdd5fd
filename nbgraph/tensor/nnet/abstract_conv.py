"""``nbgraph.tensor.nnet.abstract_conv`` (Theano's ``theano.tensor.nnet.abstract_conv``):
re-exports only."""

from ...ops.abstract_conv import *  # noqa: F403
from ...ops.abstract_conv import __all__ as _abstract_all

__all__ = [*_abstract_all]
