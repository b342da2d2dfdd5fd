"""compress, Unique, cpu_contiguous and bartlett against NumPy."""

from __future__ import annotations

import numpy as np
import pytest
from op_shape_check import assert_infer_shape

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.tensor.extra_ops import Unique, bartlett, compress, cpu_contiguous


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_compress(axis, rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(3, 3))
    cond = [True, False, True]
    np.testing.assert_array_equal(compress(cond, x, axis).eval({x: xv}),
                                  np.compress(cond, xv, axis))
    verify_grad(lambda a: compress(cond, a, axis), [xv], rng=rng)


@pytest.mark.parametrize("flags", [(False, False, False), (True, True, True),
                                   (False, True, False)])
def test_unique(flags, rng):
    x = T.lmatrix("x")
    xv = rng.integers(0, 5, (4, 3))
    outs = Unique(*flags)(x)
    outs = outs if isinstance(outs, list) else [outs]
    got = th.function([x], outs)(xv)
    want = np.unique(xv, return_index=flags[0], return_inverse=flags[1], return_counts=flags[2])
    want = want if isinstance(want, tuple) else (want,)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, np.ravel(w))


def test_cpu_contiguous(rng):
    x = T.dmatrix("x")
    xv = rng.normal(size=(4, 3)).T
    out = th.function([x], cpu_contiguous(x))(xv)
    assert out.flags.c_contiguous
    np.testing.assert_array_equal(out, xv)
    verify_grad(cpu_contiguous, [xv], rng=rng)
    assert_infer_shape(cpu_contiguous(x), [x], [xv])


@pytest.mark.parametrize("m", [0, 1, 5, 8])
def test_bartlett(m):
    n = T.lscalar("n")
    np.testing.assert_allclose(bartlett(n).eval({n: m}), np.bartlett(m), rtol=1e-15)
    assert_infer_shape(bartlett(n), [n], [m])
    with pytest.raises(TypeError, match="bartlett: M must be an integer"):
        bartlett(T.dscalar())
