"""``nbgraph.tensor.signal.downsample`` (Theano 0.7/0.8's module, which the LeNet tutorial of
those years imports): ``max_pool_2d`` with the old argument names, over ``pool.pool_2d``."""

from __future__ import annotations

from typing import Any

from ...ops.pool import Pool, max_pool_2d_same_size, pool_2d

__all__ = ["max_pool_2d", "max_pool_2d_same_size", "DownsampleFactorMax"]

DownsampleFactorMax = Pool   # the old name of the pooling op


def max_pool_2d(input: Any, ds: Any, ignore_border: bool | None = None, st: Any = None,
                padding: Any = (0, 0), mode: str = "max") -> Any:
    """Theano 0.8's ``downsample.max_pool_2d(input, ds, ignore_border, st, padding, mode)``:
    ``pool_2d`` with ``ws=ds``, ``stride=st``, ``pad=padding``."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding,
                   mode=mode)
