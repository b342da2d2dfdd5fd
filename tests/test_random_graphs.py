"""Hypothesis: random elementwise/reduction graphs, every linker and mode, against NumPy.

Each example grows a pool of (symbolic value, NumPy value) pairs by applying random scalar-table
ops (arguments first mapped into the op's domain) and reductions, then compiles the last values
and compares them with the NumPy evaluation of the same expression: float64 graphs to 1e-10,
integer and bool graphs exactly (values and dtype).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
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
# compiled linkers build C/CUDA for every example: fewer examples keep the file near a minute.
# NBGRAPH_RANDOM_GRAPHS_SCALE=1000 multiplies every count (a long run; not for CI)
SCALE = int(os.environ.get("NBGRAPH_RANDOM_GRAPHS_SCALE", "1"))
# CI draws the same graphs on every linker and mode (a differential test); a long run draws
# fresh ones each time
DERANDOMIZE = SCALE == 1
EXAMPLES = {"py": 60 * SCALE}
COMPILED_EXAMPLES = 12 * SCALE


# graphs checked per test in this session: a long run prints them (pytest -s)
CHECKED: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report_long_run() -> Iterator[None]:
    yield
    if SCALE > 1:
        for test, count in sorted(CHECKED.items()):
            print(f"random graphs checked: {count:7d}  {test}")


def _count() -> None:
    """One more graph checked by the running test (pytest names it in the environment)."""
    CHECKED[os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]] += 1


def examples(linker: str, share: float = 1.0) -> int:
    """How many graphs a test draws on ``linker``: ``share`` of the file's count, at least 4."""
    return max(4, int(EXAMPLES.get(linker, COMPILED_EXAMPLES) * share))


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
              derandomize=DERANDOMIZE, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(graphs())
    def check(graph: tuple[list[Value], list[Value]]) -> None:
        _count()
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
    """A divisor that is never 0 (a typed 1: Theano's int8 1 would widen uint8 to int16)."""
    return y | np.asarray(1, dtype=str(y.dtype))


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
              derandomize=DERANDOMIZE, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(int_graphs(dtype))
    def check(graph: tuple[list[Value], list[Value]]) -> None:
        _count()
        _check_exact(*graph, mode)

    check()


