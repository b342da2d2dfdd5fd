"""``nbgraph.tensor`` (Theano's ``theano.tensor``, imported as ``T``): re-exports only."""

# every name below is re-exported as T.<name> (hence the F401 waivers); no __all__, since
# the star imports and the constructors added to globals() are public too
from ..compile.verify import verify_grad  # noqa: F401
from ..core.constructors import all_constructors
from ..core.gradient import Lop, Rop, grad, hessian, jacobian, numeric_grad  # noqa: F401
from ..core.gradient_helpers import consider_constant, grad_not_implemented  # noqa: F401
from ..core.graph import Apply, Constant, Variable  # noqa: F401
from ..core.types import TensorType  # noqa: F401
from ..core.variable import (  # noqa: F401
    TensorConstant,
    TensorVariable,
    as_tensor_variable,
    constant,
    tensor,
)
from ..ops.alloc import *  # noqa: F403
from ..ops.choose import *  # noqa: F403
from ..ops.complex_ops import *  # noqa: F403
from ..ops.constants import *  # noqa: F403
from ..ops.dtype_lists import *  # noqa: F403
from ..ops.elemwise import CAReduce, DimShuffle, Elemwise  # noqa: F401
from ..ops.extra_ops import *  # noqa: F403
from ..ops.extra_ops_more import bartlett  # noqa: F401
from ..ops.indexing import *  # noqa: F403
from ..ops.join import *  # noqa: F403
from ..ops.linalg import *  # noqa: F403
from ..ops.math import *  # noqa: F403
from ..ops.math import Argmax  # noqa: F401
from ..ops.math import isinf as isinf_  # noqa: F401  (Theano's elementwise-op names)
from ..ops.math import isnan as isnan_  # noqa: F401
from ..ops.scipy_special import *  # noqa: F403
from ..ops.shape import *  # noqa: F403
from ..ops.specify_shape import *  # noqa: F403
from ..ops.subtensor import *  # noqa: F403
from ..ops.tensor_helpers import *  # noqa: F403
from ..ops.topk import *  # noqa: F403

globals().update(all_constructors())
_tensor_py_operators = TensorVariable

# Theano's T.nlinalg, T.nnet, T.shared_randomstreams, ... submodules
from . import (  # noqa: E402, F401
    basic,
    blas,
    extra_ops,
    nlinalg,
    nnet,
    opt,
    shared_randomstreams,
    signal,
    slinalg,
    xlogx,
)
