"""``nbgraph.tensor.xlogx`` (Theano's ``theano.tensor.xlogx``): re-exports only."""

from ..ops.xlogx import xlogx, xlogy0

__all__ = ["xlogx", "xlogy0"]
