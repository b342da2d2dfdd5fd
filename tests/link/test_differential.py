"""The Python and C linkers agree: every table row, reductions, and awkward memory layouts
(broadcast, strided, reversed, transposed, zero-size, 0-d); float64 to 1e-12, float32 to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest
from differential_graphs import (
    AXES,
    LAYOUTS,
    REDUCTIONS,
    empty_reduction_cases,
    extreme_int_cases,
    mixed_dtype_cases,
    row_values,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.core.types import TensorType
from nbgraph.ops.elemwise import Elemwise
from nbgraph.ops.scalar import SCALAR_OPS, cast_spec

pytest.importorskip("nbgraph.link.c_linker")

PY = Mode("py", None)
C = Mode("c", None)
TOL = {"float64": 1e-12, "float32": 1e-5}


def run_both(inputs, outputs, values, optimizer=None):
    """Values from the Python linker and the C linker (same graph, same rewrites)."""
    py = nbgraph.function(inputs, outputs, mode=Mode("py", optimizer))(*values)
    c = nbgraph.function(inputs, outputs, mode=Mode("c", optimizer))(*values)
    return py, c


def assert_same(py, c, dtype, scale=0.0):
    """Equal to the dtype's relative tolerance; sums that cancel compare against ``scale``
    (the magnitude of their terms)."""
    py, c = np.asarray(py), np.asarray(c)
    assert py.shape == c.shape and py.dtype == c.dtype, (py.shape, c.shape, py.dtype, c.dtype)
    if py.dtype.kind == "f":
        rtol = TOL.get(str(py.dtype), 1e-12)
        np.testing.assert_allclose(c, py, rtol=rtol, atol=rtol * max(1e-3, scale),
                                   equal_nan=True)
    else:
        np.testing.assert_array_equal(c, py)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("spec", SCALAR_OPS, ids=lambda s: s.name)
def test_every_row_matches_python(spec, dtype, rng):
    dtypes, values = row_values(spec, dtype, rng)
    xs = [TensorType(d, shape=(None, None))(f"x{k}") for k, d in enumerate(dtypes)]
    out = Elemwise(spec)(*xs)
    py, c = run_both(xs, out, values)
    assert_same(py, c, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "bool", "uint8"])
@pytest.mark.parametrize("target", ["float64", "float32", "int64", "int8", "bool"])
def test_casts_match_python(dtype, target, rng):
    x = TensorType(dtype, shape=(None,))("x")
    value = (rng.uniform(-100, 100, 20)).astype(dtype)
    py, c = run_both([x], Elemwise(cast_spec(target))(x), [value])
    assert_same(py, c, target)


def test_integer_division_and_modulo_follow_numpy(rng):
    x, y = T.lvector("x"), T.lvector("y")
    a = np.array([7, -7, 7, -7, 0, 5, -5], dtype="int64")
    b = np.array([2, 2, -2, -2, 3, 0, 0], dtype="int64")
    py, c = run_both([x, y], [x // y, x % y], [a, b])
    for p, q in zip(py, c, strict=True):
        assert_same(p, q, "int64")
    u, v = T.dvectors("u", "v")
    fa = np.array([7.5, -7.5, 7.5, -7.5, 0.0, 1.0, -0.0, np.inf, np.nan])
    fb = np.array([2.0, 2.0, -2.0, -2.0, 3.0, 0.0, 5.0, 2.0, 1.0])
    with np.errstate(all="ignore"):
        py, c = run_both([u, v], [u // v, u % v], [fa, fb])
    for p, q in zip(py, c, strict=True):
        np.testing.assert_array_equal(q, p)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_memory_layouts(layout, dtype, rng):
    x, y = T.matrices("x", "y", dtype=dtype) if hasattr(T, "matrices") else (
        T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype))
    a = rng.standard_normal((6, 5)).astype(dtype)
    b = rng.standard_normal((6, 5)).astype(dtype)
    expr = T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x)
    py, c = run_both([x, y], expr, [LAYOUTS[layout](a), b], optimizer="fast_run")
    assert_same(py, c, dtype)


@pytest.mark.parametrize("shapes", [((0, 3), (0, 3)), ((), ()), ((4, 1), (1, 3)),
                                    ((1, 1), (5, 2)), ((5, 0), (1, 0))],
                         ids=["zero-size", "0-d", "outer", "scalar-like", "zero-bcast"])
def test_broadcast_zero_size_and_0d(shapes, rng):
    types = [TensorType("float64", shape=tuple(1 if s == 1 else None for s in sh))
             for sh in shapes]
    x, y = types[0]("x"), types[1]("y")
    a, b = (rng.standard_normal(sh) for sh in shapes)
    py, c = run_both([x, y], T.exp(x) * y + x, [a, b], optimizer="fast_run")
    assert_same(py, c, "float64")


def test_mismatched_shapes_raise_on_both():
    x, y = T.dvectors("x", "y")
    for mode in (PY, C):
        f = nbgraph.function([x, y], x + y, mode=mode)
        with pytest.raises(ValueError):
            f(np.ones(3), np.ones(4))


@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("name", REDUCTIONS)
def test_reductions(name, axis, rng):
    x = T.dtensor3("x")
    a = rng.standard_normal((3, 4, 5))
    if name in ("all", "any"):
        a = (a > 0).astype("int64")
        x = T.ltensor3("x")
    if name in ("argmax", "argmin") and isinstance(axis, tuple):
        axis = 1
    out = getattr(T, name)(x, axis=axis)
    py, c = run_both([x], out, [a])
    assert_same(py, c, "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reduction_with_fused_prologue(dtype, rng):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    a = rng.standard_normal((6, 50)).astype(dtype)
    b = rng.standard_normal((6, 50)).astype(dtype)
    for axis in (None, 0, 1):
        out = T.sum(T.exp(x) * y, axis=axis)
        py, c = run_both([x, y], out, [a, b[:, ::-1]], optimizer="fast_run")
        assert_same(py, c, dtype, scale=float(np.abs(np.exp(a) * b).sum()))


def test_reductions_of_zero_size():
    x = T.dmatrix("x")
    a = np.ones((0, 3))
    for out in (T.sum(x, axis=0), T.prod(x, axis=0), T.max(x, axis=1)):
        py, c = run_both([x], out, [a])
        assert_same(py, c, "float64")
    f = nbgraph.function([x], T.max(x, axis=0), mode=C)
    with pytest.raises(ValueError):
        f(a)


def test_nan_propagation_in_max_and_argmax():
    x = T.dvector("x")
    a = np.array([1.0, np.nan, 3.0, np.nan])
    py, c = run_both([x], [T.max(x), T.argmax(x), T.maximum(x, 2.0)], [a])
    for p, q in zip(py, c, strict=True):
        assert_same(p, q, "float64")


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between float64 arrays (0 where both are the same nan/inf)."""
    ia = a.view(np.int64).astype(object)
    ib = b.view(np.int64).astype(object)
    to_ordered = np.vectorize(lambda i: i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF))
    d = np.abs(to_ordered(ia) - to_ordered(ib)).astype(float)
    same = (np.isnan(a) & np.isnan(b)) | (a == b)
    return np.where(same, 0, d)


SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2e-308, 1e-310,
                     1e300, -1e300, 709.78, -745.1, 1.0, -1.0, 0.5])


@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tanh", "expm1", "log1p", "tan",
                                  "sinh", "cosh", "arctan", "arcsinh", "erf", "log2", "log10",
                                  "sigmoid", "softplus", "sqrt"])
def test_float64_within_4_ulp_of_numpy(name, rng):
    values = np.concatenate([SPECIALS, rng.uniform(-20, 20, 2000),
                             np.exp(rng.uniform(-700, 700, 500))])
    x = T.dvector("x")
    with np.errstate(all="ignore"):
        py, c = run_both([x], getattr(T, name)(x), [values])
    assert np.array_equal(np.isnan(py), np.isnan(c))
    assert ulp_distance(py, c).max() <= 4


UNARY = {"exp": T.exp, "tanh": T.tanh, "sin": T.sin, "neg": lambda a: -a,
         "sqr": lambda a: a * a, "abs": abs, "sigmoid": T.nnet.sigmoid}
BINARY = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
          "maximum": T.maximum, "minimum": T.minimum}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)),
                          st.integers(0, 100), st.integers(0, 100)), min_size=1, max_size=8),
       st.sampled_from(["float64", "float32"]))
def test_random_graphs_agree(ops, dtype):
    x, y = T.matrix("x", dtype=dtype), T.row("y", dtype=dtype)
    values = [x, y]
    for name, i, j in ops:
        a, b = values[i % len(values)], values[j % len(values)]
        out = UNARY[name](a) if name in UNARY else BINARY[name](a, b)
        values.append(T.tanh(out))  # keep magnitudes bounded
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 3)).astype(dtype)
    b = rng.standard_normal((1, 3)).astype(dtype)
    py, c = run_both([x, y], values[-1] + x * y, [a, b], optimizer="fast_run")
    # tanh(...) (at most 1) + x*y may cancel: a last-bit difference in tanh stays absolute
    assert_same(py, c, dtype, scale=1 + float(np.abs(a * b).max()))


