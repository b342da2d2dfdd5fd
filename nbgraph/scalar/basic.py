"""``nbgraph.scalar.basic`` (Theano's ``theano.scalar.basic``): the same names as
``nbgraph.scalar``. Re-exports only."""

from ..ops.math import *  # noqa: F403
from ..ops.scalar_types import *  # noqa: F403
from ..ops.scalar_types import bool_ as bool  # noqa: F401  (Theano's name)
