"""``nbgraph.tensor.nnet.neighbours`` (Theano's ``theano.tensor.nnet.neighbours``):
re-exports only."""

from ...ops.neighbours import *  # noqa: F403
from ...ops.neighbours import __all__ as _neighbours_all

__all__ = [*_neighbours_all]
