"""``nbgraph.tensor`` (Theano's ``theano.tensor``, imported as ``T``): re-exports only."""

# every name below is re-exported as T.<name> (hence the F401 waivers); no __all__, since
# the star imports and the constructors added to globals() are public too
from ..core.alloc import *  # noqa: F403
from ..core.constructors import all_constructors
from ..core.elemwise import CAReduce, DimShuffle, Elemwise  # noqa: F401
from ..core.extra_ops import *  # noqa: F403
from ..core.gradient import Lop, Rop, grad, hessian, jacobian  # noqa: F401
from ..core.indexing import *  # noqa: F403
from ..core.join import *  # noqa: F403
from ..core.linalg import *  # noqa: F403
from ..core.mathops import *  # noqa: F403
from ..core.shape import *  # noqa: F403
from ..core.subtensor import *  # noqa: F403
from ..core.types import TensorType  # noqa: F401
from ..core.variable import (  # noqa: F401
    TensorConstant,
    TensorVariable,
    as_tensor_variable,
    constant,
    tensor,
)

globals().update(all_constructors())
_tensor_py_operators = TensorVariable

# Theano's T.nlinalg, T.nnet, T.shared_randomstreams, ... submodules
from . import (  # noqa: E402, F401
    basic,
    extra_ops,
    nlinalg,
    nnet,
    opt,
    shared_randomstreams,
    signal,
)
