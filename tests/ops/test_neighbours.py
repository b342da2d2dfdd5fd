"""images2neibs / neibs2images against a NumPy loop, in every mode, with gradients by finite
differences and the round trip of side-by-side patches."""

from __future__ import annotations

import numpy as np
import pytest
from op_shape_check import assert_infer_shape

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor.nnet.neighbours import images2neibs, neibs2images


def _reference(x, shape, step, mode):
    (kh, kw), (sh, sw) = shape, step
    n, c, h, w = x.shape
    if mode == "wrap_centered":
        rows = [[(r - kh // 2 + i) % h for i in range(kh)] for r in range(0, h, sh)]
        cols = [[(q - kw // 2 + j) % w for j in range(kw)] for q in range(0, w, sw)]
    else:
        ph, pw = {"half": (kh // 2, kw // 2), "full": (kh - 1, kw - 1)}.get(mode, (0, 0))
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
        rows = [list(range(r, r + kh)) for r in range(0, x.shape[2] - kh + 1, sh)]
        cols = [list(range(q, q + kw)) for q in range(0, x.shape[3] - kw + 1, sw)]
    out = [x[a, b][np.ix_(r, q)].ravel() for a in range(n) for b in range(c)
           for r in rows for q in cols]
    return np.array(out)


@pytest.mark.parametrize("shape, step, mode, size", [
    ((2, 2), None, "valid", (4, 6)), ((2, 3), (1, 2), "valid", (5, 7)),
    ((2, 2), None, "ignore_borders", (5, 5)), ((3, 3), (2, 2), "half", (5, 6)),
    ((2, 2), (1, 1), "full", (3, 3)), ((3, 3), (1, 2), "wrap_centered", (4, 5))])
def test_images2neibs(shape, step, mode, size, rng):
    x = T.dtensor4("x")
    xv = rng.normal(size=(2, 3, *size))
    got = images2neibs(x, shape, step, mode).eval({x: xv})
    np.testing.assert_array_equal(got, _reference(xv, shape, step or shape, mode))
    verify_grad(lambda a: images2neibs(a, shape, step, mode), [xv], rng=rng)


def test_round_trip_and_overlap_sum(rng):
    x = T.dtensor4("x")
    xv = rng.normal(size=(2, 2, 4, 6))
    patches = images2neibs(x, (2, 3))
    back = neibs2images(patches, (2, 3), x.shape)
    np.testing.assert_array_equal(back.eval({x: xv}), xv)
    assert_infer_shape(back, [x], [xv])
    # overlapping patches: every pixel comes back once per patch that holds it
    ones = np.ones((1, 1, 3, 3))
    twice = neibs2images(images2neibs(x, (2, 2), (1, 1)), (2, 2), x.shape, neib_step=(1, 1))
    np.testing.assert_array_equal(twice.eval({x: ones})[0, 0], [[1, 2, 1], [2, 4, 2],
                                                                [1, 2, 1]])
    verify_grad(lambda a: neibs2images(a, (2, 3), (2, 2, 4, 6)), [rng.normal(size=(16, 6))],
                rng=rng)


def test_errors(rng):
    x = T.dtensor4("x")
    f = th.function([x], images2neibs(x, (2, 2)))
    with pytest.raises(ValueError, match=r"at node \d+: axis 2 of length 5 is not covered"):
        f(rng.normal(size=(1, 1, 5, 4)))
    with pytest.raises(ValueError, match="mode must be one of"):
        images2neibs(x, (2, 2), mode="same")
    with pytest.raises(ValueError, match="wrap_centered needs odd neib_shape"):
        images2neibs(x, (2, 2), mode="wrap_centered")
    with pytest.raises(TypeError, match="needs a 4-d tensor"):
        images2neibs(T.dmatrix(), (2, 2))
