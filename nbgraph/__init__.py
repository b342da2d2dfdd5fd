"""nbgraph: Theano reborn for the notebook.

Symbolic tensors, reverse-mode autodiff as graph, traced graph rewrites, compiled C/CUDA
kernels, and inline views of all of it (``%load_ext nbgraph``). Classic Theano code runs with
``import nbgraph as theano`` and ``import nbgraph.tensor as T``.
"""

# gpu registers its linker, mode and shared constructor with compile and core (CuPy loads
# only when a GPU is asked for)
from . import gpu, gradient, ifelse, printing, tensor
from .compile.function import Function, In, Out, function
from .compile.mode import Mode
from .config import config
from .core.gradient import Lop, Rop, grad
from .core.graph import Apply, Constant, Variable
from .core.shared import SharedVariable, shared
from .printing import pp
from .scan_module import scan

__version__ = "0.1.0"


def load_ipython_extension(ipython):  # noqa: ANN001, ANN201
    """``%load_ext nbgraph``: registers the ``%%symgraph`` cell magic."""
    from .widgets.magic import load_ipython_extension as load  # lazy: widgets are heavy
    load(ipython)
