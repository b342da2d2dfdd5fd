"""``nbgraph.tensor.nnet`` (Theano's ``theano.tensor.nnet``): re-exports only."""

from ...ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d
from ...ops.neighbours import images2neibs, neibs2images
from ...ops.nnet import *  # noqa: F403
from ...ops.nnet import __all__ as _nnet_all
from ...ops.nnet_extra import *  # noqa: F403
from ...ops.nnet_extra import __all__ as _extra_all
from . import bn, conv, neighbours

__all__ = [*_nnet_all, *_extra_all, "conv2d", "conv", "Conv2d", "Conv2dGradInputs",
           "Conv2dGradWeights", "bn", "neighbours", "images2neibs", "neibs2images"]
