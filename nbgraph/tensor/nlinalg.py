"""``nbgraph.tensor.nlinalg`` (Theano's ``theano.tensor.nlinalg``): re-exports only."""

from ..ops.linalg import Det, MatrixInverse, Pinv, Trace, det, matrix_inverse, pinv, trace
from ..ops.nlinalg import *  # noqa: F403
from ..ops.nlinalg import __all__ as _nlinalg_all

MatrixPinv = Pinv   # Theano's class name

__all__ = ["matrix_inverse", "det", "trace", "pinv", "MatrixInverse", "Det", "Trace", "Pinv",
           "MatrixPinv", *_nlinalg_all]
