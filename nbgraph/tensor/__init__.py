"""``nbgraph.tensor`` (Theano's ``theano.tensor``, imported as ``T``): re-exports only."""

from ..core.alloc import *  # noqa: F403
from ..core.constructors import all_constructors
from ..core.elemwise import CAReduce, DimShuffle, Elemwise
from ..core.extra_ops import *  # noqa: F403
from ..core.gradient import Lop, Rop, grad, hessian, jacobian
from ..core.indexing import *  # noqa: F403
from ..core.join import *  # noqa: F403
from ..core.linalg import *  # noqa: F403
from ..core.mathops import *  # noqa: F403
from ..core.shape import *  # noqa: F403
from ..core.subtensor import *  # noqa: F403
from ..core.types import TensorType
from ..core.variable import TensorConstant, TensorVariable, as_tensor_variable, constant, tensor

globals().update(all_constructors())
_tensor_py_operators = TensorVariable

# Theano's T.nlinalg, T.nnet, T.shared_randomstreams, ... submodules
from . import basic, extra_ops, nlinalg, nnet, opt, shared_randomstreams, signal  # noqa: E402