# operands as views: LSTM gate slices, transposes, reversed and stepped axes, broadcast
# rows and columns taken out of larger arrays, and a 3-D permutation
STRIDED_VIEWS = {
    "column-slice": lambda a: np.concatenate([a, a], axis=1)[:, 5:10],
    "transposed": lambda a: np.ascontiguousarray(a.T).T,
    "negative": lambda a: np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1],
    "stepped-negative": lambda a: np.repeat(a, 3, axis=0)[::-3][::-1],
}


@pytest.mark.parametrize("view", sorted(STRIDED_VIEWS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_strided_operands_elementwise_and_reductions(view, dtype, rng):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    b = TensorType(dtype, shape=(1, None))("b")
    c = TensorType(dtype, shape=(None, 1))("c")
    a_val = rng.standard_normal((6, 5)).astype(dtype)
    y_val = rng.standard_normal((6, 5)).astype(dtype)
    wide = rng.standard_normal((3, 10)).astype(dtype)
    b_val, c_val = wide[1:2, ::2], wide.T[:6, 2:3]   # broadcast operands, themselves strided
    gate = T.tanh(x + b) * T.nnet.sigmoid(y) - c
    outs = [gate, (x * y).sum(axis=0), T.exp(x).max(axis=1), T.argmax(x * c, axis=0),
            (x + y).sum()]
    values = [STRIDED_VIEWS[view](a_val), STRIDED_VIEWS[view](y_val), b_val, c_val]
    py, cc = run_both([x, y, b, c], outs, values, optimizer="fast_run")
    for p, q in zip(py, cc, strict=True):
        assert_same(p, q, dtype, scale=10.0)
    want = np.tanh(a_val + b_val) / (1 + np.exp(-y_val.astype("float64"))) - c_val
    np.testing.assert_allclose(cc[0], want, rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)


def test_strided_3d_permutation_and_in_graph_slices(rng):
    x = T.dtensor3("x")
    h = T.dmatrix("h")
    a = rng.standard_normal((4, 5, 6))
    preact = rng.standard_normal((3, 8))
    gates = [T.nnet.sigmoid(h[:, k * 2:(k + 1) * 2]) for k in range(4)]
    outs = [T.exp(x) * 2 + x, x.sum(axis=(0, 2)), gates[0] * gates[1] + gates[2] * gates[3]]
    values = [np.transpose(a, (2, 0, 1)), preact]
    py, cc = run_both([x, h], outs, values, optimizer="fast_run")
    for p, q in zip(py, cc, strict=True):
        assert_same(p, q, "float64", scale=10.0)
    sig = 1 / (1 + np.exp(-preact))
    np.testing.assert_allclose(cc[2], sig[:, 0:2] * sig[:, 2:4] + sig[:, 4:6] * sig[:, 6:8],
                               rtol=1e-12)
# -- issue 12: mixed operand dtypes, integer extremes, signed zero ----------------------------
def run_numpy_py_c(inputs, output, values):
    """(NumPy-checked) Python and C values of one output on ``values``."""
    py, c = run_both(inputs, output, values)
    assert np.asarray(py).dtype == np.asarray(c).dtype == output.dtype
    return py, c


MIXED = [("int64", "uint64"), ("uint32", "int32"), ("float32", "int32"), ("int8", "uint64"),
         ("uint8", "int8"), ("bool", "int16"), ("float32", "int64")]
MIXED_VALUES = {"int64": [-1, 5, 2**40], "uint64": [3, 2**63 + 7, 1], "uint32": [3, 2**32 - 1, 7],
                "int32": [-1, 16777217, -2**31], "float32": [0.5, -2.5, 16777216.0],
                "int8": [-128, 127, -1], "uint8": [255, 0, 3], "bool": [True, False, True],
                "int16": [-300, 3, 0], "int64b": [-1, 16777217, 7]}


def _mixed(a: str, b: str) -> tuple[list, list[np.ndarray]]:
    xs = [T.vector("a", dtype=a), T.vector("b", dtype=b)]
    values = [np.array(MIXED_VALUES[a], dtype=a),
              np.array(MIXED_VALUES["int64b" if b == "int64" else b], dtype=b)]
    return xs, values


@pytest.mark.parametrize("a, b", MIXED, ids=[f"{a}-{b}" for a, b in MIXED])
def test_switch_casts_both_branches_to_the_output_dtype(a, b):
    # issue 12 #2: switch(c, int64, uint64) -> float64 gave 1.8e19 for -1 in C
    (x, y), (xv, yv) = _mixed(a, b)
    cond = T.vector("c", dtype="bool")
    cv = np.array([True, False, False])
    for build in (lambda: T.switch(cond, x, y), lambda: T.switch(cond, y, x)):
        out = build()
        py, c = run_numpy_py_c([cond, x, y], out, [cv, xv, yv])
        want = np.where(cv, xv, yv) if out.owner.inputs[1] is x else np.where(cv, yv, xv)
        np.testing.assert_array_equal(py, want.astype(out.dtype))
        np.testing.assert_array_equal(c, py)


MIXED_BINARY = {"maximum": np.maximum, "minimum": np.minimum, "add": np.add,
                "lt": np.less, "ge": np.greater_equal, "eq": np.equal, "neq": np.not_equal}
MIXED_INT_ONLY = {"or_": np.bitwise_or, "xor": np.bitwise_xor, "and_": np.bitwise_and}


@pytest.mark.parametrize("a, b", MIXED, ids=[f"{a}-{b}" for a, b in MIXED])
def test_every_mixed_dtype_operand_is_converted_as_numpy_does(a, b):
    """Comparisons in the common dtype, arithmetic and bitwise ops in the output dtype: C's
    own conversions read int32(-1) < uint32(3) as false and int32(-1) | uint32(0) as 2**32-1."""
    (x, y), (xv, yv) = _mixed(a, b)
    ops = dict(MIXED_BINARY)
    if np.result_type(a, b).kind in "iub":  # bitwise ops refuse what promotes to float
        ops.update(MIXED_INT_ONLY)
    for name, ref in ops.items():
        out = getattr(T, name)(x, y)
        py, c = run_numpy_py_c([x, y], out, [xv, yv])
        np.testing.assert_array_equal(py, ref(xv, yv).astype(out.dtype), err_msg=name)
        np.testing.assert_array_equal(c, py, err_msg=name)


@pytest.mark.parametrize("a, b", [("uint64", "int64"), ("uint32", "int32"), ("int32", "float32")])
def test_clip_with_mixed_dtype_bounds(a, b):
    x = T.vector("x", dtype=a)
    lo, hi = T.scalar("lo", dtype=b), T.scalar("hi", dtype=b)
    xv = np.array([0, 3, 2**31 - 1 if a != "uint64" else 2**63 + 9], dtype=a)
    lov, hiv = np.array(-1, dtype=b), np.array(5, dtype=b)
    out = T.clip(x, lo, hi)
    py, c = run_numpy_py_c([x, lo, hi], out, [xv, lov, hiv])
    np.testing.assert_array_equal(py, np.clip(xv, lov, hiv).astype(out.dtype))
    np.testing.assert_array_equal(c, py)


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_integer_minimum_divided_by_minus_one_wraps_like_numpy(dtype):
    # issue 12 #3: INT64_MIN // -1 and % -1 raised SIGFPE in C and killed the process
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    info = np.iinfo(dtype)
    xv = np.array([info.min, info.min, info.max, info.min, -7, 0, info.min], dtype=dtype)
    yv = np.array([-1, 1, -1, info.max, -1, -1, 0], dtype=dtype)
    py, c = run_both([x, y], [x // y, x % y], [xv, yv])
    with np.errstate(all="ignore"):
        want = [np.floor_divide(xv, yv), np.mod(xv, yv)]
    for p, q, w in zip(py, c, want, strict=True):
        np.testing.assert_array_equal(p, w)
        np.testing.assert_array_equal(q, w)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sgn_of_negative_zero_is_positive_zero(dtype):
    # issue 12 #7: C sgn(-0.0) returned -0.0
    x = T.vector("x", dtype=dtype)
    xv = np.array([-0.0, 0.0, -2.0, 3.0, np.nan], dtype=dtype)
    py, c = run_numpy_py_c([x], T.sgn(x), [xv])
    for got in (py, c):
        np.testing.assert_array_equal(got, np.sign(xv))
        assert not np.signbit(got[:2]).any()


ISSUE12_CASES = [*mixed_dtype_cases(np.random.default_rng(12)), *extreme_int_cases(),
                 *empty_reduction_cases()]


@pytest.mark.parametrize("case", ISSUE12_CASES, ids=[c[0] for c in ISSUE12_CASES])
def test_issue12_cases_agree_with_numpy_semantics(case):
    """The cases the CUDA tests share (differential_graphs): the Python linker and C agree."""
    _, inputs, outputs, values = case
    with np.errstate(all="ignore"):
        py, c = run_both(inputs, outputs, values, optimizer="fast_run")
    for p, q in zip(py, c, strict=True):
        assert_same(p, q, str(np.asarray(p).dtype))
