"""``nbgraph.tensor.nnet.sigm`` (Theano's ``theano.tensor.nnet.sigm``): re-exports only."""

from ...ops.math import sigmoid, softplus
from ...ops.nnet import hard_sigmoid, ultra_fast_sigmoid

__all__ = ["sigmoid", "softplus", "hard_sigmoid", "ultra_fast_sigmoid"]
