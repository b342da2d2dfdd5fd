"""grad_clip and grad_scale: identity forward, clipped or scaled gradient backward."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.gradient import GradClip, grad_clip, grad_scale


def test_grad_clip_is_identity_forward_and_clips_backward(rng):
    x = T.dvector("x")
    values = rng.uniform(-3, 3, 9)
    y = grad_clip(x, -1.0, 2.0)
    g = th.grad((y ** 2).sum(), x)   # 2x, clipped to [-1, 2]
    out, gx = th.function([x], [y, g])(values)
    np.testing.assert_array_equal(out, values)
    np.testing.assert_allclose(gx, np.clip(2 * values, -1, 2), rtol=1e-15)


def test_grad_clip_theano_doc_example():
    # the Theano docs: z = grad(grad_clip(x, -1, 1)**2, x) at x = 2 is 1 (2x clipped)
    x = T.scalar()
    z = th.grad(grad_clip(x, -1, 1) ** 2, x)
    z2 = th.grad(x ** 2, x)
    f = th.function([x], outputs=[z, z2])
    assert [float(v) for v in f(2.0)] == [1.0, 4.0]


def test_grad_clip_errors_and_identity():
    with pytest.raises(ValueError, match="lower_bound 2.0 is above upper_bound 1.0"):
        grad_clip(T.dscalar(), 2.0, 1.0)
    assert GradClip(-1, 1) == GradClip(-1.0, 1.0) and GradClip(-1, 1) != GradClip(-1, 2)


def test_grad_scale(rng):
    x = T.dvector("x")
    values = rng.normal(size=5)
    g = th.grad((grad_scale(x, -0.5) ** 2).sum(), x)
    np.testing.assert_allclose(th.function([x], g)(values), -0.5 * 2 * values, rtol=1e-15)