# -- issue 12's defect classes ---------------------------------------------------------------
# Each generator below draws graphs of one class that the generators above never drew: the
# class of a wrong answer found by hand. All compare exactly (ints, bools) or to a few float32
# ulps against NumPy, computed in the dtype the graph promises.
def _settings(linker: str, share: float) -> settings:
    return settings(max_examples=examples(linker, share), deadline=None,
                    derandomize=DERANDOMIZE, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _assert_matches(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape and got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        rtol = 1e-5 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-3, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def _compile_and_check(leaves: list[Value], outputs: list[Value], mode: Mode) -> None:
    fn = nbgraph.function([v.var for v in leaves], [v.var for v in outputs], mode=mode,
                          on_unused_input="ignore")
    with np.errstate(all="ignore"):
        results = fn(*[v.data for v in leaves])
    for got, want in zip(results, outputs, strict=True):
        _assert_matches(np.asarray(got), want.data)


# 1 and 2: leaves of every dtype, mixed in switch, clip, maximum, comparisons, and int8,
# uint8 and bool leaves flowing into transcendental math (no signed +, -, *: C's overflow is
# undefined)
# (ordered: hypothesis tries the first options most, and these met the known defects)
MIXED_DTYPES = ("int8", "uint8", "bool", "uint32", "int32", "int64", "uint64", "int16",
                "float32", "float64")
TRANSCENDENTAL = ("exp", "expm1", "log1p", "sqrt", "sin", "cos", "tanh", "arctan", "sigmoid",
                  "softplus", "erf", "log")


def specials(dtype: str) -> list[Any]:
    """A dtype's awkward values, its extremes first (floats: also -0.0, past 2**24 and the
    int32 range)."""
    if dtype == "bool":
        return [True, False]
    if dtype.startswith("float"):
        return [16777217.0, -0.0, 0.0, 1.5, -2.5, -2.0**31, 3e9, 0.25]
    info = np.iinfo(dtype)
    # 64-bit: past 2**53 float64 rounds (NumPy 2 compares int64 with uint64 exactly)
    wide = {"int64": [2**53 + 1], "uint64": [2**53]}.get(dtype, [])
    return [int(info.min), int(info.max), -1 if info.min else 2, 0, 1, 7, 100, *wide]


def draw_leaf(draw: st.DrawFn, dtype: str, shape: tuple[int, ...],
              choices: list[Any] | None = None) -> np.ndarray:
    """Leaf values drawn by hypothesis from ``choices`` (default: the dtype's specials), so
    it varies and shrinks them itself."""
    size = int(np.prod(shape))
    values = draw(st.lists(st.sampled_from(choices or specials(dtype)), min_size=size,
                           max_size=size))
    return np.array(values, dtype=object).astype(dtype).reshape(shape)


def _cast(data: np.ndarray, dtype: str) -> np.ndarray:
    return np.asarray(data).astype(dtype)


@st.composite
def mixed_graphs(draw: st.DrawFn) -> tuple[list[Value], list[Value]]:
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=0, max_size=2)))
    leaves = []
    for k in range(draw(st.integers(2, 4))):
        dtype = draw(st.sampled_from(MIXED_DTYPES))
        var = T.tensor(dtype=dtype, shape=(None,) * len(shape), name=f"x{k}")
        leaves.append(Value(var, draw_leaf(draw, dtype, shape)))
    pool, made = list(leaves), []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unary", "switch", "clip", "minmax", "compare", "div"]))
        a, b, c = (draw(st.sampled_from(pool)) for _ in range(3))
        if kind == "switch":
            cond = T.lt(c.var, b.var)
            var = T.switch(cond, a.var, b.var)
            data = np.where(np.less(c.data, b.data), *(_cast(v.data, var.dtype) for v in (a, b)))
        elif kind == "clip":
            var = T.clip(a.var, b.var, c.var)
            x, lo, hi = (_cast(v.data, var.dtype) for v in (a, b, c))
            data = np.minimum(np.maximum(x, lo), hi)   # also when lo > hi, as C and NumPy do
        elif kind == "minmax":
            name = draw(st.sampled_from(["maximum", "minimum"]))
            var = getattr(T, name)(a.var, b.var)
            data = getattr(np, name)(_cast(a.data, var.dtype), _cast(b.data, var.dtype))
        elif kind == "compare":
            name = draw(st.sampled_from(["lt", "ge", "eq", "neq"]))
            var = getattr(T, name)(a.var, b.var)
            data = getattr(np, {"lt": "less", "ge": "greater_equal", "eq": "equal",
                                "neq": "not_equal"}[name])(a.data, b.data)
        elif kind == "div":
            var = T.true_div(a.var, b.var)
            data = np.true_divide(_cast(a.data, var.dtype), _cast(b.data, var.dtype))
        else:
            name = draw(st.sampled_from(TRANSCENDENTAL))
            var = getattr(T, name)(a.var)
            ref = SCALAR_BY_NAME[name].numpy
            data = np.asarray(ref(_cast(a.data, var.dtype)), dtype=var.dtype)
        new = Value(var, np.asarray(data).astype(var.dtype))
        pool.append(new)
        made.append(new)
    return leaves, (made or leaves)[-2:]


@pytest.mark.parametrize("mode_name", MODES)
def test_random_mixed_dtype_graphs_match_numpy(linker: str, mode_name: str) -> None:
    mode = Mode(linker=linker, optimizer=PREDEFINED[mode_name].optimizer)

    @_settings(linker, 2.0)
    @given(mixed_graphs())
    def check(graph: tuple[list[Value], list[Value]]) -> None:
        _count()
        with np.errstate(all="ignore"):
            _compile_and_check(*graph, mode)

    with np.errstate(all="ignore"):
        check()


# 3: integer extremes in // and % (every signed width; the divisor may be -1 or 0)
SIGNED = ("int64", "int32", "int16", "int8")   # int64 first: only its division can trap


