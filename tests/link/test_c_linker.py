"""The C linker: which nodes compile, the fallback warning, threads, output reuse."""

from __future__ import annotations

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import nbgraph
import nbgraph.tensor as T
from nbgraph.codegen.plan import plan
from nbgraph.compile.mode import Mode
from nbgraph.config import NbgraphWarning, config
from nbgraph.link import c_linker, cache

C = Mode("c", "fast_run")


def test_source_shows_c_for_kernels_and_python_for_the_rest():
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.dot(T.exp(x), x).sum(), mode=C)
    texts = list(f.source.values())
    assert any("exp(" in t and "#pragma omp simd" in t for t in texts)
    assert any("def perform" in t for t in texts)  # dot runs NumPy's BLAS


def test_no_compiler_falls_back_with_one_warning(monkeypatch):
    monkeypatch.setattr(cache, "find_compiler", lambda: None)
    monkeypatch.setattr(c_linker, "_WARNED", False)
    x = T.dvector("x")
    with pytest.warns(NbgraphWarning, match="falling back to the Python linker"):
        f = nbgraph.function([x], T.exp(x) + 1, mode=C)
    np.testing.assert_allclose(f(np.zeros(3)), np.full(3, 2.0))
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nbgraph.function([x], T.exp(x) + 2, mode=C)  # warned once only


def test_compile_failure_prints_stderr_then_falls_back(monkeypatch, capsys):
    monkeypatch.setattr(c_linker, "_WARNED", False)
    x = T.dvector("x")
    with pytest.warns(NbgraphWarning):
        f = nbgraph.function([x], T.exp(x) * 3,
                             mode=Mode(c_linker.CLinker(cflags=["-fno-such-flag"])))
    assert "fno-such-flag" in capsys.readouterr().err
    np.testing.assert_allclose(f(np.zeros(2)), [3.0, 3.0])


def test_outputs_are_fresh_while_the_caller_holds_them(rng):
    x = T.dvector("x")
    f = nbgraph.function([x], T.exp(x) * 2, mode=C)
    a = f(np.zeros(4))
    b = f(np.ones(4))
    assert a is not b
    np.testing.assert_allclose(a, 2.0)


def test_intermediate_storage_is_reused(rng):
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.dot(T.exp(x), x), mode=C)
    exp_node = next(n for n in f.maker.fgraph.toposort() if "exp" in str(n.op))
    cell = f.storage_map[exp_node.outputs[0]]
    first = f(np.ones((3, 3)))
    address = id(cell[0])  # an id, not a reference: holding one would block the reuse
    second = f(np.full((3, 3), 2.0))
    assert id(cell[0]) == address  # nothing else held it: the kernel wrote into it again
    np.testing.assert_allclose(second, np.exp(np.full((3, 3), 2.0)) @ np.full((3, 3), 2.0))
    np.testing.assert_allclose(first, np.exp(np.ones((3, 3))) @ np.ones((3, 3)))


