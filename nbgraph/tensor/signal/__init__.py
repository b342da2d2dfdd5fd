"""``nbgraph.tensor.signal`` (Theano's ``theano.tensor.signal``): ``pool``, ``conv`` and the
old ``downsample``."""

from . import conv, downsample, pool

__all__ = ["conv", "downsample", "pool"]
