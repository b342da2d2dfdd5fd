"""``nbgraph.tensor.basic`` (Theano's ``theano.tensor.basic``, which user code reached as
``T.basic.as_tensor_variable``): the same objects as ``nbgraph.tensor``, re-exported only."""

from ..core.constructors import all_constructors
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
from ..ops.elemwise import CAReduce, DimShuffle, Elemwise  # noqa: F401
from ..ops.extra_ops import *  # noqa: F403
from ..ops.join import *  # noqa: F403
from ..ops.linalg import *  # noqa: F403
from ..ops.math import *  # noqa: F403
from ..ops.scipy_special import *  # noqa: F403
from ..ops.shape import *  # noqa: F403
from ..ops.specify_shape import *  # noqa: F403
from ..ops.tensor_helpers import *  # noqa: F403

# the package's constructor objects themselves (T.dmatrix is T.basic.dmatrix)
globals().update(all_constructors())
