"""The VM: runs thunks in order over preallocated cells; errors name the node."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.link.vm import VM, make_storage


def test_thunks_run_in_order():
    seen = []
    vm = VM([None, None], [lambda: seen.append(1), lambda: seen.append(2)], [[], []])
    vm()
    vm()
    assert seen == [1, 2, 1, 2]


def test_error_names_node_and_input_shapes(linker):
    x, y = T.dmatrices("x", "y")
    f = nbgraph.function([x, y], T.dot(x, y), mode=Mode(linker, None))
    with pytest.raises(ValueError, match="while computing node"):
        f(np.ones((2, 3)), np.ones((2, 3)))


def test_storage_cells_are_shared_per_variable():
    x = T.dvector("x")
    c = T.constant(np.arange(3.0))
    storage = make_storage([x, c, x])
    assert len(storage) == 2 and storage[c][0] is c.data and storage[x] == [None]


def test_trust_input_skips_checks_and_stays_correct(linker):
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) + 1, mode=Mode(linker, "fast_run"))
    f.trust_input = True
    np.testing.assert_allclose(f(np.zeros(4)), np.full(4, 2.0))


def test_checked_calls_convert_lists_and_reject_bad_ranks(linker):
    x = T.dvector("x")
    f = nbgraph.function([x], x * 2, mode=Mode(linker, "fast_run"))
    np.testing.assert_allclose(f([1, 2]), [2.0, 4.0])
    with pytest.raises(TypeError):
        f(np.ones((2, 2)))
