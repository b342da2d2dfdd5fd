"""The op library: every op, grouped by family, each defined once (its type inference, NumPy
reference, gradient and code templates). Importing it binds core's ``MATH`` (the tensor
functions that core's variables and autodiff call) to the modules below.
"""

from ..core.tensor_math import MATH
from . import alloc, complex_ops, extra_ops, indexing, join, linalg, math, shape, sort, subtensor
from .scan import basic as scan_basic

MATH.bind(math, shape, subtensor, indexing, join, sort, extra_ops, alloc, linalg, scan_basic,
          complex_ops)
