"""``nbgraph.tensor.signal.pool`` (Theano's ``theano.tensor.signal.pool``): re-exports only."""

from ...ops.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
    max_pool_2d_same_size,
)
from ...ops.pool3d import pool_3d
from ...ops.pool_symbolic import SymbolicPool, pool_2d

__all__ = ["pool_2d", "pool_3d", "max_pool_2d_same_size", "Pool", "MaxPoolGrad",
           "AveragePoolGrad", "DownsampleFactorMaxGradGrad", "SymbolicPool"]
