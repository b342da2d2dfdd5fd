"""``nbgraph.tensor.signal`` (Theano's ``theano.tensor.signal``): the ``pool`` submodule."""

from . import conv, pool

__all__ = ["conv", "pool"]