def test_cflags_reach_the_compiler_and_the_cache_key(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    x = T.dvector("x")
    plain = nbgraph.function([x], T.exp(x) * 5, mode=C)
    defined = nbgraph.function([x], T.exp(x) * 5,
                               mode=Mode(c_linker.CLinker(cflags=["-DNBG_TEST_FLAG=1"])))
    np.testing.assert_allclose(defined(np.zeros(2)), plain(np.zeros(2)))
    commands = [(tmp_path / entry / cache.META_NAME).read_text()
                for entry in sorted(p.name for p in tmp_path.iterdir() if p.is_dir())]
    assert len(commands) == 2 and sum("-DNBG_TEST_FLAG=1" in c for c in commands) == 1


def test_cflags_reach_the_inner_graph_of_a_scan(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "compiledir", str(tmp_path))
    h0 = T.dvector("h0")
    hs, _ = nbgraph.scan(lambda h: T.tanh(h) * 2 + 1, outputs_info=h0, n_steps=3)
    f = nbgraph.function([h0], hs[-1], mode=Mode(c_linker.CLinker(cflags=["-DNBG_INNER=1"])))
    want = np.zeros(2)
    for _ in range(3):
        want = np.tanh(want) * 2 + 1
    np.testing.assert_allclose(f(np.zeros(2)), want, rtol=1e-14)
    entries = [p for p in tmp_path.iterdir() if p.is_dir()]
    inner = [e for e in entries if "tanh" in (e / cache.SOURCE_NAME).read_text()]
    assert inner and all("-DNBG_INNER=1" in (e / cache.META_NAME).read_text() for e in inner)


def test_thread_count_comes_from_config(monkeypatch):
    monkeypatch.setattr(config, "openmp_threads", 3)
    assert c_linker.thread_count() == 3
    monkeypatch.setattr(config, "openmp_threads", 0)
    assert c_linker.thread_count() >= 1


def test_large_inputs_use_threads_and_stay_correct(rng):
    x, y = T.dvectors("x", "y")
    f = nbgraph.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x), mode=C)
    a, b = rng.standard_normal(200_000), rng.standard_normal(200_000)
    ref = np.exp(-a * a) * np.sin(b) + 0.5 * a * b - np.tanh(a)
    np.testing.assert_allclose(f(a, b), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape,bshape", [((5, 7), (7,)), ((5, 7), (5, 1)), ((4, 3, 6), (6,)),
                                          ((4, 3, 6), (4, 3, 1)), ((0, 7), (7,)),
                                          ((5, 0), (5, 1))])
def test_rows_kernel_row_and_column_broadcast(rng, dtype, shape, bshape):
    x = T.tensor(dtype, shape=(None,) * len(shape), name="x")
    b = T.tensor(dtype, shape=tuple(1 if s == 1 else None for s in bshape), name="b")
    f = nbgraph.function([x, b], T.tanh(x + b) * 2 - b, mode=C)
    node = next(n for n in f.maker.fgraph.toposort() if "tanh" in str(n.op))
    assert "_rows(" in f.source[node]
    a = rng.standard_normal(shape).astype(dtype)
    c = rng.standard_normal(bshape).astype(dtype)
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(f(a, c), np.tanh(a + c) * 2 - c, rtol=tol, atol=tol)
    # non-contiguous operands take the strided kernel and agree
    at = np.ascontiguousarray(np.swapaxes(a, 0, -1)).swapaxes(0, -1) if a.ndim == 2 else a
    np.testing.assert_allclose(f(at, c), np.tanh(at + c) * 2 - c, rtol=tol, atol=tol)
    np.testing.assert_allclose(f(a[::-1], c), np.tanh(a[::-1] + c) * 2 - c, rtol=tol, atol=tol)


def test_rows_kernel_rejects_a_wrong_broadcast(rng):
    x, b = T.dmatrix("x"), T.dvector("b")
    f = nbgraph.function([x, b], T.exp(x + b), mode=C)
    with pytest.raises(ValueError):
        f(np.ones((3, 4)), np.ones(5))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_blas_dot_and_gemm_with_transposed_and_strided_operands(rng, dtype):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    w = nbgraph.shared(rng.standard_normal((6, 4)).astype(dtype), name="w")
    f = nbgraph.function([x, y], T.dot(x, y), mode=C)
    g = nbgraph.function([x, y], [], updates=[(w, w - np.asarray(0.1, dtype) * T.dot(x, y))],
                         mode=C)
    tol = 1e-12 if dtype == "float64" else 1e-5
    for a, b in [(rng.standard_normal((6, 5)), rng.standard_normal((5, 4))),
                 (rng.standard_normal((5, 6)).T, rng.standard_normal((4, 5)).T),
                 (rng.standard_normal((6, 10))[:, ::2], rng.standard_normal((5, 4))),
                 (np.zeros((6, 0)), np.zeros((0, 4)))]:
        a, b = a.astype(dtype), b.astype(dtype)
        first = f(a, b)
        np.testing.assert_allclose(first, a @ b, rtol=tol, atol=tol)
        np.testing.assert_allclose(f(a, b + 1), a @ (b + 1), rtol=tol, atol=tol)
        np.testing.assert_allclose(first, a @ b, rtol=tol, atol=tol)  # not overwritten
        before = w.get_value()
        g(a, b)
        np.testing.assert_allclose(w.get_value(), before - 0.1 * (a @ b), rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="not aligned|shape"):
        f(np.ones((2, 3), dtype), np.ones((4, 2), dtype))


