"""``nbgraph.tensor.nnet`` (Theano's ``theano.tensor.nnet``): re-exports only."""

from ...ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d
from ...ops.nnet import *  # noqa: F403
from ...ops.nnet import __all__ as _nnet_all
from ...ops.nnet_bias import *  # noqa: F403
from ...ops.nnet_bias import __all__ as _bias_all
from . import abstract_conv, conv

__all__ = [*_nnet_all, *_bias_all, "conv2d", "conv", "abstract_conv", "Conv2d",
           "Conv2dGradInputs", "Conv2dGradWeights"]
