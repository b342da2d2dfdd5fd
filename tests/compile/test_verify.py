"""``verify_grad``: compiles once whatever ``n_tests`` is, and still catches a wrong gradient
under every projection."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.compile import verify
from nbgraph.compile.verify import GradientError, verify_grad
from nbgraph.core.graph import Apply
from nbgraph.core.op import Op


@pytest.mark.parametrize("n_tests", [1, 5])
def test_compiles_two_functions_whatever_n_tests(monkeypatch, rng, n_tests):
    compiled = []

    def counting(*args, **kwargs):
        compiled.append(args[1])
        return function(*args, **kwargs)

    function = verify.function
    monkeypatch.setattr(verify, "function", counting)
    verify_grad(lambda m: T.tanh(m) * 2, [rng.normal(size=(3, 2))], n_tests=n_tests, rng=rng)
    assert len(compiled) == 2  # the output, and the gradient of its projection


class _HalfGradSquare(Op):
    """x ** 2 whose gradient is x (half the truth)."""

    __props__ = ()

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] ** 2

    def grad(self, inputs, output_grads):
        return [output_grads[0] * inputs[0]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_wrong_gradient_raises_naming_the_input(rng, dtype):
    point = rng.uniform(1.0, 2.0, size=(2, 3)).astype(dtype)
    with pytest.raises(GradientError, match="gradient of input 1 differs"):
        verify_grad(lambda a, b: a + _HalfGradSquare()(b), [point, point], rng=rng)


def test_a_right_gradient_passes_for_a_scalar_output(rng):
    verify_grad(lambda v: T.sum(T.exp(v) * v), [rng.normal(size=4)], n_tests=3, rng=rng)
    verify_grad(lambda v: T.sum(T.exp(v) * v), [np.arange(3)], rng=rng)  # ints -> float64
