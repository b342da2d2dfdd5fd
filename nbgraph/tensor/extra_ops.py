"""``nbgraph.tensor.extra_ops`` (Theano's ``theano.tensor.extra_ops``): re-exports only."""

from ..ops.alloc import Repeat, repeat
from ..ops.extra_ops import *  # noqa: F403
from ..ops.extra_ops import __all__ as _extra_all
from ..ops.extra_ops_more import *  # noqa: F403
from ..ops.extra_ops_more import __all__ as _more_all
from ..ops.shape import squeeze
from ..ops.sort import SearchsortedOp

RepeatOp = Repeat   # Theano's class name

__all__ = [*_extra_all, *_more_all, "repeat", "SearchsortedOp", "squeeze", "RepeatOp"]
