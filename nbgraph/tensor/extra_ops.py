"""``nbgraph.tensor.extra_ops`` (Theano's ``theano.tensor.extra_ops``): re-exports only."""

from ..core.alloc import repeat
from ..core.extra_ops import *  # noqa: F403
from ..core.extra_ops import __all__ as _extra_all
from ..core.sort import SearchsortedOp

__all__ = [*_extra_all, "repeat", "SearchsortedOp"]
