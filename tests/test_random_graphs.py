"""Hypothesis: random elementwise/reduction graphs, every linker and mode, against NumPy.

Each example grows a pool of (symbolic value, NumPy value) pairs by applying random scalar-table
ops (arguments first mapped into the op's domain) and reductions, then compiles the last values
and compares them with the NumPy evaluation of the same expression: float64 graphs to 1e-10,
integer and bool graphs exactly (values and dtype).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import scipy.special
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import PREDEFINED, Mode
from nbgraph.ops.scalar import SCALAR_BY_NAME


# Domain maps use only Python operators, so one lambda builds graph and computes NumPy alike.
def squash(x: Any, scale: float = 1.0) -> Any:
    return x / (1 + abs(x)) * scale   # into (-scale, scale): keeps exp & co. finite


def positive(x: Any) -> Any:
    return abs(x) + 0.5


@dataclass(frozen=True)
class Unary:
    name: str                          # the scalar-table row
    numpy: Callable[[Any], Any]        # an independent NumPy reference
    domain: Callable[[Any], Any] = lambda x: x


@dataclass(frozen=True)
class Binary:
    name: str
    numpy: Callable[[Any, Any], Any]
    domain: tuple[Callable[[Any], Any], Callable[[Any], Any]] = (lambda x: x, lambda y: y)


UNARY = (
    Unary("neg", np.negative), Unary("abs_", np.abs), Unary("sin", np.sin),
    Unary("cos", np.cos), Unary("tanh", np.tanh), Unary("arctan", np.arctan),
    Unary("arcsinh", np.arcsinh), Unary("erf", scipy.special.erf),
    Unary("erfc", scipy.special.erfc), Unary("sigmoid", scipy.special.expit),
    Unary("softplus", lambda x: np.logaddexp(0.0, x)),
    Unary("exp", np.exp, lambda x: squash(x, 3.0)),
    Unary("expm1", np.expm1, lambda x: squash(x, 3.0)),
    Unary("exp2", np.exp2, lambda x: squash(x, 3.0)),
    Unary("sinh", np.sinh, lambda x: squash(x, 3.0)),
    Unary("cosh", np.cosh, lambda x: squash(x, 3.0)),
    Unary("sqr", np.square, lambda x: squash(x, 3.0)),
    Unary("tan", np.tan, squash),
    Unary("arcsin", np.arcsin, lambda x: squash(x, 0.9)),
    Unary("arccos", np.arccos, lambda x: squash(x, 0.9)),
    Unary("arctanh", np.arctanh, lambda x: squash(x, 0.9)),
    Unary("arccosh", np.arccosh, lambda x: abs(x) + 1.5),
    Unary("log", np.log, positive), Unary("log2", np.log2, positive),
    Unary("log10", np.log10, positive), Unary("log1p", np.log1p, abs),
    Unary("sqrt", np.sqrt, positive), Unary("inv", np.reciprocal, positive),
)

BINARY = (
    Binary("add", np.add), Binary("sub", np.subtract), Binary("mul", np.multiply),
    Binary("maximum", np.maximum), Binary("minimum", np.minimum),
    Binary("arctan2", np.arctan2),
    Binary("true_div", np.true_divide, (lambda x: x, positive)),
    Binary("pow", np.power, (positive, lambda y: squash(y, 2.0))),
)

# name -> (nbgraph reduction, NumPy reduction, domain map)
REDUCTIONS: dict[str, tuple[Callable, Callable, Callable[[Any], Any]]] = {
    "sum": (T.sum, np.sum, lambda x: x),
    "mean": (T.mean, np.mean, lambda x: x),
    "max": (T.max, np.max, lambda x: x),
    "min": (T.min, np.min, lambda x: x),
    "prod": (T.prod, np.prod, lambda x: squash(x) + 1),  # factors in (0, 2): no overflow
}

MODES = [name for name in ("FAST_RUN", "FAST_COMPILE") if name in PREDEFINED]
# compiled linkers build C/CUDA for every example: fewer examples keep the file near 30 s
EXAMPLES = {"py": 60}
COMPILED_EXAMPLES = 12


def test_op_lists_name_real_table_rows() -> None:
    for op in UNARY + BINARY:
        assert op.name in SCALAR_BY_NAME, op.name
        assert SCALAR_BY_NAME[op.name].nin == (1 if isinstance(op, Unary) else 2)


@dataclass
class Value:
    var: Any             # symbolic
    data: np.ndarray     # NumPy float64 evaluation of the same expression


def _broadcast_ok(a: Value, b: Value) -> bool:
    """nbgraph's rule: aligned sizes agree, or the size-1 side is broadcastable by type."""
    ndim = max(a.data.ndim, b.data.ndim)
    sides = []
    for v in (a, b):
        pad = ndim - v.data.ndim
        sides.append(((1,) * pad + v.data.shape, (True,) * pad + v.var.broadcastable))
    (shape_a, bc_a), (shape_b, bc_b) = sides
    return all(sa == sb or (sa == 1 and ba) or (sb == 1 and bb)
               for sa, sb, ba, bb in zip(shape_a, shape_b, bc_a, bc_b, strict=True))


