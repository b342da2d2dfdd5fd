"""x + 0 is +0.0 at x = -0.0 (NumPy, IEEE), so 1 / (x + 0) is +inf: canonicalize's add_zero
and drop_neutral dropped the 0 (giving -0.0 and -inf), and XLA folds x + 0.0 to x. They keep
the zero now unless the other terms are never -0.0 (exp(x) + 0 still simplifies)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from rewrite_helpers import rules_fired

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode

LINKERS = ["py", pytest.param("c", marks=pytest.mark.skipif(
    importlib.util.find_spec("nbgraph.link.c_linker") is None, reason="no C linker")),
    pytest.param("jax", marks=pytest.mark.skipif(
        importlib.util.find_spec("jax") is None, reason="no JAX"))]


@pytest.mark.parametrize("optimizer", ["fast_run", "fast_compile", None])
@pytest.mark.parametrize("linker", LINKERS)
def test_adding_zero_to_negative_zero_is_positive_zero(linker: str, optimizer: str) -> None:
    x, y = T.dvector("x"), T.dvector("y")
    v = np.array([-0.0, 0.0, -np.inf, -2.5])
    outs = [x + 0, 1 / (x + 0), T.add(x, 0, y), 0.0 + x * y, x + 0 + 0, T.exp(x) + 0]
    got = nbgraph.function([x, y], outs, mode=Mode(linker, optimizer))(v, v)
    with np.errstate(all="ignore"):
        want = [v + 0, 1 / (v + 0), v + 0 + v, 0.0 + v * v, v + 0 + 0, np.exp(v) + 0]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(np.signbit(g), np.signbit(w))


@pytest.mark.parametrize("build, rule", [
    (lambda x, n: T.exp(x) + 0, "canonicalize/add_zero"),
    (lambda x, n: n + 0, "canonicalize/add_zero"),
    (lambda x, n: T.add(x, 0, T.exp(x)), "canonicalize/drop_neutral"),
])
def test_zero_still_dropped_where_the_sum_cannot_be_negative_zero(build, rule) -> None:  # noqa: ANN001
    x, n = T.dvector("x"), T.lvector("n")
    f = nbgraph.function([x, n], build(x, n), on_unused_input="ignore")
    assert rule in rules_fired(f)


def test_zero_kept_where_the_term_may_be_negative_zero() -> None:
    x = T.dvector("x")
    assert "canonicalize/add_zero" not in rules_fired(nbgraph.function([x], x + 0))
    assert "canonicalize/drop_neutral" not in rules_fired(
        nbgraph.function([x], T.add(x, 0, -x)))
