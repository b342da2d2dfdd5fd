"""verify_grad_sparse: passes on correct sparse gradients (dense and structured points, sparse
outputs) and fails on a wrong one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse as sp

import nbgraph.sparse as S
import nbgraph.tensor as T
from nbgraph.compile.verify import GradientError
from nbgraph.core.graph import Apply
from nbgraph.core.op import Op


def _matrix(rng, shape=(4, 3)):
    m = sp.random(*shape, density=0.6, format="csr", random_state=rng.integers(1 << 30))
    m.data = rng.normal(size=m.nnz)
    return m


def test_passes_on_correct_gradients(rng):
    xv, wv = _matrix(rng), rng.normal(size=(3, 2))
    S.verify_grad_sparse(S.structured_dot, [xv, wv], structured=True, rng=rng)
    # a dense point and a sparse output read densely (no stored zeros: the gradient of a
    # sparse result is structured, so structured=False suits dense inputs)
    S.verify_grad_sparse(lambda d: S.mul(S.csr_from_dense(d), 2.0),
                         [rng.normal(size=(3, 3))], structured=False, rng=rng)
    S.verify_grad_sparse(S.structured_sigmoid, [xv], structured=True, rng=rng)
    S.verify_grad_sparse(lambda m, v: S.mul(m, v), [xv, rng.normal(size=(4, 3))],
                         structured=True, rng=rng)


class _WrongGrad(Op):
    """Doubles a dense matrix but claims the gradient is the identity."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type.make_variable()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


def test_fails_on_a_wrong_gradient(rng):
    xv = _matrix(rng)
    with pytest.raises(GradientError):
        S.verify_grad_sparse(lambda m: _WrongGrad()(S.dense_from_sparse(m)), [xv],
                             structured=True, rng=rng)
    assert np.isfinite(xv.data).all()
