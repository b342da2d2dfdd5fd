"""``nbgraph.tensor.signal.downsample`` (Theano 0.7/0.8's module, which the LeNet tutorial of
those years imports): ``max_pool_2d`` with the old argument names. Re-exports only."""

from ...ops.pool import Pool, max_pool_2d, max_pool_2d_same_size

DownsampleFactorMax = Pool   # the old name of the pooling op

__all__ = ["max_pool_2d", "max_pool_2d_same_size", "DownsampleFactorMax"]