# uint64 values straddle 2**63, past which a signed (int64) C helper reads them as negative
UINT64_VALUES = np.array([0, 1, 2, 3, 7, 2**63 - 1, 2**63, 2**63 + 5, 2**64 - 2, 2**64 - 1],
                         dtype=np.uint64)


def leaf_data(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Leaf values: floats in (-2, 2); signed ints small (C's signed overflow is undefined, so
    the graphs must never overflow); unsigned ints over their whole range (they wrap alike
    in C and NumPy)."""
    rng = np.random.default_rng(seed)
    if dtype == "float64":
        return np.asarray(rng.uniform(-2.0, 2.0, size=shape), dtype="float64")
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype == "uint64":
        return rng.choice(UINT64_VALUES, size=shape)
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    return rng.integers(-20, 21, size=shape).astype(dtype)


@st.composite
def inputs(draw: st.DrawFn, dtype: str = "float64") -> list[Value]:
    """1-3 inputs of ``dtype`` over a common base shape, some dimensions declared broadcastable
    (static size 1), some of lower rank (they broadcast from the left)."""
    base = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    count = draw(st.integers(1, 3))
    values = []
    for k in range(count):
        ndim = len(base) - draw(st.integers(0, len(base)))  # shrinks toward full rank
        dims = base[len(base) - ndim:]
        shape = [1 if draw(st.integers(0, 2)) == 2 else s for s in dims]
        static = [1 if s == 1 and d != 1 else None for s, d in zip(shape, dims, strict=True)]
        var = T.tensor(dtype=dtype, shape=static, name=f"x{k}")
        seed = draw(st.integers(0, 2**32 - 1))
        values.append(Value(var, leaf_data(dtype, tuple(shape), seed)))
    return values


def _apply_unary(op: Unary, x: Value) -> Value:
    return Value(getattr(T, op.name)(op.domain(x.var)), op.numpy(op.domain(x.data)))


def _apply_binary(op: Binary, x: Value, y: Value) -> Value:
    fx, fy = op.domain
    var = getattr(T, op.name)(fx(x.var), fy(y.var))
    return Value(var, op.numpy(fx(x.data), fy(y.data)))


def _apply_reduction(name: str, x: Value, axis: Any, keepdims: bool) -> Value:
    build, ref, domain = REDUCTIONS[name]
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    return Value(build(domain(x.var), axis=axis, keepdims=keepdims),
                 np.asarray(ref(domain(x.data), axis=np_axis, keepdims=keepdims)))


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[Value], list[Value]]:
    """Random graphs: (inputs, outputs), outputs being the last one or two values made."""
    leaves = draw(inputs())
    pool = list(leaves)
    made: list[Value] = []
    for _ in range(draw(st.integers(2, 8))):
        kind = draw(st.sampled_from(["binary", "unary", "reduce"]))
        x = draw(st.sampled_from(pool))
        if kind == "binary":
            partners = [v for v in pool if _broadcast_ok(x, v)]
            y = draw(st.sampled_from(partners))  # x itself always qualifies
            new = _apply_binary(draw(st.sampled_from(BINARY)), x, y)
        elif kind == "reduce":
            ndim = x.data.ndim
            axis = draw(st.one_of(
                st.none(),
                st.integers(-ndim, ndim - 1) if ndim else st.none(),
                st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
                if ndim else st.none()))
            new = _apply_reduction(draw(st.sampled_from(sorted(REDUCTIONS))), x, axis,
                                   draw(st.booleans()))
        else:
            new = _apply_unary(draw(st.sampled_from(UNARY)), x)
        pool.append(new)
        made.append(new)
    return leaves, made[-2:]


def _check(leaves: list[Value], outputs: list[Value], mode: Mode) -> None:
    fn = nbgraph.function([v.var for v in leaves], [v.var for v in outputs], mode=mode,
                          on_unused_input="ignore")
    results = fn(*[v.data for v in leaves])
    for got, want in zip(results, outputs, strict=True):
        assert np.isfinite(want.data).all(), "a domain map let NumPy leave its domain"
        assert got.shape == want.data.shape
        np.testing.assert_allclose(got, want.data, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("mode_name", MODES)
def test_random_graphs_match_numpy(linker: str, mode_name: str) -> None:
    mode = Mode(linker=linker, optimizer=PREDEFINED[mode_name].optimizer)

    # derandomize: every linker and mode sees the same graphs (a differential test)
    @settings(max_examples=EXAMPLES.get(linker, COMPILED_EXAMPLES), deadline=None,
              derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(graphs())
    def check(graph: tuple[list[Value], list[Value]]) -> None:
        leaves, outputs = graph
        _check(leaves, outputs, mode)

    check()


def test_broadcast_rule_matches_nbgraph() -> None:
    """The generator's compatibility rule agrees with what Elemwise accepts at run time."""
    col = Value(T.tensor(dtype="float64", shape=(None, 1)), np.ones((3, 1)))
    full = Value(T.dmatrix(), np.ones((3, 4)))
    undeclared = Value(T.dmatrix(), np.ones((3, 1)))
    assert _broadcast_ok(col, full) and not _broadcast_ok(undeclared, full)
    fn = nbgraph.function([undeclared.var, full.var], undeclared.var + full.var)
    with pytest.raises(ValueError, match="broadcast"):
        fn(undeclared.data, full.data)
    np.testing.assert_allclose(
        nbgraph.function([col.var, full.var], col.var + full.var)(col.data, full.data),
        col.data + full.data)


# -- integer and bool graphs -----------------------------------------------------------------
# Exact comparisons (values and dtype) of graphs over int32, int64, uint8, uint64 or bool
# leaves, restricted to ops whose NumPy semantics are defined for those dtypes.
INT_DTYPES = ("int32", "int64", "uint8", "uint64", "bool")


def _kind(value: Any) -> str:
    """'b' (bool), 'u' (unsigned) or 'i' (signed) for an array or a Variable."""
    dtype = str(value.dtype)
    return "b" if dtype == "bool" else "u" if dtype.startswith("u") else "i"


def small(x: Any) -> Any:
    """Signed factors into [-6, 6]: products of small values cannot overflow (undefined in C)."""
    return x % 13 - 6 if _kind(x) == "i" else x


def odd(y: Any) -> Any:
    """A divisor that is never 0."""
    return y | 1


def _not_bool(*kinds: str) -> bool:
    return "b" not in kinds


@dataclass(frozen=True)
class IntOp:
    name: str                                  # the scalar-table row
    numpy: Callable[..., Any]
    nin: int = 2
    domain: tuple[Callable[[Any], Any], ...] = ()  # per argument; () = as they come
    defined: Callable[..., bool] = lambda *kinds: True  # NumPy has a loop for these kinds


INT_OPS = (
    IntOp("add", np.add), IntOp("mul", np.multiply, domain=(small, small)),
    IntOp("sub", np.subtract, defined=lambda *k: k != ("b", "b")),  # NumPy: no bool minus
    IntOp("maximum", np.maximum), IntOp("minimum", np.minimum),
    IntOp("eq", np.equal), IntOp("neq", np.not_equal), IntOp("lt", np.less),
    IntOp("gt", np.greater), IntOp("le", np.less_equal), IntOp("ge", np.greater_equal),
    IntOp("and_", np.bitwise_and), IntOp("or_", np.bitwise_or), IntOp("xor", np.bitwise_xor),
    IntOp("int_div", np.floor_divide, domain=(lambda x: x, odd), defined=_not_bool),
    IntOp("mod", np.mod, domain=(lambda x: x, odd), defined=_not_bool),
    IntOp("abs_", np.abs, nin=1), IntOp("sgn", np.sign, nin=1, defined=_not_bool),
    IntOp("clip", np.clip, nin=3),
)
INT_REDUCTIONS = ("sum", "max", "min")


def test_int_op_lists_name_real_table_rows() -> None:
    for op in INT_OPS:
        assert SCALAR_BY_NAME[op.name].nin == op.nin, op.name


def _mixes(a: Value, b: Value) -> bool:
    """Same kind or one bool: the promotions nbgraph and NumPy agree on (int64 with uint64
    gives float64 in NumPy)."""
    return _kind(a.data) == _kind(b.data) or "b" in (_kind(a.data), _kind(b.data))


def _apply_int(op: IntOp, args: list[Value]) -> Value:
    maps = list(zip(op.domain or (lambda v: v,) * op.nin, args, strict=True))
    var = getattr(T, op.name)(*[f(v.var) for f, v in maps])
    return Value(var, np.asarray(op.numpy(*[f(v.data) for f, v in maps])))


@st.composite
def int_graphs(draw: st.DrawFn, dtype: str) -> tuple[list[Value], list[Value]]:
    """Random graphs over ``dtype`` leaves (comparisons bring in bools, sums wider ints)."""
    leaves = draw(inputs(dtype))
    pool = list(leaves)
    made: list[Value] = []
    for _ in range(draw(st.integers(2, 8))):
        x = draw(st.sampled_from(pool))
        if draw(st.integers(0, 4)) == 0:  # a reduction one time in five
            axis = draw(st.none() | st.integers(0, x.data.ndim - 1)) if x.data.ndim else None
            name = draw(st.sampled_from(INT_REDUCTIONS))
            var = getattr(T, name)(x.var, axis=axis)
            new = Value(var, np.asarray(getattr(np, name)(x.data, axis=axis)))
        else:
            partners = [v for v in pool if _broadcast_ok(x, v) and _mixes(x, v)]  # x too
            op = draw(st.sampled_from(INT_OPS))
            args = [x] + [draw(st.sampled_from(partners)) for _ in range(op.nin - 1)]
            if not op.defined(*[_kind(v.data) for v in args]) or \
                    not all(_mixes(a, b) and _broadcast_ok(a, b) for a in args for b in args):
                continue  # e.g. bool - bool, or clip's bounds not broadcasting together
            new = _apply_int(op, args)
        pool.append(new)
        made.append(new)
    return leaves, (made or leaves)[-2:]


def _check_exact(leaves: list[Value], outputs: list[Value], mode: Mode) -> None:
    fn = nbgraph.function([v.var for v in leaves], [v.var for v in outputs], mode=mode,
                          on_unused_input="ignore")
    results = fn(*[v.data for v in leaves])
    for got, want in zip(results, outputs, strict=True):
        assert got.dtype == want.data.dtype and got.shape == want.data.shape
        np.testing.assert_array_equal(got, want.data)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("mode_name", MODES)
def test_random_int_graphs_match_numpy(linker: str, mode_name: str, dtype: str) -> None:
    mode = Mode(linker=linker, optimizer=PREDEFINED[mode_name].optimizer)

    @settings(max_examples=EXAMPLES.get(linker, COMPILED_EXAMPLES), deadline=None,
              derandomize=True, suppress_health_check=[HealthCheck.too_slow])
    @given(int_graphs(dtype))
    def check(graph: tuple[list[Value], list[Value]]) -> None:
        _check_exact(*graph, mode)

    check()
