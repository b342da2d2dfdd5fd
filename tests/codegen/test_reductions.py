"""The reductions table, kind by kind, through the C kernels against NumPy: NaN rule, empty
axes (identity or NumPy's error) and the accumulator dtype. A new kind is tested from its row
once it names its NumPy reference here."""

from __future__ import annotations

import numpy as np
import pytest

import nbgraph
import nbgraph.tensor as T
from nbgraph.codegen.kernel import lower_reduce
from nbgraph.codegen.reductions import REDUCTIONS, Reduction
from nbgraph.compile.mode import Mode
from nbgraph.core.types import TensorType
from nbgraph.ops.elemwise import CAReduce
from nbgraph.ops.scalar import SCALAR_BY_NAME

pytest.importorskip("nbgraph.link.c_linker")

NUMPY = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min, "all": np.all,
         "any": np.any, "xor": np.bitwise_xor.reduce, "argmax": np.argmax, "argmin": np.argmin}
KINDS = list(REDUCTIONS.values())


def reduction(kind: Reduction, x, axis: int):  # noqa: ANN001, ANN201
    if kind.careduce is None:
        return getattr(T, kind.kind)(x, axis=axis)
    return CAReduce(SCALAR_BY_NAME[kind.careduce], (axis,))(x)


def values_for(kind: Reduction, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Floats with NaNs (two in row 1, one in row 3) where the kind has a NaN rule, else bools."""
    if kind.nan is None:
        return rng.random(shape) > 0.5
    a = rng.standard_normal(shape)
    if shape[0]:
        a[1, [2, 5]] = np.nan
        a[3, -1] = np.nan
    return a


@pytest.mark.parametrize("kind", KINDS, ids=lambda r: r.kind)
def test_kind_matches_numpy_with_nans(kind: Reduction, rng: np.random.Generator) -> None:
    a = values_for(kind, rng, (5, 7))
    x = TensorType(str(a.dtype), shape=(None, None))("x")
    f = nbgraph.function([x], reduction(kind, x, 1), mode=Mode("c", None))
    want = NUMPY[kind.kind](a, axis=1)
    got = f(a)
    assert got.dtype == np.asarray(want).dtype or kind.tracks_index
    if got.dtype.kind == "f":   # summation order differs from NumPy's pairwise sum
        np.testing.assert_allclose(got, want, rtol=1e-12)
    else:
        np.testing.assert_array_equal(got, want)
    if kind.nan == "propagates":
        assert np.isnan(got[[1, 3]]).all() and not np.isnan(got[[0, 2, 4]]).any()
    if kind.nan == "first":
        assert list(got[[1, 3]]) == [2, 6]


@pytest.mark.parametrize("kind", KINDS, ids=lambda r: r.kind)
def test_empty_axis_gives_the_identity_or_numpys_error(kind: Reduction,
                                                       rng: np.random.Generator) -> None:
    a = values_for(kind, rng, (0, 3))
    x = TensorType(str(a.dtype), shape=(None, None))("x")
    f = nbgraph.function([x], reduction(kind, x, 0), mode=Mode("c", None))
    if kind.has_identity:
        np.testing.assert_array_equal(f(a), NUMPY[kind.kind](a, axis=0))
    else:
        with pytest.raises(ValueError, match="identity"):
            f(a)


@pytest.mark.parametrize("dtype, kind, acc", [
    ("float32", "sum", "float64"), ("float32", "max", "float32"), ("float32", "argmax", "float32"),
    ("int8", "argmin", "int8"), ("float64", "prod", "float64"),
])
def test_accumulator_dtype(dtype: str, kind: str, acc: str) -> None:
    """float32 sums and products accumulate in double; argmax/argmin in the input's dtype."""
    x = TensorType(dtype, shape=(None, None))("x")
    out = reduction(REDUCTIONS[kind], x, 1)
    assert lower_reduce(out.owner, "k0").reduce.acc_dtype == acc


def test_identity_literals() -> None:
    assert REDUCTIONS["max"].identity_literal("float32") == "-INFINITY"
    assert REDUCTIONS["argmin"].identity_literal("int64") == "9223372036854775807LL"
    assert REDUCTIONS["max"].identity_literal("uint64") == "0ULL"
    assert REDUCTIONS["min"].identity_literal("bool") == "1"
    assert REDUCTIONS["prod"].identity_literal("float64") == "1"


def test_argmax_rule_is_one_text_for_both_orders() -> None:
    """In index order a later element replaces the extremum by ``later_wins``; merging two
    partials in either order applies the same rule to the one with the larger index."""
    kind = REDUCTIONS["argmax"]
    assert kind.update("acc", "arg", "v", "i", "double") == \
        "if (acc == acc && !(v <= acc)) { acc = v; arg = i; }"
    assert kind.merge("a", "ia", "b", "ib") == (
        "if (ib < ia ? !(b == b && !(a <= b)) : a == a && !(b <= a)) { a = b; ia = ib; }")
