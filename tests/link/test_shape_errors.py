"""Operands whose shapes do not fit: every linker raises a clear error naming the node and
the shapes (never a raw IndexError, a crash or a silently broadcast wrong answer), for shapes
known only at run time and for constants known when the graph is built."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.core.types import TensorType

MODES = ["FAST_COMPILE", "FAST_RUN", "JAX"]
m, n, v, u = T.matrix("m"), T.matrix("n"), T.vector("v"), T.vector("u")
A, B, C, ROW = np.ones((2, 3)), np.ones((2, 4)), np.ones((4, 5)), np.ones((1, 3))
V3, V4 = np.ones(3), np.ones(4)

# name: (inputs, output, values, words the message must contain)
CASES = {
    "elemwise": ([m, n], lambda: m + n, (A, B), ["(2, 3)", "(2, 4)"]),
    # a length 1 the type does not declare broadcastable: Theano refuses, C and XLA would not
    "elemwise_len1": ([m, n], lambda: m * n, (A, ROW), ["(2, 3)", "(1, 3)", "broadcastable"]),
    "elemwise_len1_first": ([m, n], lambda: m * n, (ROW, A), ["(2, 3)", "(1, 3)"]),
    "fused_sum": ([m, n], lambda: (m * n).sum(), (A, ROW), ["(2, 3)", "(1, 3)"]),
    "fused_sum_axis": ([m, n], lambda: (m * n + 1).sum(axis=0), (A, ROW), ["(1, 3)"]),
    "fused_max": ([m, n], lambda: T.max(m * n, axis=1), (A, B), ["(2, 3)", "(2, 4)"]),
    "grad_bias": ([m, n], lambda: T.grad(T.tanh(m + n).sum(), n), (A, ROW), ["(1, 3)"]),
    "dot_mm": ([m, n], lambda: T.dot(m, n), (A, A), ["(2, 3)"]),
    "dot_mv": ([m, v], lambda: T.dot(m, v), (A, V4), ["(2, 3)", "(4,)"]),
    "dot_vv": ([v, u], lambda: T.dot(v, u), (V3, V4), ["(3,)", "(4,)"]),
    "gemm": ([m, n], lambda: n + 2 * T.dot(m, m.T), (A, C), ["(4, 5)", "(2, 2)"]),
    "gemv": ([m, v, u], lambda: u + 2 * T.dot(m, v), (A, V3, V3), ["(3,)", "(2,)"]),
    "ger": ([m, v, u], lambda: m + T.outer(v, u), (A, V3, V3), ["(2, 3)", "(3, 3)"]),
    "subtensor_index": ([m], lambda: m[5], (A,), ["5", "(2, 3)"]),
    "advanced_index": ([m], lambda: m[[0, 5]], (A,), ["5", "(2, 3)"]),
    "slice_len1": ([m, n], lambda: m[1:] + n, (A, A), ["(1, 3)", "(2, 3)"]),
    "inc_subtensor": ([m, v], lambda: T.inc_subtensor(m[0], v), (A, V4), ["4", "3"]),
    "set_subtensor": ([m, v], lambda: T.set_subtensor(m[:, 0], v), (A, V3), ["3", "2"]),
    "advanced_inc": ([m, n], lambda: T.inc_subtensor(m[[0, 1]], n), (A, C), ["4, 5", "2, 3"]),
    "join": ([m, n], lambda: T.join(0, m, n), (A, B), ["(2, 3)", "(2, 4)"]),
    "concatenate": ([m, n], lambda: T.concatenate([m, n], axis=1), (A, C), ["(2, 3)", "(4, 5)"]),
    "stack": ([v, u], lambda: T.stack([v, u]), (V3, V4), ["3", "4"]),
    "reshape": ([m], lambda: m.reshape((4, 2)), (A,), ["(2, 3)", "4"]),
    "reshape_infer": ([m], lambda: m.reshape((5, -1)), (A,), ["(2, 3)", "5"]),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_runtime_shape_error_names_node_and_shapes(name: str, mode: str) -> None:
    if mode == "JAX":
        pytest.importorskip("jax")
    inputs, build, values, words = CASES[name]
    out = build()
    f = theano.function(inputs, out, mode=mode, on_unused_input="ignore")
    with pytest.raises((ValueError, IndexError)) as info:
        f(*values)
    message = str(info.value)
    first = message.splitlines()[0]
    assert "at node" in first, message  # the node that failed, not only the program's last
    for word in words:
        assert word in message, (word, message)
    if isinstance(info.value, IndexError):  # only a real out-of-bounds index
        assert "out of bounds" in first, message


@pytest.mark.parametrize("mode", MODES)
def test_valid_runtime_broadcasts_still_right(mode: str) -> None:
    """The checks refuse only undeclared broadcasts: row/col operands give NumPy's numbers."""
    if mode == "JAX":
        pytest.importorskip("jax")
    r, c = T.row("r"), T.col("c")
    rng = np.random.default_rng(0)
    X, R, Cv = rng.normal(size=(4, 3)), rng.normal(size=(1, 3)), rng.normal(size=(4, 1))
    f = theano.function([m, r, c], [(m * r * c + 1).sum(axis=0), T.exp(r + c), (m * r).sum()],
                        mode=mode)
    got = f(X, R, Cv)
    np.testing.assert_allclose(got[0], (X * R * Cv + 1).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(got[1], np.exp(R + Cv), rtol=1e-12)
    np.testing.assert_allclose(got[2], (X * R).sum(), rtol=1e-12)


CONSTANT_CASES = {
    "elemwise": lambda a, b: a + b,
    "dot": lambda a, b: T.dot(a, b),
    "join": lambda a, b: T.join(0, a, b),
    "fused_sum": lambda a, b: (a * b).sum(),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(CONSTANT_CASES))
def test_constant_shapes_refused(name: str, mode: str) -> None:
    """Shapes known when the graph is built: the error comes at build or compile time at the
    latest, and names both shapes."""
    if mode == "JAX":
        pytest.importorskip("jax")
    with pytest.raises(ValueError) as info:
        a, b = T.constant(np.ones((2, 3))), T.constant(np.ones((2, 4)))
        theano.function([], CONSTANT_CASES[name](a, b), mode=mode)()
    message = str(info.value).replace(" ", "")
    assert ("(2,3)" in message or "[2,3]" in message) and \
        ("(2,4)" in message or "[2,4]" in message), str(info.value)


STATIC = {
    "elemwise": lambda a, b, c: a + b,
    "dot": lambda a, b, c: T.dot(a, c),
    "join": lambda a, b, c: T.join(0, a, b),
    "reshape": lambda a, b, c: a.reshape((4, 2)),
    "inc_subtensor": lambda a, b, c: T.inc_subtensor(a[0], b[0]),
}


@pytest.mark.parametrize("name", sorted(STATIC))
def test_static_shapes_refused_when_built(name: str) -> None:
    """Types with static shapes: the graph is refused when built, naming both types."""
    a, b, c = (TensorType("float64", shape=s)(n) for s, n in
               (((2, 3), "a"), ((2, 4), "b"), ((4, 5), "c")))
    with pytest.raises(ValueError, match=r"float64\[2,3\]"):
        STATIC[name](a, b, c)
