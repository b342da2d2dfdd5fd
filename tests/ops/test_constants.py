"""get_scalar_constant_value / extract_constant: what they see through and what they refuse."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph.tensor as T
from nbgraph.ops.constants import NotScalarConstantError


def test_sees_through_math_casts_and_static_shapes():
    c = T.constant(3)
    assert T.get_scalar_constant_value(c + 1) == 4
    assert T.get_scalar_constant_value(T.cast(c, "float32") * 2.5) == np.float32(7.5)
    assert T.get_scalar_constant_value(T.constant(np.full((2, 2), 5.0))) == 5.0
    x = T.tensor("float64", shape=(None, 7))
    assert T.get_scalar_constant_value(x.shape[1]) == 7
    assert T.get_scalar_constant_value(T.shape_padleft(c)) == 3
    assert T.get_scalar_constant_value(2.0) == 2.0


def test_refuses_variables():
    x = T.dscalar("x")
    for v in (x, x + 1, T.constant(np.arange(3.0)), T.dmatrix().shape[0]):
        with pytest.raises(NotScalarConstantError):
            T.get_scalar_constant_value(v)
    with pytest.raises(NotScalarConstantError):
        T.get_scalar_constant_value(T.constant(2) + 1, only_process_constants=True)


def test_extract_constant():
    x = T.dscalar("x")
    assert T.extract_constant(x) is x
    folded = T.extract_constant(T.constant(2.0) * 3)
    assert isinstance(folded, T.TensorConstant) and folded.data == 6.0
