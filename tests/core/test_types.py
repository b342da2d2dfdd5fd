"""TensorType: static shapes, equality, value checking (filter) and its error messages."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.core.types import TensorType, upgrade_to_float


def test_broadcastable_and_shape_agree() -> None:
    t = TensorType("float32", (False, True))
    assert t.shape == (None, 1) and t.broadcastable == (False, True) and t.ndim == 2
    assert TensorType("float32", shape=(None, 1)) == t
    assert hash(TensorType("float32", shape=(None, 1))) == hash(t)
    assert str(t) == "TensorType(float32, (False, True))"
    assert str(T.dmatrix().type) == "TensorType(float64, matrix)"
    assert t.short() == "float32[?,1]"


def test_floatx_alias() -> None:
    from nbgraph.config import config
    assert TensorType("floatX", ()).dtype == config.floatX


def test_filter_accepts_lossless_conversions() -> None:
    t = TensorType("float64", (False,))
    assert t.filter([1, 2, 3]).dtype == np.float64
    assert t.filter(np.arange(3, dtype="int32")).dtype == np.float64
    value = np.zeros(3)
    assert t.filter(value) is value  # no copy when it already fits


def test_filter_refuses_lossy_downcast_unless_allowed() -> None:
    t = TensorType("float32", (False,))
    with pytest.raises(TypeError, match=r"input 'x'.*float64 data.*allow_input_downcast"):
        t.filter(np.zeros(3), name="x")
    assert t.filter(np.zeros(3), allow_downcast=True).dtype == np.float32
    assert t.filter([0.5, 1.5]).dtype == np.float32  # a list of exactly representable values


def test_filter_checks_rank_and_static_shape() -> None:
    with pytest.raises(TypeError, match="expected 2-d float64"):
        TensorType("float64", (False, False)).filter(np.zeros(3), name="m")
    with pytest.raises(ValueError, match="dimension 1 is 4, must be 1"):
        TensorType("float64", (False, True)).filter(np.zeros((2, 4)))


def test_filter_python_scalar_must_fit() -> None:
    assert TensorType("int32", ()).filter(3) == 3
    with pytest.raises(TypeError, match="does not fit int32"):
        TensorType("int32", ()).filter(2.5)


@pytest.mark.parametrize("dtype, expected", [("int8", "float32"), ("int32", "float64"),
                                             ("bool", "float32"), ("float32", "float32")])
def test_upgrade_to_float(dtype: str, expected: str) -> None:
    assert upgrade_to_float(dtype) == expected


def test_constructors_cover_every_prefix_and_kind() -> None:
    for prefix, dtype in {"b": "int8", "w": "int16", "i": "int32", "l": "int64",
                          "f": "float32", "d": "float64", "c": "complex64",
                          "z": "complex128"}.items():
        for kind, ndim in [("scalar", 0), ("vector", 1), ("matrix", 2), ("row", 2),
                           ("col", 2), ("tensor3", 3), ("tensor4", 4)]:
            var = getattr(T, prefix + kind)("v")
            assert (var.dtype, var.ndim, var.name) == (dtype, ndim, "v")
    a, b = T.dmatrices("a", "b")
    assert (a.name, b.name, a.dtype) == ("a", "b", "float64")
    assert T.row().broadcastable == (True, False) and T.col().broadcastable == (False, True)