def test_generated_cffi_module_matches_the_declarations(tmp_path):
    from nbgraph.link import c_abi
    path = tmp_path / "_cffi_abi.py"
    c_abi.generate(str(path))
    with open(c_abi.default_path()) as f:
        assert path.read_text() == f.read(), "regenerate _cffi_abi.py (see c_abi.generate)"


def test_importing_the_c_linker_parses_no_c():
    import subprocess
    import sys
    code = ("import sys, nbgraph.link.c_linker, nbgraph.link.c_blas; "
            "print('pycparser' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_input_pointers_follow_new_arrays_and_in_place_edits(rng):
    x, y = T.dvectors("x", "y")
    f = nbgraph.function([x, y], T.exp(x) * y, mode=C)
    a, b, c = rng.standard_normal((3, 8))
    np.testing.assert_allclose(f(a, b), np.exp(a) * b)
    a[:] = c  # same object, new values
    np.testing.assert_allclose(f(a, b), np.exp(c) * b)
    np.testing.assert_allclose(f(b, a), np.exp(b) * a)  # arrays swapped
    big = rng.standard_normal(16)
    np.testing.assert_allclose(f(big[::2], b), np.exp(big[::2]) * b)  # strided path
    np.testing.assert_allclose(f(a, b), np.exp(a) * b)


# -- reductions: both loop orders, blocks, threads -------------------------------------------
_REDUCE = {"sum": np.sum, "max": np.max, "min": np.min, "mean": np.mean, "prod": np.prod,
           "argmax": np.argmax, "argmin": np.argmin}


def _reduce_ref(name: str, a: np.ndarray, axis):
    if name in ("argmax", "argmin"):
        return _REDUCE[name](a, axis=axis)
    return _REDUCE[name](a.astype("float64"), axis=axis)


@settings(max_examples=40, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=300),
       data=st.data())
