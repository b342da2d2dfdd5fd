"""Pooling with symbolic window, stride and padding: the same values and gradients as the
static ops at the same sizes, on every mode."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad
from nbgraph.ops.pool_symbolic import SymbolicPool
from nbgraph.tensor.signal.pool import pool_2d

MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


@pytest.mark.parametrize("mode", MODES)
def test_symbolic_sizes_match_static_sizes(mode):
    x, k, s, p = T.dtensor4('x'), T.iscalar('k'), T.ivector('s'), T.ivector('p')
    xv = np.random.RandomState(0).normal(size=(2, 3, 7, 6))
    y = pool_2d(x, ws=(k, k), stride=s, pad=p, ignore_border=True, mode=mode)
    assert isinstance(y.owner.op, SymbolicPool)
    ref = pool_2d(x, ws=(3, 3), stride=(2, 1), pad=(1, 1), ignore_border=True, mode=mode)
    got = theano.function([x, k, s, p], [y, theano.grad((y ** 2).sum(), x)])(
        xv, 3, [2, 1], [1, 1])
    want = theano.function([x], [ref, theano.grad((ref ** 2).sum(), x)])(xv)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


@pytest.mark.parametrize("mode", ["max", "average_exc_pad"])
def test_symbolic_pool_gradients_by_finite_differences(mode):
    k = T.iscalar('k')
    rng = np.random.RandomState(1)
    xv = rng.permutation(2 * 5 * 4).reshape(2, 5, 4) / 7.0   # distinct: no ties at the max

    def pooled(x):
        y = pool_2d(x, ws=(k, 2), ignore_border=False, mode=mode)
        return theano.clone(y, replace={k: T.constant(2, dtype='int32')})

    verify_grad(pooled, [xv], rng=rng)


def test_bad_symbolic_size_names_the_node():
    x, ws = T.dmatrix('x'), T.ivector('ws')
    f = theano.function([x, ws], pool_2d(x, ws=ws, ignore_border=True))
    np.testing.assert_allclose(f(np.arange(16.0).reshape(4, 4), [2, 2]), [[5, 7], [13, 15]])
    with pytest.raises(ValueError, match="symbolic sizes.*ws and stride must be >= 1"):
        f(np.ones((4, 4)), [0, 2])
