"""``nbgraph.tensor.opt`` (Theano's ``theano.tensor.opt``): the graph-level names user code
imported from there (``MakeVector``, ``make_vector``, ``Shape_i``). nbgraph's rewrites live in
``nbgraph.rewrite`` as named rule sets in one ordered pipeline; they are selected with
``Mode(optimizer=...)``, not registered from here."""

from ..ops.shape import MakeVector, Shape_i, make_vector

__all__ = ["MakeVector", "Shape_i", "make_vector"]
