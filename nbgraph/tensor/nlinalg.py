"""``nbgraph.tensor.nlinalg`` (Theano's ``theano.tensor.nlinalg``): re-exports only."""

from ..ops.linalg import Det, MatrixInverse, Pinv, Trace, det, matrix_inverse, pinv, trace

__all__ = ["matrix_inverse", "det", "trace", "pinv", "MatrixInverse", "Det", "Trace", "Pinv"]
