"""Composite's NumPy reference (the Python path of a fused node) computes as the kernels do."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.ops.composite import Composite


def _fused(f: th.compile.function.Function) -> list[Composite]:
    return [n.op.scalar_op for n in f.maker.fgraph.apply_nodes
            if isinstance(getattr(n.op, "scalar_op", None), Composite)]


@pytest.mark.parametrize("dtype", ["int8", "uint8", "bool"])
@pytest.mark.parametrize("linker", ["py", "c"])
def test_fused_int_to_float_math_is_not_done_in_float16(dtype: str, linker: str) -> None:
    # issue 12 #1: exp(int8) + i ** j gave [3.71875, 152.375, inf] (NumPy's float16 for exp)
    b, i, j = T.vector("b", dtype=dtype), T.lvector("i"), T.lvector("j")
    f = th.function([b, i, j], T.exp(b) + i ** j, mode=th.Mode(linker=linker))
    assert _fused(f), "the test needs a fused Composite"
    bv = np.array([1, 5, 12] if dtype != "bool" else [1, 0, 1]).astype(dtype)
    iv, jv = np.array([2, 3, 4]), np.array([1, 2, 3])
    want = np.exp(bv.astype("float32")).astype("float64") + iv ** jv
    np.testing.assert_allclose(f(bv, iv, jv), want, rtol=1e-6)


def test_composite_numpy_steps_follow_the_step_dtype() -> None:
    # the reference itself, without a linker: every step's dtype is the one the graph promised
    b = T.vector("b", dtype="uint8")
    f = th.function([b], T.log1p(b) * T.sigmoid(b) + T.sqrt(b), mode=th.Mode(linker="py"))
    (composite,) = _fused(f)
    value = np.array([0, 7, 255], dtype="uint8")
    wide = value.astype("float32")
    want = np.log1p(wide) * (1 / (1 + np.exp(-wide))) + np.sqrt(wide)
    got = composite.numpy(value)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)
