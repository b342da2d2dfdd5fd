"""``nbgraph.tensor.nnet.abstract_conv`` (Theano 1.0's path, which libraries import when they
load): the convolution and its gradient ops under nbgraph's names. Re-exports only."""

from ...ops.conv import Conv2d, Conv2dGradInputs, Conv2dGradWeights, conv2d

__all__ = ["conv2d", "Conv2d", "Conv2dGradInputs", "Conv2dGradWeights"]
