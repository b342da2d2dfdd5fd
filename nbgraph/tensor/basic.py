"""``nbgraph.tensor.basic`` (Theano's ``theano.tensor.basic``, which user code reached as
``T.basic.as_tensor_variable``): the same objects as ``nbgraph.tensor``, re-exported only."""

from .. import tensor as _tensor  # the package has run up to importing this module
from ..core.alloc import *  # noqa: F403
from ..core.constructors import all_constructors
from ..core.elemwise import CAReduce, DimShuffle, Elemwise  # noqa: F401
from ..core.extra_ops import *  # noqa: F403
from ..core.join import *  # noqa: F403
from ..core.linalg import *  # noqa: F403
from ..core.mathops import *  # noqa: F403
from ..core.shape import *  # noqa: F403
from ..core.types import TensorType  # noqa: F401
from ..core.variable import (  # noqa: F401
    TensorConstant,
    TensorVariable,
    as_tensor_variable,
    constant,
    tensor,
)

# the package's constructor objects themselves (T.dmatrix is T.basic.dmatrix)
globals().update({name: getattr(_tensor, name) for name in all_constructors()})