@st.composite
def division_graphs(draw: st.DrawFn) -> tuple[list[Value], list[Value]]:
    dtype = draw(st.sampled_from(SIGNED))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)))
    info = np.iinfo(dtype)
    # dividends lean to the extremes, divisors to -1 and 0 (then any leaf or result)
    lean = ([info.min, info.min, info.max, -7, 0, 5], [-1, -1, 0, 1, -3, info.min])
    leaves = []
    for k in range(draw(st.integers(2, 3))):
        var = T.tensor(dtype=dtype, shape=(None,) * len(shape), name=f"x{k}")
        leaves.append(Value(var, draw_leaf(draw, dtype, shape, lean[k] if k < 2 else None)))
    pool, made = list(leaves), []
    for _ in range(draw(st.integers(1, 5))):
        a, b = draw(st.sampled_from(pool)), draw(st.sampled_from(pool[1:] + pool[:1]))
        name = draw(st.sampled_from(["int_div", "mod", "maximum", "minimum"]))
        ref = {"int_div": np.floor_divide, "mod": np.mod, "maximum": np.maximum,
               "minimum": np.minimum}[name]
        with np.errstate(all="ignore"):   # NumPy: x // 0 and x % 0 are 0, MIN // -1 wraps
            new = Value(getattr(T, name)(a.var, b.var), ref(a.data, b.data))
        pool.append(new)
        made.append(new)
    return leaves, made[-2:]


@pytest.mark.parametrize("mode_name", MODES)
def test_random_division_by_extremes_matches_numpy(linker: str, mode_name: str) -> None:
    mode = Mode(linker=linker, optimizer=PREDEFINED[mode_name].optimizer)

    @_settings(linker, 1.0)
    @given(division_graphs())
    def check(graph: tuple[list[Value], list[Value]]) -> None:
        _count()
        _compile_and_check(*graph, mode)

    check()


# 4: empty arrays through every reduction (alone and reading a fused prologue)
EVERY_REDUCTION = ("argmax", "argmin", "max", "min", "sum", "prod", "mean", "all", "any")


@st.composite
def empty_reductions(draw: st.DrawFn) -> tuple[list[Value], str, Any, bool, bool]:
    shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    shape[draw(st.integers(0, len(shape) - 1))] = 0
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "bool"]))
    x = Value(T.tensor(dtype=dtype, shape=(None,) * len(shape), name="x"),
              draw_leaf(draw, dtype, tuple(shape)))
    name = draw(st.sampled_from(EVERY_REDUCTION))
    ndim = len(shape)
    if name in ("argmax", "argmin"):
        axis: Any = draw(st.integers(-ndim, ndim - 1) | st.none())
    else:
        axis = draw(st.integers(-ndim, ndim - 1) | st.none()
                    | st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return [x], name, axis, draw(st.booleans()), draw(st.booleans())


def _numpy_reduction(name: str, data: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    if name in ("argmax", "argmin"):
        return np.asarray(getattr(np, name)(data, axis=np_axis, keepdims=keepdims))
    return np.asarray(getattr(np, name)(data, axis=np_axis, keepdims=keepdims))


@pytest.mark.parametrize("mode_name", MODES)
def test_random_reductions_of_empty_arrays_match_numpy(linker: str, mode_name: str) -> None:
    """Sums of nothing are 0, products 1, means nan; max, min, argmax and argmin of nothing
    raise ValueError, as NumPy's do."""
    mode = Mode(linker=linker, optimizer=PREDEFINED[mode_name].optimizer)

    @_settings(linker, 1.0)
    @given(empty_reductions())
    def check(case: tuple[list[Value], str, Any, bool, bool]) -> None:
        _count()
        (x,), name, axis, keepdims, prologue = case
        source, data = x.var, x.data
        if prologue and x.var.dtype.startswith("float"):   # a fused prologue reads the input
            source, data = T.exp(x.var) * 2, np.exp(x.data) * x.data.dtype.type(2)
        var = getattr(T, name)(source, axis=axis, keepdims=keepdims)
        try:
            with np.errstate(all="ignore"):
                want = _numpy_reduction(name, data, axis, keepdims)
        except ValueError:
            fn = nbgraph.function([x.var], var, mode=mode)
            with pytest.raises(ValueError):
                fn(x.data)
            return
        got = nbgraph.function([x.var], var, mode=mode)(x.data)
        _assert_matches(np.asarray(got), want.astype(var.dtype))

    with np.errstate(all="ignore"):
        check()
