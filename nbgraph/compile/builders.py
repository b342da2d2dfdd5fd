"""``nbgraph.compile.builders`` (Theano's ``theano.compile.builders``): ``OpFromGraph``."""

from ..ops.opfromgraph import OpFromGraph

__all__ = ["OpFromGraph"]