def test_reductions_over_any_axes_match_numpy(shape, data):
    """Leading-axis reductions stream rows into blocks of accumulators (columns past one
    block of 256 included); trailing ones reduce each output's run: both agree with NumPy."""
    size = int(np.prod(shape))
    if size > 40_000:
        shape = shape[:1] + tuple(min(s, 4) for s in shape[1:])
    name = data.draw(st.sampled_from(sorted(_REDUCE)))
    axes = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    axis = tuple(sorted(axes))
    if name in ("argmax", "argmin"):
        axis = axis[0]
    dtype = data.draw(st.sampled_from(["float64", "float32"]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    a = (rng.standard_normal(shape) * (0.5 if name == "prod" else 1)).astype(dtype)
    x = T.tensor(dtype, shape=(None,) * len(shape), name="x")
    f = nbgraph.function([x], getattr(T, name)(x, axis=axis), mode=C)
    g = nbgraph.function([x], getattr(T, name)(T.exp(x) * x, axis=axis), mode=C)
    tol = 1e-12 if dtype == "float64" else 1e-5
    prologue = np.exp(a) * a
    if name in ("argmax", "argmin"):
        # expf and NumPy's exp may round a near-tie differently (x*exp(x) is flat near -1), so
        # the index may differ; the value it picks must be the extreme one
        picked = np.take_along_axis(prologue, np.expand_dims(g(a), axis), axis).squeeze(axis)
        best = (np.max if name == "argmax" else np.min)(prologue, axis=axis)
        np.testing.assert_allclose(picked, best, rtol=tol, atol=tol * 10)
    else:
        np.testing.assert_allclose(g(a), _reduce_ref(name, prologue, axis), rtol=tol,
                                   atol=tol * 10)
    for got, want in ((f(a), _reduce_ref(name, a, axis)),
                      (f(a[::-1]), _reduce_ref(name, a[::-1], axis)),
                      (f(np.asfortranarray(a)), _reduce_ref(name, a, axis))):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * 10)


def test_leading_axis_reduction_is_exact_in_row_order(rng):
    """sum(x, axis=0) of a C-contiguous float64 matrix adds rows in order, as NumPy does."""
    x = T.dmatrix("x")
    f = nbgraph.function([x], T.sum(x, axis=0), mode=C)
    a = rng.standard_normal((128, 700)) * np.logspace(-8, 8, 700)
    np.testing.assert_array_equal(f(a), a.sum(axis=0))


def test_leading_axis_argmax_keeps_the_first_nan_and_first_extremum():
    x = T.dmatrix("x")
    f = nbgraph.function([x], [T.argmax(x, axis=0), T.max(x, axis=0)], mode=C)
    a = np.array([[1.0, 5.0, 2.0], [np.nan, 5.0, 2.0], [3.0, np.nan, 9.0]])
    got = f(a)
    np.testing.assert_array_equal(got[0], np.argmax(a, axis=0))
    np.testing.assert_array_equal(got[1], np.max(a, axis=0))


@pytest.mark.parametrize("axis", [0, 1, None])
def test_large_reductions_use_threads_and_stay_correct(rng, axis):
    x = T.dmatrix("x")
    f = nbgraph.function([x], [T.sum(T.exp(x), axis=axis), T.max(x, axis=axis)], mode=C)
    a = rng.standard_normal((700, 1100))
    s, m = f(a)
    np.testing.assert_allclose(s, np.exp(a).sum(axis=axis), rtol=1e-12)
    np.testing.assert_array_equal(m, a.max(axis=axis))


@pytest.mark.parametrize("bcast,order", [((False, True), (0, "x")), ((False,), ("x", 0)),
                                         ((False, False), (1, 0)), ((), ("x",)),
                                         ((True, False, True), (1,)),
                                         ((True, False, True), ("x", 1, "x")),
                                         ((False, True, False), (2, "x", 0)),
                                         ((False, False, True), ("x", 1, 0, "x"))])
def test_dimshuffle_thunk_is_a_view_equal_to_perform(rng, bcast, order):
    from nbgraph.ops.elemwise import DimShuffle
    x = T.tensor("float64", shape=tuple(1 if b else None for b in bcast), name="x")
    node = DimShuffle(bcast, order).make_node(x)
    a = rng.standard_normal(tuple(1 if b else 3 + k for k, b in enumerate(bcast)))
    got, want = [None], [None]
    c_linker.dimshuffle_thunk(node, [[a]], [got])()
    node.op.perform(node, [a], [want])
    assert got[0].shape == want[0].shape
    np.testing.assert_array_equal(got[0], want[0])
    assert np.shares_memory(got[0], a)


def test_dimshuffle_thunk_leaves_bad_values_to_perform():
    from nbgraph.ops.elemwise import DimShuffle
    x = T.tensor("float64", shape=(None, 1), name="x")
    node = DimShuffle((False, True), (0,)).make_node(x)
    with pytest.raises(ValueError):
        c_linker.dimshuffle_thunk(node, [[np.ones((3, 2))]], [[None]])()


# the table rows whose C is a helper chosen by the operands' C type (``nbg_max``, ...)
_PICKED = {
    "maximum": (2, T.maximum, np.maximum), "minimum": (2, T.minimum, np.minimum),
    "abs": (1, T.abs, np.abs), "sgn": (1, T.sgn, np.sign),
    "clip": (3, T.clip, np.clip), "mod": (2, T.mod, np.mod),
    "floordiv": (2, T.int_div, np.floor_divide),
    "sigmoid": (1, T.nnet.sigmoid, lambda a: 1 / (1 + np.exp(-a.astype("float64")))),
    "softplus": (1, T.nnet.softplus, lambda a: np.logaddexp(0, a.astype("float64"))),
    "max": (1, T.max, np.max), "min": (1, T.min, np.min),
}


@pytest.mark.parametrize("dtype", ["uint8", "uint64"])
@pytest.mark.parametrize("name", sorted(_PICKED))
def test_helper_rows_on_unsigned_ints_match_numpy(name, dtype):
    """uint64 values past 2**63 read as negative through int64 helpers: each row must pick
    an unsigned helper and give NumPy's results (float rows against float64 NumPy)."""
    nin, build, ref = _PICKED[name]
    top = np.iinfo(dtype).max
    values = [np.array([top - 2, 3, 0, top, 7, top // 2 + 5], dtype),
              np.array([1, top - 1, 5, top // 2, 7, 2], dtype),
              np.array([2, 4, 1, top - 3, 9, top], dtype)][:nin]
    if nin == 3:  # clip(x, lo, hi) with lo <= hi
        values[1], values[2] = np.minimum(values[1], values[2]), np.maximum(values[1], values[2])
    if name in ("mod", "floordiv"):
        values[1] = np.where(values[1] == 0, 3, values[1]).astype(dtype)
    xs = [T.vector(f"x{k}", dtype=dtype) for k in range(nin)]
    out = build(*xs)
    want = ref(*values)
    got = np.asarray(nbgraph.function(xs, out, mode=C)(*values))
    assert got.dtype == out.dtype
    if got.dtype.kind == "f":  # uint8 -> float32 (Theano's rule), uint64 -> float64
        np.testing.assert_allclose(got, want, rtol=1e-6 if got.dtype == "float32" else 1e-15)
    else:  # exactly: a relative tolerance near 2**64 would hide an off-by-a-few
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_error_in_a_fused_reduction_names_what_the_kernel_reads():
    """max(exp(m)) runs as one kernel reading m: an error names m and its shape (the
    absorbed exp's output cell is never filled)."""
    m = T.dmatrix("m")
    f = nbgraph.function([m], T.max(T.exp(m), axis=1), mode=C)
    assert any("exp(" in s and "_reduce" in s for s in f.source.values())
    with pytest.raises(ValueError, match="zero-size array") as info:
        f(np.ones((3, 0)))
    message = str(info.value)
    assert "m: float64[?,?], value shape (3, 0), dtype float64" in message
    assert "value shape None" not in message


def test_a_reduction_computes_its_prologue_only_when_nothing_else_reads_it(rng):
    """max(exp(m)) is one kernel; with exp(m) also an output, exp keeps its own kernel."""
    m = T.dmatrix("m")
    e = T.exp(m)
    fused = nbgraph.function([m], T.max(e, axis=1), mode=C)
    both = nbgraph.function([m], [T.max(e, axis=1), e], mode=C)
    for f, n_kernels, n_absorbed in ((fused, 1, 1), (both, 2, 0)):
        fgraph = f.maker.fgraph
        kernels, absorbed = plan(fgraph, fgraph.toposort())
        assert [k.name for k in kernels.values()] == [f"k{i}" for i in range(n_kernels)]
        assert len(absorbed) == n_absorbed
    a = rng.standard_normal((3, 4))
    np.testing.assert_allclose(fused(a), np.exp(a).max(axis=1), rtol=1e-12)
    top, exp = both(a)
    np.testing.assert_allclose(top, np.exp(a).max(axis=1), rtol=1e-12)
    np.testing.assert_allclose(exp, np.exp(a), rtol=1e-12)


def test_signed_overflow_wraps_as_numpy():
    # compiled with -fwrapv: signed overflow is defined (it wraps), as NumPy's integers do
    x, y = T.lvector("x"), T.lvector("y")
    big = np.array([np.iinfo(np.int64).max, np.iinfo(np.int64).min, 3 << 61])
    step = np.array([1, -1, 4])
    fn = nbgraph.function([x, y], [x + y, x * y, x - y], mode=Mode(linker="c"))
    with np.errstate(over="ignore"):
        want = [big + step, big * step, big - step]
    for got, expected in zip(fn(big, step), want, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert "-fwrapv" in c_linker.compiler_flags()
