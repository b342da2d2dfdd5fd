"""Sparse matrices over ``scipy.sparse`` (Theano's ``theano.sparse``): the type, building and
converting, products with structured gradients, sums and functions of the stored values.
SciPy is imported only where these ops run. Importing this package binds the sparse
operators of ``SparseVariable`` (``+ - * @ .T``) to the functions below, in one place."""

from .basic import *  # noqa: F403
from .basic import __all__ as _basic_all
from .basic import dense_from_sparse, transpose
from .compare_stack import *  # noqa: F403
from .compare_stack import __all__ as _compare_all
from .compare_stack import ge, gt, le, lt
from .indexing import *  # noqa: F403
from .indexing import __all__ as _indexing_all
from .indexing import sparse_getitem
from .math import *  # noqa: F403
from .math import __all__ as _math_all
from .math import add, dot, mul, neg, sp_sum, sub
from .pairwise import *  # noqa: F403
from .pairwise import __all__ as _pairwise_all
from .shared import SparseSharedVariable, shared
from .structure import *  # noqa: F403
from .structure import __all__ as _structure_all
from .type import *  # noqa: F403
from .type import SPARSE_OPS
from .type import __all__ as _type_all

SPARSE_OPS.update({"add": add, "sub": sub, "mul": mul, "neg": neg, "dot": dot,
                   "transpose": transpose, "sp_sum": sp_sum,
                   "dense_from_sparse": dense_from_sparse, "lt": lt, "le": le, "gt": gt,
                   "ge": ge, "getitem": sparse_getitem})

__all__ = [*_basic_all, *_math_all, *_type_all, *_compare_all, "shared",
           "SparseSharedVariable", *_structure_all, *_pairwise_all,
           *_indexing_all]
