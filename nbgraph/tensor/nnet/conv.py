"""``nbgraph.tensor.nnet.conv`` (Theano's path): the old ``conv2d`` signature, which is
``legacy_conv2d`` in ops/conv.py."""

from ...ops.conv import legacy_conv2d as conv2d

__all__ = ["conv2d"]
