"""pool_3d against a NumPy box-pooling loop in float64 (every mode, borders, padding, strides)
and its gradient by finite differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor.signal.pool import pool_3d


def reference_pool3d(x, ws, stride, pad, ignore_border, mode):
    lead, size = x.shape[:-3], x.shape[-3:]
    padded = np.pad(x, [(0, 0)] * len(lead) + [(p, p) for p in pad], constant_values=np.nan)
    outs = []
    for n, w, s, p in zip(size, ws, stride, pad, strict=True):
        span = n + 2 * p
        count = (span - w) // s + 1 if ignore_border else max(0, (span - w + s - 1) // s) + 1
        outs.append(count)
    out = np.zeros(lead + tuple(outs))
    for idx in itertools.product(*[range(o) for o in outs]):
        box = tuple(slice(i * s, min(i * s + w, n + 2 * p))
                    for i, s, w, n, p in zip(idx, stride, ws, size, pad, strict=True))
        window = padded[(...,) + box].reshape(lead + (-1,))
        real = window[..., ~np.isnan(window[(0,) * len(lead)])]
        if mode == "max":
            value = real.max(-1)
        elif mode == "sum":
            value = real.sum(-1)
        elif mode == "average_exc_pad":
            value = real.mean(-1)
        else:   # average_inc_pad: padding counts, a clipped border window does not
            value = real.sum(-1) / window.shape[-1]
        out[(...,) + idx] = value
    return out


@pytest.mark.parametrize("ws, stride, pad, ignore_border", [
    ((2, 2, 2), None, (0, 0, 0), True), ((2, 3, 2), (1, 2, 2), (0, 0, 0), True),
    ((2, 2, 2), None, (0, 0, 0), False), ((3, 2, 3), (2, 2, 2), (1, 1, 1), True)])
@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
def test_pool_3d(ws, stride, pad, ignore_border, mode, rng):
    x = T.dtensor5("x")
    xv = rng.normal(size=(2, 2, 5, 4, 5))
    got = pool_3d(x, ws, ignore_border, stride, pad, mode).eval({x: xv})
    want = reference_pool3d(xv, ws, stride or ws, pad, ignore_border, mode)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("mode", ["max", "average_exc_pad"])
def test_pool_3d_gradient(mode, rng):
    xv = rng.permutation(48).reshape(1, 3, 4, 4).astype(float) / 7   # no ties for max
    xv = xv.reshape(1, 3, 4, 4)[None].reshape(1, 1, 3, 4, 4)
    verify_grad(lambda a: pool_3d(a, (2, 2, 2), True, (1, 2, 1), mode=mode), [xv], rng=rng)


def test_pool_3d_errors():
    with pytest.raises(TypeError, match="needs at least 3 dimensions"):
        pool_3d(T.dmatrix(), (2, 2, 2), True)
    with pytest.raises(ValueError, match="ws must be 3 ints"):
        pool_3d(T.dtensor3(), (2, 2), True)
