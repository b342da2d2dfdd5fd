"""Gradients through piecewise-constant ops (``//``, floor, ceil, trunc, round, sign) are
connected zeros, as Theano 1.0's (its IntDiv/Floor/RoundHalfToEven/Sgn... grads return zeros),
while a ``wrt`` that is not in the cost's graph at all still raises."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.core.gradient import DisconnectedInputError, grad

PIECEWISE = {
    "int_div": lambda x: x // 0.75,
    "floor": T.floor,
    "ceil": T.ceil,
    "trunc": T.trunc,
    "round_half_to_even": T.round_half_to_even,
    "round_half_away_from_zero": T.round_half_away_from_zero,
    "sgn": T.sgn,
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_piecewise_constant_ops_have_zero_gradients(name, dtype, rng):
    x = T.vector("x", dtype=dtype)
    y = T.scalar("y", dtype=dtype)
    cost = T.sum(PIECEWISE[name](x * y) ** 2)
    gx, gy = grad(cost, [x, y])
    assert gx.dtype == dtype and gy.dtype == dtype
    a = rng.uniform(0.6, 3.0, 5).astype(dtype)
    for mode in (Mode("py", None), Mode("c", "fast_run")):
        got = nbgraph.function([x, y], [gx, gy], mode=mode)(a, np.asarray(1.3, dtype))
        np.testing.assert_array_equal(got[0], np.zeros(5, dtype))
        np.testing.assert_array_equal(got[1], np.zeros((), dtype))


def test_a_piecewise_term_adds_nothing_to_a_smooth_one():
    w = nbgraph.shared(np.array([1.5, -2.0, 0.25]), name="w")
    g = grad(T.sum(w ** 2) + T.floor(T.sum(w)) + T.sum(w ** 2) // 4, w)
    np.testing.assert_allclose(g.eval(), 2 * w.get_value(), rtol=1e-15)


def test_a_variable_outside_the_graph_still_raises():
    x, z = T.dvector("x"), T.dvector("z")
    with pytest.raises(DisconnectedInputError):
        grad(T.sum(T.floor(x)), z)
    # an integer the cost depends on through // gets floatX zeros, as before
    k = T.lscalar("k")
    g = grad(T.sum(x) + k // 2, k)
    assert g.eval({k: np.array(5)}) == 0.0 and g.dtype == "float64"
