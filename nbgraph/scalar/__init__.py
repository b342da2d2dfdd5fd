"""``nbgraph.scalar`` (Theano's ``theano.scalar``): scalar types are 0-d tensor types, and
the scalar ops are the elementwise functions of ``nbgraph.tensor``. Re-exports only."""

# every elementwise function (add, mul, exp, ...) applies to 0-d variables as Theano's
# scalar ops did; the scalar names below take precedence over the tensor ones
from ..ops.math import *  # noqa: F403
from ..ops.scalar_types import *  # noqa: F403
from ..ops.scalar_types import bool_ as bool  # noqa: F401  (Theano's name)
from ..ops.scalar_types import upcast  # noqa: F401
from . import basic  # noqa: F401
