"""``nbgraph.tensor.signal.conv`` (Theano's ``theano.tensor.signal.conv``): re-exports only."""

from ...ops.signal_conv import conv2d

__all__ = ["conv2d"]
