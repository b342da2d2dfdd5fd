"""``nbgraph.tensor.signal.pool`` (Theano's ``theano.tensor.signal.pool``): re-exports only."""

from ...ops.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
    max_pool_2d_same_size,
    pool_2d,
)
from ...ops.pool3d import pool_3d

__all__ = ["pool_2d", "pool_3d", "max_pool_2d_same_size", "Pool", "MaxPoolGrad",
           "AveragePoolGrad", "DownsampleFactorMaxGradGrad"]
