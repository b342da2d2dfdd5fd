"""grad builds graph: values against finite differences, options, and provenance tags."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import GradientError, verify_grad
from nbgraph.core.gradient import DisconnectedInputError, disconnected_grad, zero_grad
from nbgraph.core.graph import Variable, ancestors


def test_grad_returns_graph_not_numbers() -> None:
    x = T.dscalar("x")
    g = th.grad(x ** 3, x)
    assert isinstance(g, Variable) and g.owner is not None
    assert g.eval({x: 2.0}) == pytest.approx(12.0)


def test_grad_tags_backward_nodes_with_their_forward_node() -> None:
    x = T.dvector("x")
    y = T.exp(x)
    cost = y.sum()
    g = th.grad(cost, x)
    forward = {y.owner.uid, cost.owner.uid}
    tagged = [v.owner for v in ancestors([g]) if v.owner is not None
              and hasattr(v.owner.tag, "grad_of")]
    assert tagged, "backward nodes must carry tag.grad_of"
    assert {n.tag.grad_of for n in tagged} <= forward
    assert not hasattr(y.owner.tag, "grad_of")


def test_broadcasting_undone_for_row_col_and_scalar(rng) -> None:  # noqa: ANN001
    m, r, c, s = T.dmatrix("m"), T.drow("r"), T.dcol("c"), T.dscalar("s")
    cost = ((m * r + c) * s).sum()
    grads = th.grad(cost, [m, r, c, s])
    assert [g.broadcastable for g in grads] == [v.broadcastable for v in (m, r, c, s)]
    values = [rng.random((3, 4)), rng.random((1, 4)), rng.random((3, 1)), 1.5]
    got = th.function([m, r, c, s], grads)(*values)
    mv, rv, cv, sv = values
    want = [np.broadcast_to(rv * sv, (3, 4)), (mv * sv).sum(0, keepdims=True),
            np.full((3, 1), 4 * sv), (mv * rv + cv).sum()]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13)


def test_vector_broadcast_against_matrix(rng) -> None:  # noqa: ANN001
    verify_grad(lambda m, v: T.tanh(m + v) * v, [rng.random((3, 4)), rng.random(4)], rng=rng)


def test_shared_contributions_are_summed(rng) -> None:  # noqa: ANN001
    verify_grad(lambda x: T.exp(x) * T.sin(x) + x * x / (1 + T.exp(x)), [rng.random(5)],
                rng=rng)


def test_dot_gradient(rng) -> None:  # noqa: ANN001
    verify_grad(lambda a, b: T.dot(a, b), [rng.random((3, 4)), rng.random((4, 2))], rng=rng)
    verify_grad(lambda a, b: T.dot(a, b), [rng.random(4), rng.random((4, 2))], rng=rng)
    verify_grad(lambda a, b: T.dot(a, b), [rng.random((3, 4)), rng.random(4)], rng=rng)
    verify_grad(lambda a, b: T.dot(a, b), [rng.random(4), rng.random(4)], rng=rng)


def test_cost_must_be_scalar() -> None:
    with pytest.raises(TypeError, match="cost must be a scalar"):
        th.grad(T.dvector(), T.dvector())


def test_disconnected_inputs() -> None:
    x, y = T.dscalars("x", "y")
    with pytest.raises(DisconnectedInputError, match="does not depend on y"):
        th.grad(x * 2, [x, y])
    gx, gy = th.grad(x * 2, [x, y], disconnected_inputs="ignore")
    assert gy.eval({y: 3.0}) == 0.0
    with pytest.warns(UserWarning, match="does not depend"):
        th.grad(x * 2, y, disconnected_inputs="warn")


def test_consider_constant_and_disconnected_grad() -> None:
    x = T.dscalar("x")
    y = x * x
    assert th.grad(y * x, x, consider_constant=[y]).eval({x: 3.0}) == pytest.approx(9.0)
    assert th.grad(disconnected_grad(y) * x, x).eval({x: 3.0}) == pytest.approx(9.0)
    assert th.grad(zero_grad(y) * x + x, x).eval({x: 3.0}) == pytest.approx(10.0)


def test_known_grads_seeds_the_backward_pass() -> None:
    x = T.dvector("x")
    y = T.exp(x)
    g = th.grad(None, x, known_grads={y: T.ones_like(y) * 2})
    np.testing.assert_allclose(g.eval({x: np.zeros(3)}), [2, 2, 2])


def test_grad_names_only_fresh_gradients_of_one_wrt() -> None:
    a, b = T.dscalars("a", "b")
    ga, gb = th.grad(a + b, [a, b])  # add passes the seed through: one Variable for both
    assert ga is gb and ga.name is None
    ga, gb = th.grad(a * b, [a, b])
    assert (ga.name, gb.name) == ("(dcost/da)", "(dcost/db)")
    y, z, w = T.dscalar("y"), T.dscalar("z"), T.dscalar("w")
    gy, gw = th.grad(w * 2, [y, w], known_grads={y: z})
    assert gy is z and z.name == "z"  # the caller's own Variable keeps its name
    assert gw.name == "(dcost/dw)"


def test_gradient_wrt_int_input_is_zeros_as_in_theano() -> None:
    i = T.ivector("i")
    x = T.dvector("x")
    g = th.grad((x * i).sum(), i)
    assert g.dtype == "float64"
    np.testing.assert_array_equal(g.eval({i: np.arange(3, dtype="int32")}), np.zeros(3))
    with pytest.raises(DisconnectedInputError):   # an integer the cost does not use
        th.grad(x.sum(), i)


def test_lop_and_rop(rng) -> None:  # noqa: ANN001
    w = T.dmatrix("w")
    x = T.dvector("x")
    y = T.tanh(T.dot(w, x))
    v = T.dvector("v")
    u = T.dvector("u")
    wv, xv, vv, uv = rng.random((3, 4)), rng.random(4), rng.random(3), rng.random(4)
    jac = (1 - np.tanh(wv @ xv) ** 2)[:, None] * wv  # dy/dx
    lop = th.Lop(y, x, v)
    rop = th.Rop(y, x, u)
    np.testing.assert_allclose(th.function([w, x, v], lop)(wv, xv, vv), vv @ jac, rtol=1e-12)
    np.testing.assert_allclose(th.function([w, x, u], rop)(wv, xv, uv), jac @ uv, rtol=1e-12)


def test_verify_grad_catches_a_wrong_gradient() -> None:
    from nbgraph.core.graph import Apply
    from nbgraph.core.op import Op

    class BadSquare(Op):
        def make_node(self, x):  # noqa: ANN001, ANN202
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):  # noqa: ANN001, ANN202
            out[0][0] = inputs[0] ** 2

        def grad(self, inputs, gs):  # noqa: ANN001, ANN202
            return [gs[0] * 3 * inputs[0]]  # wrong: should be 2x

    with pytest.raises(GradientError, match="gradient of input 0 differs"):
        verify_grad(lambda x: BadSquare()(x), [np.array([1.0, 2.0])])


def test_second_derivative_through_grad() -> None:
    x = T.dscalar("x")
    g = th.grad(T.sin(x) * x, x)
    h = th.grad(g, x)
    xv = 0.7
    assert h.eval({x: xv}) == pytest.approx(2 * np.cos(xv) - xv * np.sin(xv), rel=1e-12)
