"""nbgraph: Theano reborn for the notebook.

Symbolic tensors, reverse-mode autodiff as graph, traced graph rewrites, compiled C/CUDA
kernels, and inline views of all of it (``%load_ext nbgraph``). Classic Theano code runs with
``import nbgraph as theano`` and ``import nbgraph.tensor as T``.
"""

# The public API, re-exported (`theano.function`, `theano.shared`, ...): hence the F401
# waivers; no __all__, so `from nbgraph import *` keeps giving every public name.
# gpu registers its linker, mode and shared constructor with compile and core (CuPy loads
# only when a GPU is asked for)
from . import (  # noqa: F401
    compile,
    gof,
    gpu,
    gpuarray,
    gradient,
    ifelse,
    printing,
    sandbox,
    scalar,
    sparse,
    tensor,
)
from .compile.builders import OpFromGraph  # noqa: F401
from .compile.function import Function, In, Out, Param, function  # noqa: F401
from .compile.memory import memory  # noqa: F401
from .compile.mode import Mode  # noqa: F401
from .compile.replay import bisect, why_not  # noqa: F401
from .config import change_flags, config  # noqa: F401
from .core.gradient import Lop, Rop, grad  # noqa: F401
from .core.graph import Apply, Constant, Variable  # noqa: F401
from .core.graph_queries import clone  # noqa: F401
from .core.op import Op  # noqa: F401
from .core.scope import name_scope  # noqa: F401
from .core.shared import SharedVariable, shared  # noqa: F401
from .ops.constants import get_scalar_constant_value  # noqa: F401
from .ops.sparse import dot  # noqa: F401  (theano.dot: sparse or dense operands)
from .printing import pp  # noqa: F401
from .scan_module import foldl, foldr, map, reduce, scan  # noqa: F401
from .version import __version__  # noqa: F401


def load_ipython_extension(ipython):  # noqa: ANN001, ANN201
    """``%load_ext nbgraph``: registers the ``%%symgraph`` cell magic."""
    from .widgets.magic import load_ipython_extension as load  # lazy: widgets are heavy
    load(ipython)
