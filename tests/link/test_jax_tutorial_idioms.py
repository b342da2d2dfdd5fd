"""Graphs from the Deep Learning Tutorials that the JAX linker used to refuse or crash on:
an update of an array known while tracing, the minibatch slice ``data[i * bs:(i + 1) * bs]``
and the rnnrbm scan gradient (an XLA abort). Each is checked against the Python linker."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

import nbgraph  # noqa: E402
import nbgraph.tensor as T  # noqa: E402
from nbgraph.compile.mode import Mode  # noqa: E402


def both(inputs, outputs, values, optimizer=None):
    """The JAX linker's values and the Python linker's, output by output."""
    got = nbgraph.function(inputs, outputs, mode=Mode("jax", optimizer))(*values)
    want = nbgraph.function(inputs, outputs, mode=Mode("py", optimizer))(*values)
    return got, want


def assert_same(got, want):
    for g, w in zip(got, want, strict=True):
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=0)


# -- updates of an array known while tracing (it is a NumPy array then, without .at) ------
@pytest.mark.parametrize("optimizer", [None, "fast_run"])
def test_updates_of_a_base_known_while_tracing(optimizer, rng):
    y = T.dmatrix("y")
    v = T.dvector("v")
    i = T.lvector("i")
    zeros = T.zeros((3, 4))
    outs = [T.inc_subtensor(zeros[:, 1:], y), T.set_subtensor(zeros[1:, :3], y[1:]),
            T.inc_subtensor(T.zeros((5,))[i], v), T.set_subtensor(T.ones((5,))[i], v),
            T.fill_diagonal(T.zeros((3, 3)), v[0])]
    a, b = rng.standard_normal((3, 3)), rng.standard_normal(3)
    got, want = both([y, v, i], outs, [a, b, np.array([0, 4, 0])], optimizer)
    assert_same(got, want)
    assert got[2][0] == b[0] + b[2]  # repeated indices accumulate
