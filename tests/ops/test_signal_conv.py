"""signal.conv.conv2d for every combination of 2-d/3-d input and filters, against SciPy's
convolve2d in float64, with its gradient by finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor.signal import conv


@pytest.mark.parametrize("x_ndim, w_ndim", [(2, 2), (3, 2), (2, 3), (3, 3)])
@pytest.mark.parametrize("border_mode", ["valid", "full"])
def test_signal_conv2d(x_ndim, w_ndim, border_mode, rng):
    x = T.tensor("float64", shape=(None,) * x_ndim)
    w = T.tensor("float64", shape=(None,) * w_ndim)
    xv = rng.normal(size=(2, 6, 5)[3 - x_ndim:])
    wv = rng.normal(size=(3, 3, 2)[3 - w_ndim:])
    got = conv.conv2d(x, w, border_mode=border_mode).eval({x: xv, w: wv})
    xs = xv if x_ndim == 3 else xv[None]
    ws = wv if w_ndim == 3 else wv[None]
    want = np.array([[sps.convolve2d(img, k, mode=border_mode) for k in ws] for img in xs])
    if w_ndim == 2:
        want = want[:, 0]
    if x_ndim == 2:
        want = want[0]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    verify_grad(lambda a, b: conv.conv2d(a, b, border_mode=border_mode), [xv, wv], rng=rng)
