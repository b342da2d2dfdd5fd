"""Where the JAX linker's XLA program used to differ from NumPy (and the py and C linkers):
integer ``**`` with a negative exponent (XLA wrapped; now NumPy's ValueError at run time,
through checkify), the sign of a zero from max/min reductions (XLA's +0.0; NumPy folds and
keeps the later of equal values), and float16 chains (XLA kept float32 between the ops of
one jitted program; NumPy rounds each op to float16), and gammaln(-inf) (C and XLA: +inf,
SciPy: -inf)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode

pytest.importorskip("jax")
LINKERS = ["py", "c", "jax"]


def _same(got: np.ndarray, want: np.ndarray) -> None:
    """Equal values, nan where NumPy has nan, and the same sign on every zero."""
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    zeros = want == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))


@pytest.mark.parametrize("linker", LINKERS)
def test_integer_power_with_a_negative_exponent_raises_numpys_error(linker: str) -> None:
    x, y = T.lvector("x"), T.lvector("y")
    f = nbgraph.function([x, y], [x ** y, x + 1], mode=Mode(linker, "fast_run"))
    got = f(np.array([2, 3, -2]), np.array([3, 40, 63]))
    _same(got[0], np.array([2, 3, -2]) ** np.array([3, 40, 63]))   # wraps as NumPy's
    with pytest.raises(ValueError, match="Integers to negative integer powers"):
        f(np.array([2, 3]), np.array([3, -1]))
    _same(f(np.array([2]), np.array([5]))[0], np.array([32]))   # still runs after raising
    const = nbgraph.function([x], x ** -1, mode=Mode(linker, "fast_run"))
    with pytest.raises(ValueError, match="Integers to negative integer powers"):
        const(np.array([2, 3]))


def test_jax_unsigned_exponents_need_no_check() -> None:
    x, u = T.lvector("x"), T.vector("u", dtype="uint8")
    f = nbgraph.function([x, u], x ** u, mode=Mode("jax", "fast_run"))
    _same(f(np.array([2, 3]), np.array([255, 1], dtype="uint8")),
          np.array([2, 3]) ** np.array([255, 1], dtype="uint8"))


ZERO_CASES = [[0.0, -0.0], [-0.0, 0.0], [-0.0, -0.0, 0.0], [0.0] * 20 + [-0.0],
              [-0.0] + [0.0] * 20, [-1.0, -0.0, 0.0, -0.0], [-3.0, -0.0, 2.0, np.nan]]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("linker", LINKERS)
def test_max_and_min_reductions_sign_zeros_as_numpy(linker: str, dtype: str) -> None:
    x, m = T.vector("x", dtype=dtype), T.matrix("m", dtype=dtype)
    f = nbgraph.function([x, m], [T.max(x), T.min(x), T.max(m, axis=0), T.min(m, axis=1)],
                         mode=Mode(linker, "fast_run"))
    for case in ZERO_CASES:
        v = np.array(case, dtype=dtype)
        mv = np.stack([v, v[::-1], -v])
        with np.errstate(invalid="ignore"):
            want = [np.max(v), np.min(v), np.max(mv, axis=0), np.min(mv, axis=1)]
        for got, w in zip(f(v, mv), want, strict=True):
            _same(np.asarray(got), np.asarray(w))


@pytest.mark.parametrize("optimizer", ["fast_run", "fast_compile"])
def test_float16_chains_round_every_op_as_numpy(optimizer: str, rng) -> None:  # noqa: ANN001
    x, y, z = (T.vector(n, dtype="float16") for n in "xyz")
    h = np.float16
    outs = [(x * y + z) / x, T.exp(x / h(100)) * y - z, T.sqrt(abs(x)) + y * y,
            (x - y) / h(7), T.maximum(x * y, z) * h(3)]
    xv, yv, zv = (rng.normal(0, 300, 4000).astype("float16") for _ in range(3))
    # float16 subnormals (below 2**-14), zeros of both signs, overflow past 65504
    xv[:6] = [1e-7, 6e-5, 3e-8, -0.0, 250.0, 0.0]
    yv[:6] = [1e-3, 0.5, 1e-4, 2.0, 300.0, -1.0]
    zv[:6] = [0.0, 0.0, 0.0, -0.0, 1.0, 0.0]
    with np.errstate(all="ignore"):
        want = [(xv * yv + zv) / xv, np.exp(xv / h(100)) * yv - zv,
                np.sqrt(abs(xv)) + yv * yv, (xv - yv) / h(7), np.maximum(xv * yv, zv) * h(3)]
    for linker in ("jax", "py"):
        f = nbgraph.function([x, y, z], outs, mode=Mode(linker, optimizer))
        for got, w in zip(f(xv, yv, zv), want, strict=True):
            _same(got, w)


@pytest.mark.parametrize("linker", LINKERS)
def test_gammaln_at_minus_infinity_is_scipys(linker: str) -> None:
    # SciPy's gammaln(-inf) is -inf; C's lgamma and XLA's gave +inf
    for dtype in ("float64", "float32"):
        x = T.vector("x", dtype=dtype)
        v = np.array([-np.inf, np.inf, np.nan, -2.5, 0.0, 1.5], dtype=dtype)
        got = nbgraph.function([x], T.gammaln(x), mode=Mode(linker, "fast_run"))(v)
        want = scipy.special.gammaln(v)
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        np.testing.assert_allclose(got, want, rtol=1e-5)


def test_float16_sums_accumulate_in_float32_as_numpy(rng) -> None:  # noqa: ANN001
    # NumPy's half loop sums a vector pairwise in float32; XLA summed in float16 (6 ulps off
    # for 3000 values). Along a strided axis NumPy adds row by row in float16: not matched.
    x = T.vector("x", dtype="float16")
    f = nbgraph.function([x], [T.sum(x), T.mean(x), T.prod(x[:3])], mode=Mode("jax"))
    for _ in range(3):
        v = rng.normal(0, 30, 3000).astype("float16")
        v[:3] = [-20.5, 31.25, 7.0]   # a product that float16 holds
        for got, want in zip(f(v), [np.sum(v), np.mean(v), np.prod(v[:3])], strict=True):
            assert got.dtype == np.float16
            assert abs(float(got) - float(want)) <= float(np.spacing(want)), (got, want)


@pytest.mark.parametrize("linker", LINKERS)
def test_out_of_bounds_run_time_indices_raise_as_numpy(linker: str) -> None:
    # XLA clamps an index (x[10] of 10 values gave x[9]); NumPy raises IndexError
    x, k = T.dvector("x"), T.lscalar("k")
    i, u = T.vector("i", dtype="int8"), T.vector("u", dtype="uint64")
    xv = np.arange(10.0) - 5
    mode = Mode(linker, "fast_run")
    for ins, out, good, bads in [
            ([x, k], x[k], [np.int64(-10), np.int64(9)], [np.int64(10), np.int64(-11)]),
            ([x, i], x[i], [np.array([-1, 0, 9, -10], "int8")], [np.array([3, 10], "int8"),
                                                                np.array([-11], "int8")]),
            ([x, u], x[u], [np.array([0, 9], "uint64")], [np.array([10], "uint64")]),
            ([x, i], T.inc_subtensor(x[i], 1.0), [np.array([1, 1, -9], "int8")],
             [np.array([1, 12], "int8")])]:
        f = nbgraph.function(ins, out, mode=mode)
        for index in good:
            want = xv[index] if out.owner.op.__class__.__name__.find("Inc") < 0 else None
            got = f(xv, index)
            if want is None:
                want = xv.copy()
                np.add.at(want, index.astype("int64"), 1.0)
            np.testing.assert_array_equal(got, want)
        for index in bads:
            with pytest.raises(IndexError, match="out of bounds"):
                f(xv, index)


# XLA's own, in float64 / float32 ulps: exp2 704 / 66, log1p 128 / 3, cosh and sinh 495 / 25,
# arctanh 129 / 3 (see nbgraph/link/jax_libm.py)
@pytest.mark.parametrize("name", ["exp2", "log1p", "cosh", "sinh", "arctanh"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_libm_rows_within_a_few_ulps(dtype: str, name: str, rng) -> None:  # noqa: ANN001
    x = T.vector("x", dtype=dtype)
    f = nbgraph.function([x], getattr(T, name)(x), mode=Mode("jax"))
    top = 715 if dtype == "float64" else 90
    v = np.concatenate([rng.uniform(-1, 1, 5000), rng.uniform(-30, 30, 5000),
                        rng.uniform(-top, top, 5000), np.arange(-top, top),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, -2.0, 1e4]]).astype(dtype)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(v)
    got = f(v)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(got[np.isinf(want)], want[np.isinf(want)])
    zero = want == 0
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))
    normal = np.isfinite(want) & (np.abs(want) > np.finfo(dtype).tiny)
    ulps = np.abs(got[normal].astype(float) - want[normal]) / np.spacing(np.abs(want[normal]))
    assert ulps.max() <= 5, (name, dtype, ulps.max())
