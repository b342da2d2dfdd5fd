"""Gradient defects found by finite differences and at extreme inputs, one test each, on the
py, C and JAX linkers against float64 NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.gradient import numeric_grad, verify_grad

MODES = ["FAST_COMPILE", "FAST_RUN", "JAX"]


@pytest.mark.parametrize("mode", MODES)
def test_set_subtensor_repeated_index_grad_goes_to_the_kept_write(mode: str) -> None:
    # x[[0, 2, 0]] = y keeps y's last row 0: its first row 0 never reaches the output
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    verify_grad(lambda a, b: T.set_subtensor(a[[0, 2, 0]], b), [x, y], mode=mode, rng=rng)
    xm, ym = T.dmatrix("x"), T.dmatrix("y")
    gy = nbgraph.grad(T.set_subtensor(xm[[0, 2, 0]], ym).sum(), ym)
    np.testing.assert_array_equal(nbgraph.function([xm, ym], gy, mode=mode)(x, y),
                                  [[0] * 4, [1] * 4, [1] * 4])


@pytest.mark.parametrize("mode", MODES)
def test_set_subtensor_repeated_pairs_and_broadcast_value(mode: str) -> None:
    rng = np.random.default_rng(1)
    x, s = rng.normal(size=(3, 4)), np.array(0.7)
    # the pair (1, 2) twice, and a scalar set at two equal rows: counted once each
    verify_grad(lambda a, b: T.set_subtensor(a[[1, 0, 1], [2, 3, 2]], b),
                [x, rng.normal(size=3)], mode=mode, rng=rng)
    verify_grad(lambda a, b: T.set_subtensor(a[[2, 2]], b) * a, [x, s], mode=mode, rng=rng)
