"""``nbgraph.tensor.nnet`` (Theano's ``theano.tensor.nnet``): re-exports only."""

from ...ops.abstract_conv import (
    conv2d_grad_wrt_inputs,
    conv2d_grad_wrt_weights,
    conv2d_transpose,
    conv3d,
    separable_conv2d,
)
from ...ops.bn import batch_normalization
from ...ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d
from ...ops.neighbours import images2neibs, neibs2images
from ...ops.nnet import *  # noqa: F403
from ...ops.nnet import __all__ as _nnet_all
from ...ops.nnet_bias import *  # noqa: F403
from ...ops.nnet_bias import __all__ as _bias_all
from ...ops.nnet_extra import *  # noqa: F403
from ...ops.nnet_extra import __all__ as _extra_all
from . import abstract_conv, bn, conv, neighbours

__all__ = [*_nnet_all, *_bias_all, *_extra_all, "conv2d", "conv", "Conv2d", "Conv2dGradInputs",
           "Conv2dGradWeights", "bn", "neighbours", "images2neibs", "neibs2images",
           "abstract_conv", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights",
           "conv2d_transpose", "conv3d", "separable_conv2d", "batch_normalization",
           "abstract_conv2d"]

abstract_conv2d = conv2d   # Theano's nnet name for abstract_conv.conv2d
