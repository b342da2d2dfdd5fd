"""``nbgraph.gof`` (Theano's ``theano.gof``): the graph objects and the Op base that
libraries and user ops import from there. Re-exports only."""

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Constant, Variable
from ..core.op import Op
from ..core.types import TensorType
from . import graph, utils  # noqa: F401

# Theano's gof.Type: the type objects are TensorTypes here
Type = TensorType

__all__ = ["Apply", "Constant", "FunctionGraph", "Op", "Type", "Variable", "graph", "utils"]
