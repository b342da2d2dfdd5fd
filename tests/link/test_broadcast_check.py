"""Theano's broadcast rule checked in the C entry points: a run-time length 1 broadcasts only on
a dimension the operand's type declares broadcastable. The kernel's entry point refuses any
other (return code 1), so the general path raises the error naming the node, and the Python
thunk checks no shapes itself."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.core.types import TensorType
from nbgraph.link import c_thunks

C = Mode("c", "fast_run")
m, n = T.dmatrices("m", "n")
r, c = T.drow("r"), T.dcol("c")
x3 = T.dtensor3("x3")
y3 = TensorType("float64", shape=(1, None, None))("y3")  # broadcasts on dimension 0 only


@pytest.fixture
def codes(monkeypatch) -> list[int]:
    """The return codes of every kernel entry point called over arrays."""
    seen: list[int] = []
    real = c_thunks.arrays_thunk

    def spy(fn: Any) -> Any:
        def call(objs: Any) -> int:
            seen.append(fn(objs))
            return seen[-1]
        return call

    def spied(node: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        args = list(args)
        if len(args) > 5 and args[5] is not None:  # ``load``: the strided entry point
            load = args[5]
            args[5] = lambda: spy(load())
        return real(node, spy(fn), *args, **kwargs)

    monkeypatch.setattr(c_thunks, "arrays_thunk", spied)
    return seen


# name: (inputs, output, NumPy reference, good values, values with an undeclared length 1)
CASES = {
    "elemwise_row": ([m, r], lambda: T.exp(m) * r, lambda a, b: np.exp(a) * b,
                     ((4, 3), (1, 3)), None),
    "elemwise_len1": ([m, n], lambda: T.exp(m) * n, lambda a, b: np.exp(a) * b,
                      ((4, 3), (4, 3)), ((4, 3), (1, 3))),
    "elemwise_len1_first": ([m, n], lambda: m * n + 1, lambda a, b: a * b + 1,
                            ((4, 3), (4, 3)), ((1, 3), (4, 3))),
    "elemwise_3d_middle": ([x3, y3], lambda: T.tanh(x3 + y3), lambda a, b: np.tanh(a + b),
                           ((2, 3, 4), (1, 3, 4)), ((2, 3, 4), (1, 1, 4))),
    "sum_prologue": ([m, n], lambda: (m * n + 1).sum(axis=0), lambda a, b: (a * b + 1).sum(0),
                     ((4, 3), (4, 3)), ((4, 3), (4, 1))),
    "max_prologue_first": ([m, n], lambda: T.max(m - n, axis=1), lambda a, b: (a - b).max(1),
                           ((4, 3), (4, 3)), ((1, 3), (4, 3))),
    "sum_prologue_col": ([m, c], lambda: (m * c).sum(), lambda a, b: (a * b).sum(),
                         ((4, 3), (4, 1)), None),
    "sum_prologue_3d": ([x3, y3], lambda: (x3 * y3).sum(axis=(0, 2)),
                        lambda a, b: (a * b).sum((0, 2)), ((2, 3, 4), (1, 3, 4)),
                        ((2, 3, 4), (1, 3, 1))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_declared_broadcasts_run_in_c_and_others_raise_naming_the_node(name, codes, rng):
    inputs, build, ref, good, bad = CASES[name]
    f = nbgraph.function(inputs, build(), mode=C)
    vals = [rng.standard_normal(s) for s in good]
    np.testing.assert_allclose(f(*vals), ref(*vals), rtol=1e-13)
    assert codes and set(codes) <= {0, 2}  # C ran it (2: load the strided entry point)
    if bad is None:
        return
    codes.clear()
    with pytest.raises(ValueError, match="broadcastable") as info:
        f(*[rng.standard_normal(s) for s in bad])
    assert "at node" in str(info.value).splitlines()[0]
    assert codes[0] == 1  # C refused the length 1 (the Python thunk checks no shapes)


def test_strided_operands_get_the_same_check(codes, rng):
    f = nbgraph.function([m, n], T.exp(m) + n, mode=C)
    a = rng.standard_normal((6, 8))[:, ::2]
    np.testing.assert_allclose(f(a, a[::-1]), np.exp(a) + a[::-1], rtol=1e-14)
    assert codes and set(codes) <= {0, 2}
    codes.clear()
    with pytest.raises(ValueError, match="broadcastable"):
        f(a, a[:1])
    assert codes[0] == 1
