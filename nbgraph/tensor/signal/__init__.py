"""``nbgraph.tensor.signal`` (Theano's ``theano.tensor.signal``): the ``pool`` submodule."""

from . import pool

__all__ = ["pool"]
