"""specify_shape: the static shape it promises, the run-time check naming the node, the
gradient passing through, and shape inference."""

from __future__ import annotations

import numpy as np
import pytest
from op_shape_check import assert_infer_shape

import nbgraph as th
import nbgraph.tensor as T
from nbgraph.compile.verify import verify_grad


def test_specify_shape(rng):
    x, n = T.dmatrix("x"), T.lscalar("n")
    y = T.specify_shape(x, (3, n))
    assert y.type.shape == (3, None)
    xv = rng.normal(size=(3, 4))
    f = th.function([x, n], y * 2)
    np.testing.assert_array_equal(f(xv, 4), xv * 2)
    with pytest.raises(AssertionError, match=r"SpecifyShape at node \d+: the input has shape "
                                             r"\(3, 4\) but the shape specified is \(3, 5\)"):
        f(xv, 5)   # Theano's SpecifyShape raised AssertionError too
    assert_infer_shape(y, [x, n], [xv, 4])
    verify_grad(lambda a: T.specify_shape(a, (3, 4)) ** 2, [xv], rng=rng)
    with pytest.raises(ValueError, match="x float64.* has 2 dimensions but the shape has 3"):
        T.specify_shape(x, (1, 2, 3))


def test_get_vector_length_and_dtype_lists():
    assert T.get_vector_length(T.dtensor3().shape) == 3
    assert T.get_vector_length(T.stack([T.dscalar(), T.dscalar()])) == 2
    assert T.get_vector_length(T.constant(np.arange(5))) == 5
    with pytest.raises(ValueError, match="is not known before it runs"):
        T.get_vector_length(T.dvector("v"))
    assert T.discrete_dtypes[0] == "bool" and "complex128" in T.continuous_dtypes
    assert set(T.all_dtypes) == set(T.discrete_dtypes) | set(T.continuous_dtypes)
    assert T.isinf_ is T.isinf and T.isnan_ is T.isnan
