"""Every op on the JAX linker: the differential set (tests/differential_graphs.py) agrees with
the C linker, a graph per op family agrees with the Python linker (the NumPy reference), and
the inventory of op classes in nbgraph/ops has no class without a translation."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from differential_graphs import all_cases
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("jax")

import nbgraph  # noqa: E402
import nbgraph.ops  # noqa: E402
import nbgraph.tensor as T  # noqa: E402
from nbgraph.compile.mode import Mode  # noqa: E402
from nbgraph.core.gradient import grad_clip, grad_scale, zero_grad  # noqa: E402
from nbgraph.core.gradient_helpers import (  # noqa: E402
    DisconnectedGrad,
    ZeroGrad,
    consider_constant,
    undefined_grad,
)
from nbgraph.core.op import Op  # noqa: E402
from nbgraph.ifelse import ifelse  # noqa: E402
from nbgraph.link.jax_math import StaticValueError  # noqa: E402
from nbgraph.link.jax_ops import NOT_TRANSLATED, TRANSLATIONS, UntranslatedOpError  # noqa: E402
from nbgraph.link.jax_scalars import NOT_TRANSLATED_SCALARS  # noqa: E402
from nbgraph.ops import (  # noqa: E402
    abstract_conv,
    blas,
    bn,
    complex_ops,
    extra_ops,
    extra_ops_more,
    neighbours,
    nlinalg,
    nnet,
    nnet_bias,
    nnet_extra,
    pool,
    pool3d,
    pool_symbolic,
    scipy_special,
    signal_conv,
    slinalg,
    sort,
    special,
    topk,
    xlogx,
)
from nbgraph.ops.choose import choose  # noqa: E402
from nbgraph.ops.conv import conv2d  # noqa: E402
from nbgraph.ops.extra_ops_more import bartlett  # noqa: E402
from nbgraph.ops.opfromgraph import OpFromGraph  # noqa: E402
from nbgraph.ops.print_op import Print  # noqa: E402
from nbgraph.ops.py_scalar import py_elemwise  # noqa: E402
from nbgraph.ops.random import RandomVariable  # noqa: E402
from nbgraph.ops.rng_mrg import MRG_RandomStreams  # noqa: E402
from nbgraph.ops.scan.basic import until  # noqa: E402
from nbgraph.ops.sparse import basic as sparse  # noqa: E402
from nbgraph.ops.specify_shape import specify_shape  # noqa: E402

# float64 as the C linker's own differential tests; float32 gammaln differs by 1.1e-5 near its zero
TOL = {"float64": 1e-12, "float32": 2e-5}

# op classes seen in the JAX-compiled graphs of this file (the inventory test reads it)
EXERCISED: set[type] = set()


def op_classes(fn) -> set[type]:
    """The op classes of a compiled function's graph, inner graphs of Scan/IfElse included."""
    found: set[type] = set()
    stack = list(fn.maker.fgraph.apply_nodes)
    while stack:
        node = stack.pop()
        found.add(type(node.op))
        for inner in ("inner_outputs", "then_outputs", "else_outputs"):
            outs = getattr(node.op, inner, None)
            if outs:
                stack.extend(nbgraph.core.graph.toposort(outs))
    return found


def assert_close(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, \
        (got.shape, want.shape, got.dtype, want.dtype)
    if want.dtype.kind in "fc":
        tol = TOL.get(str(want.dtype), 1e-10)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def check(inputs, outputs, values, optimizer=None, reference="py"):
    """The JAX linker's values equal the reference linker's, output by output."""
    outs = outputs if isinstance(outputs, list) else [outputs]
    want = nbgraph.function(inputs, outs, mode=Mode(reference, optimizer))(*values)
    fn = nbgraph.function(inputs, outs, mode=Mode("jax", optimizer))
    got = fn(*values)
    EXERCISED.update(op_classes(fn))
    for g, w in zip(got, want, strict=True):
        assert_close(g, w)
    return got


# -- the differential set, against the C linker --------------------------------------------
CASES = list(all_cases(np.random.default_rng(42)))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_differential_set_matches_c(case):
    _, inputs, outputs, values = case
    with np.errstate(all="ignore"):
        check(inputs, outputs, values, reference="c")


def test_differential_set_after_rewrites_matches_c(rng):
    # fast_run fuses elementwise chains into Composite nodes: translated step by step
    x, y = T.dmatrices("x", "y")
    expr = T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x)
    check([x, y], expr, [rng.standard_normal((6, 5)), rng.standard_normal((6, 5))],
          optimizer="fast_run", reference="c")


def test_dtype_mixes_extreme_ints_and_empty_reductions_match_c():
    # JAX computes int32 * float32 in float32; NumPy (so the C linker) in float64
    i, f = T.ivector("i"), T.fvector("f")
    b, u = T.bvector("b"), T.vector("u", dtype="uint8")
    l = T.lvector("l")  # noqa: E741
    check([i, f, b, u, l], [i * f, l + f, b + u, b // u, b % u, i / 2, T.lt(i, f),
                            T.switch(b, f, i), b * b, i // T.constant(np.int32(-1)),
                            b // T.constant(np.int8(-1)), -b, abs(i)],
          [np.array([16777217, 3, np.iinfo("int32").min], "int32"),
           np.array([1.0, 0.5, 2.0], "float32"), np.array([-100, 100, -128], "int8"),
           np.array([7, 3, 200], "uint8"), np.array([2 ** 40 + 1, 3, -5])], reference="c")
    x = T.dmatrix("x")
    check([x], [T.argmax(x, axis=1), x.sum(axis=0), x.prod(axis=0), x.mean(axis=0),
                T.max(x, axis=1)], [np.zeros((0, 3))], reference="c")


UNARY = {"exp": T.exp, "tanh": T.tanh, "sin": T.sin, "neg": lambda a: -a, "abs": abs,
         "sigmoid": T.nnet.sigmoid, "softplus": T.nnet.softplus}
BINARY = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "sub": lambda a, b: a - b,
          "maximum": T.maximum, "minimum": T.minimum}


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(sorted(UNARY) + sorted(BINARY)),
                          st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=8),
       st.sampled_from(["float64", "float32"]), st.integers(0, 4), st.integers(1, 5),
       st.sampled_from([None, "fast_run"]), st.booleans())
def test_random_graphs_shapes_and_dtypes_agree(ops, dtype, rows, cols, optimizer, reduce):
    x, y = T.matrix("x", dtype=dtype), T.row("y", dtype=dtype)
    values = [x, y]
    for name, i, j in ops:
        a, b = values[i % len(values)], values[j % len(values)]
        out = UNARY[name](a) if name in UNARY else BINARY[name](a, b)
        values.append(T.tanh(out))  # keep magnitudes bounded
    out = values[-1] + x * y
    rng = np.random.default_rng(rows * 10 + cols)
    data = [rng.standard_normal((rows, cols)).astype(dtype),
            rng.standard_normal((1, cols)).astype(dtype)]
    check([x, y], [out.sum(axis=0) if reduce else out], data, optimizer=optimizer)


# -- one graph per op family, against the NumPy reference ------------------------------------
def test_reductions_and_cumulative(rng):
    x = T.dtensor3("x")
    a = rng.standard_normal((3, 4, 5))
    check([x], [T.argmax(x, axis=1), T.argmin(x), T.cumsum(x, axis=2),
                extra_ops.cumprod(x, axis=0), T.max(x, axis=(0, 2))], [a])


def test_shapes_and_allocation(rng):
    x = T.dmatrix("x")
    a = rng.standard_normal((4, 6))
    outs = [x.shape, x.shape[1] * 2, T.reshape(x, (x.shape[1], x.shape[0])), T.zeros_like(x),
            T.alloc(1.5, x.shape[0], 3), T.arange(x.shape[0]), T.eye(x.shape[0], 5, 1),
            T.tile(x, (2, 1)), T.repeat(x, 2, axis=0), T.diag(x[0]), T.diag(x[:, :4]),
            T.flatten(x), x.dimshuffle(1, "x", 0), T.concatenate([x, 2 * x], axis=1),
            T.stack([x, x]), T.shape_padleft(x), T.patternbroadcast(x[:1], (True, False))]
    check([x], outs, [a])
    check([x], outs, [a], optimizer="fast_run")


def test_split_fill_diagonal_and_index_arithmetic(rng):
    x = T.dmatrix("x")
    i = T.lvector("i")
    a = rng.standard_normal((5, 5))
    pieces = T.split(x, [2, 3], 2, axis=0)
    check([x, i], [*pieces, extra_ops.fill_diagonal(x, 7.0),
                   extra_ops.fill_diagonal_offset(x, 3.0, 1),
                   *T.unravel_index(i, (3, 4)), T.ravel_multi_index([i, i], (12, 12))],
          [a, np.array([0, 5, 11])])


def test_indexing_and_updates(rng):
    x = T.dmatrix("x")
    k = T.lscalar("k")
    idx = T.lvector("idx")
    y = T.dvector("y")
    a = rng.standard_normal((5, 4))
    outs = [x[1:4, ::2], x[k], x[k, 1:], x[-1], x[idx], x[idx, idx[::-1]],
            T.set_subtensor(x[1:3], 0.0), T.inc_subtensor(x[k], y),
            T.inc_subtensor(x[idx], 1.0), T.set_subtensor(x[idx], 2.0),
            T.inc_subtensor(x[idx, idx], 1.0), T.set_subtensor(x[idx, 0], -1.0)]
    check([x, k, idx, y], outs, [a, np.array(2), np.array([0, 3, 3, 1]),
                                 rng.standard_normal(4)])


def test_linear_algebra(rng):
    x, z = T.dmatrices("x", "z")
    v = T.dvector("v")
    b3 = T.dtensor3("b3")
    a = rng.standard_normal((4, 4)) + 4 * np.eye(4)
    outs = [T.dot(x, z), T.dot(x, v), T.tensordot(b3, x, axes=[[2], [0]]),
            T.batched_dot(b3, b3.dimshuffle(0, 2, 1)), T.nlinalg.matrix_inverse(x),
            T.nlinalg.det(x), T.nlinalg.trace(x), T.nlinalg.pinv(x),
            nbgraph.grad(T.nlinalg.trace(x), x)]  # EyeLike
    values = [a, rng.standard_normal((4, 4)), rng.standard_normal(4),
              rng.standard_normal((2, 3, 4))]
    check([x, z, v, b3], outs, values)
    # dot + add becomes gemm under fast_run
    check([x, z], [T.dot(x, z) * 2.0 + x], values[:2], optimizer="fast_run")


def test_nnet_forward_and_gradients(rng):
    x = T.dmatrix("x")
    y = T.lvector("y")
    a = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    sm = T.nnet.softmax(x)
    ce = T.nnet.categorical_crossentropy(sm, y).sum()
    nll, sm2 = nnet.crossentropy_softmax_1hot(x, y)[:2]
    outs = [sm, T.nnet.logsoftmax(x), ce, nbgraph.grad(ce, x), nll,
            nbgraph.grad(nll.sum(), x), nbgraph.grad((sm * sm).sum(), x), sm2,
            nbgraph.grad(T.nnet.logsoftmax(x)[:, 0].sum(), x)]
    check([x, y], outs, [a, labels])
    check([x, y], outs, [a, labels], optimizer="fast_run")


def test_special_functions(rng):
    x = T.dvector("x")
    a = rng.uniform(0.5, 4, 7)
    check([x], [special.psi(x), special.polygamma(1, x), special.polygamma(2, x)], [a])


def test_convolution_and_gradients(rng):
    x, w = T.dtensor4("x"), T.dtensor4("w")
    a, k = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 2))
    for params in ({}, {"border_mode": "full"}, {"border_mode": "half", "subsample": (2, 1)},
                   {"filter_flip": False, "filter_dilation": (2, 1)},
                   {"border_mode": (1, 2)}):
        out = conv2d(x, w, **params)
        cost = (out * out).sum()
        check([x, w], [out, *nbgraph.grad(cost, [x, w])], [a, k])


@pytest.mark.parametrize("mode", ["max", "sum", "average_inc_pad", "average_exc_pad"])
@pytest.mark.parametrize("params", [{"ws": (2, 2), "ignore_border": True},
                                    {"ws": (2, 3), "ignore_border": False},
                                    {"ws": (3, 3), "stride": (2, 1), "ignore_border": True,
                                     "pad": (1, 1)}], ids=["whole", "partial", "padded"])
def test_pooling_and_gradients(mode, params, rng):
    x = T.dtensor4("x")
    a = rng.standard_normal((2, 2, 5, 7))
    out = pool.pool_2d(x, mode=mode, **params)
    g = nbgraph.grad((out * out).sum(), x)
    outs = [out, g]
    if mode == "max":  # the gradient of the gradient: DownsampleFactorMaxGradGrad
        outs.append(nbgraph.grad((g * g).sum(), x))
    check([x], outs, [a])


def test_sorting(rng):
    x = T.dmatrix("x")
    v = T.dvector("v")
    a = rng.standard_normal((4, 5))
    sorted_row = T.sort(x[0])
    outs = [T.sort(x, axis=0), T.argsort(x), sort.sort(x, axis=1, kind="stable"),
            nbgraph.grad((T.sort(x, axis=1) * np.arange(5.0)).sum(), x),
            sort.searchsorted(sorted_row, v), sort.searchsorted(x[0], v, side="right",
                                                                 sorter=T.argsort(x[0]))]
    check([x, v], outs, [a, rng.standard_normal(6)])


def test_gradient_blocks_and_print(rng, capfd):
    x = T.dvector("x")
    a = rng.standard_normal(3)
    out = Print("x is")(x) * 2 + zero_grad(x) + nbgraph.gradient.disconnected_grad(x) \
        + grad_clip(x * x, -0.5, 0.5) + grad_scale(T.exp(x), 3.0) \
        + consider_constant(x) * ZeroGrad()(x) + DisconnectedGrad()(x)  # Theano's classes
    capfd.readouterr()
    check([x], [out, nbgraph.grad(out.sum(), x), undefined_grad(x) * 3], [a])
    assert capfd.readouterr().out.count("x is") == 2  # the Python linker's, then XLA's


def test_scan_with_taps_backwards_and_gradient(rng):
    xs = T.dmatrix("xs")
    h0 = T.dmatrix("h0")
    w = T.dmatrix("w")

    def step(x_prev, x_t, h_2, h_1, w_):
        return T.tanh(x_t + x_prev + T.dot(h_1, w_) - 0.5 * h_2), T.sum(x_t)

    (hs, sums), _ = nbgraph.scan(step, sequences=dict(input=xs, taps=[-1, 0]),
                                 outputs_info=[dict(initial=h0, taps=[-2, -1]), None],
                                 non_sequences=w, go_backwards=True)
    cost = hs[-1].sum() + sums.sum()
    values = [rng.standard_normal((6, 3)), rng.standard_normal((2, 3)),
              rng.standard_normal((3, 3)) * 0.3]
    check([xs, h0, w], [hs, sums, *nbgraph.grad(cost, [xs, h0, w])], values)


def test_ifelse_both_sides_and_gradient(rng):
    a, b = T.dscalars("a", "b")
    x = T.dvector("x")
    z = ifelse(T.lt(a, b), T.exp(x).sum(), (x * x).sum())
    outs = [z, nbgraph.grad(z, x)]
    value = rng.standard_normal(4)
    check([a, b, x], outs, [np.array(1.0), np.array(2.0), value])
    check([a, b, x], outs, [np.array(3.0), np.array(2.0), value])


# -- the ops of issues 12, 14 and 15 (jax_extra.py, jax_random.py, OpFromGraph) ----------------
def test_blas_shape_checks_topk_and_choose(rng):
    y, v = T.dvectors("y", "v")
    a = T.dmatrix("a")
    alpha, beta = T.dscalars("alpha", "beta")
    idx = T.lvector("idx")
    outs = [blas.gemv_no_inplace(y, alpha, a, v, beta), blas.gemv_no_inplace(y, alpha, a, v, 0.0),
            specify_shape(a, (4, 3)) * 2, topk.argtopk(a, 2, axis=1), topk.argtopk(a, -3, axis=0),
            topk.topk(a, 2, axis=0), nbgraph.grad(topk.topk(a, 2, axis=1).sum(), a),
            choose(idx % 3, T.stack([v, 2 * v, 3 * v])), choose(idx, [v, -v], mode="wrap"),
            choose(idx, [v, -v], mode="clip"), bartlett(a.shape[0] + 3),
            extra_ops_more.cpu_contiguous(a.T)]
    y_nan = np.full(4, np.nan)  # beta == 0 never reads y
    check([y, alpha, a, v, beta, idx], outs,
          [y_nan, np.array(0.5), rng.standard_normal((4, 3)), rng.standard_normal(3),
           np.array(0.0), np.array([0, 4, 2])])
    check([y, alpha, a, v, beta], outs[:1],
          [rng.standard_normal(4), np.array(0.5), rng.standard_normal((4, 3)),
           rng.standard_normal(3), np.array(-2.0)])


def test_scipy_linear_algebra(rng):
    a, b = T.dmatrices("a", "b")
    t4 = T.dtensor4("t4")
    m = rng.standard_normal((4, 4))
    spd = m @ m.T + 4 * np.eye(4)
    outs = [slinalg.cholesky(a), slinalg.cholesky(a, lower=False), slinalg.solve(a, b),
            slinalg.solve_lower_triangular(T.tril(a), b), slinalg.solve_upper_triangular(
                T.triu(a), b[:, 0]), slinalg.solve_symmetric(a, b), slinalg.eigvalsh(a),
            slinalg.eigvalsh(a, lower=False), slinalg.expm(a * 0.1),
            nlinalg.svd(a[:, :3], compute_uv=False),
            nlinalg.tensorinv(t4, ind=2), nlinalg.tensorsolve(t4.reshape((4, 4)), b[:, 0]),
            nbgraph.grad((slinalg.eigvalsh(a) * np.arange(4.0)).sum(), a),
            nbgraph.grad((slinalg.eigvalsh(a, lower=False) ** 2).sum(), a),
            nbgraph.grad((slinalg.expm(a * 0.1) * b[:, 0].dimshuffle(0, "x")).sum(), a)]
    check([a, b, t4], outs, [spd, rng.standard_normal((4, 2)),
                             spd.reshape(2, 2, 2, 2) + rng.standard_normal((2, 2, 2, 2))])


def test_bias_crossentropy_symbolic_pool_and_op_from_graph(rng):
    x = T.dmatrix("x")
    b = T.dvector("b")
    y = T.lvector("y")
    x4 = T.dtensor4("x4")
    nll, sm, am = nnet_bias.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    k = x4.shape[2] // 2  # a window size computed from a shape: static while tracing
    pooled = pool_symbolic.pool_2d(x4, ws=(k, k), ignore_border=True, mode="max")
    avg = pool_symbolic.pool_2d(x4, ws=(k, 1), stride=(1, k), ignore_border=True,
                                mode="average_inc_pad")
    u, w = T.dmatrices("u", "w")
    ofg = OpFromGraph([u, w], [T.tanh(u) * w + 1])
    outs = [nll, sm, am, nbgraph.grad(nll.sum(), [x, b])[1], pooled,
            nbgraph.grad((pooled * pooled).sum(), x4), avg, ofg(x, x * 2),
            nbgraph.grad(ofg(x, x).sum(), x)]
    check([x, b, y, x4], outs, [rng.standard_normal((5, 4)), rng.standard_normal(4),
                                np.array([0, 3, 1, 1, 2]), rng.standard_normal((2, 2, 5, 6))])


@pytest.mark.parametrize(("shape", "step", "mode"), [
    ((2, 2), None, "valid"), ((2, 3), (1, 2), "ignore_borders"), ((3, 3), (2, 2), "half"),
    ((2, 2), None, "full"), ((3, 1), (2, 1), "wrap_centered")])
def test_neighbours_and_their_gradient(shape, step, mode, rng):
    x = T.dtensor4("x")
    neibs = neighbours.images2neibs(x, shape, step, mode)
    outs = [neibs, nbgraph.grad((neibs * neibs).sum(), x),
            neighbours.neibs2images(neibs, shape, x.shape, mode, step)]
    check([x], outs, [rng.standard_normal((2, 1, 4, 6))])


def test_families_built_from_translated_ops(rng):
    # pool_3d, conv3d, separable convolutions, batch norm, signal.conv,
    # xlogx and the nnet helpers build their graphs from the ops above
    x5, w5 = T.dtensor5("x5"), T.dtensor5("w5")
    x4, dw, pw = T.dtensor4("x4"), T.dtensor4("dw"), T.dtensor4("pw")
    m, g, b = T.dmatrix("m"), T.dvector("g"), T.dvector("b")
    outs = [pool3d.pool_3d(x5, (2, 2, 2), ignore_border=True),
            pool3d.pool_3d(x5, (2, 1, 2), ignore_border=True, mode="average_exc_pad"),
            abstract_conv.conv3d(x5, w5, filter_shape=(3, 2, 2, 2, 2)),
            abstract_conv.separable_conv2d(x4, dw, pw, 2),
            *bn.batch_normalization_train(m, g, b)[:3],
            signal_conv.conv2d(m, m[:2, :2], border_mode="full"),
            xlogx.xlogx(abs(m)), xlogx.xlogy0(abs(m), abs(m) + 1),
            nnet_extra.prepend_1_to_each_row(m)]  # confusion_matrix uses Unique
    check([x5, w5, x4, dw, pw, m, g, b], outs,
          [rng.standard_normal((1, 2, 4, 4, 4)), rng.standard_normal((3, 2, 2, 2, 2)),
           rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((4, 1, 2, 2)),
           rng.standard_normal((3, 4, 1, 1)), rng.standard_normal((5, 4)),
           rng.standard_normal(4), rng.standard_normal(4)])


def test_complex_and_scipy_special_rows(rng):
    x, y = T.dvectors("x", "y")
    z = complex_ops.complex(x, y)
    k = T.dvector("k")
    outs = [complex_ops.real(z), complex_ops.imag(z * z), complex_ops.conj(z),
            complex_ops.angle(z), z, scipy_special.erfinv(T.tanh(x)),
            scipy_special.erfcinv(1 + T.tanh(x)), scipy_special.erfcinv(T.exp(-abs(y) * 300)),
            scipy_special.erfcx(x), scipy_special.i0(x), scipy_special.i1(x),
            scipy_special.gammainc(k, abs(y)), scipy_special.gammaincc(k, abs(y)),
            scipy_special.gammau(k, abs(y)), scipy_special.gammal(k, abs(y))]
    check([x, y, k], outs, [rng.standard_normal(6), rng.standard_normal(6),
                            rng.uniform(0.5, 4, 6)])


@pytest.mark.parametrize("name", sorted(NOT_TRANSLATED_SCALARS))
def test_scipy_only_special_functions_are_clear_errors(name):
    x = T.dvector("x")
    row = scipy_special.ROWS[name]
    out = py_elemwise(row)(*([x] * row.nin))
    fn = nbgraph.function([x], out, mode="JAX")
    with pytest.raises(UntranslatedOpError, match=f"no JAX form for the scalar op '{name}'"):
        fn(np.array([0.5, 1.5]))


def test_untranslated_op_classes_are_clear_errors(rng):
    a = T.dmatrix("a")
    for out, name in ((extra_ops_more.Unique()(a.flatten()), "Unique"),
                      (nlinalg.eigh(a)[1], "Eigh"), (nlinalg.qr(a)[0], "QRFull")):
        fn = nbgraph.function([a], out, mode="JAX")
        with pytest.raises(UntranslatedOpError, match=f"no JAX translation for {name}.*"
                                                      f"{NOT_TRANSLATED[name][:20]}"):
            fn(np.eye(3))
    fn = nbgraph.function([a], nlinalg.svd(a)[0], mode="JAX")
    with pytest.raises(UntranslatedOpError, match="SVD with compute_uv=True.*signs"):
        fn(np.eye(3))
    fn = nbgraph.function([a], sparse.dense_from_sparse(sparse.csr_from_dense(a)), mode="JAX")
    with pytest.raises(UntranslatedOpError, match="SparseFromDense.*scipy.sparse"):
        fn(np.eye(3))


def test_mrg_draws_equal_the_c_linkers(rng):
    """The MRG ops run their own perform on the host: the same seed gives the same numbers."""
    pvals = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])

    def draws(mode):
        srng = MRG_RandomStreams(seed=234)
        outs = [srng.uniform((3, 5)), srng.normal((4,), avg=1.0, std=2.0),
                srng.binomial((6,), p=0.4), srng.multinomial(pvals=pvals, n=3),
                srng.choice(size=2, replace=False, p=pvals)]
        fn = nbgraph.function([], outs, mode=mode)
        if mode == "JAX":
            EXERCISED.update(op_classes(fn))
        return [fn() for _ in range(2)]

    want, got = draws("FAST_RUN"), draws("JAX")
    for w, g in zip(want, got, strict=True):
        for a, b in zip(g, w, strict=True):
            assert_close(a, b)
    assert not np.array_equal(got[0][0], got[1][0])  # the state advanced per call


# -- what cannot be compiled for XLA: clear errors -------------------------------------------
def test_value_dependent_shapes_are_clear_errors(rng):
    x = T.lvector("x")
    for out in (extra_ops.bincount(x), T.nonzero(x)[0], T.arange(x[0])):
        fn = nbgraph.function([x], out, mode="JAX")
        EXERCISED.update(op_classes(fn))
        with pytest.raises(StaticValueError, match=r"node \d+ .*static shapes"):
            fn(np.array([1, 2, 2]))
    # the same ops with values known while tracing compute (NumPy folds them)
    c = T.constant(np.array([1, 2, 2]))
    check([x], [extra_ops.bincount(c) + x[0], T.nonzero(c)[0] + x[0]], [np.array([4, 5])])


def test_scan_until_is_a_clear_error():
    # the number of steps taken, so the stack's length, is known only at run time
    limit = T.dscalar("limit")
    out, _ = nbgraph.scan(lambda p: (p * 2, until(p * 2 > limit)),
                          outputs_info=T.constant(1.0), n_steps=20)
    fn = nbgraph.function([limit], out, mode="JAX")
    with pytest.raises(StaticValueError, match="until.*static shapes"):
        fn(np.array(40.0))


def test_an_op_without_translation_is_named():
    class Mystery(Op):
        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return nbgraph.core.graph.Apply(self, [x], [x.type()])

        def perform(self, node, inputs, out):
            out[0][0] = inputs[0]

    x = T.dvector("x")
    fn = nbgraph.function([x], Mystery()(x) * 2, mode="JAX")
    with pytest.raises(UntranslatedOpError, match="no JAX translation for Mystery"):
        fn(np.ones(2))


# -- the inventory ------------------------------------------------------------------------------
def all_op_classes() -> list[type]:
    """Every concrete Op class defined in nbgraph.ops (a class with its own ``perform``
    somewhere below Op), plus core's gradient-shaping identity."""
    for info in pkgutil.walk_packages(nbgraph.ops.__path__, "nbgraph.ops."):
        importlib.import_module(info.name)
    found, stack = set(), list(Op.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        concrete = any("perform" in vars(k) for k in cls.__mro__ if k is not Op)
        if concrete and cls.__module__.startswith(("nbgraph.ops", "nbgraph.core")):
            found.add(cls)
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


def translated(cls: type) -> bool:
    return any(k in TRANSLATIONS for k in cls.__mro__)


def test_every_op_class_has_a_translation():
    missing = [f"{c.__module__}.{c.__name__}" for c in all_op_classes()
               if not translated(c) and c.__name__ not in NOT_TRANSLATED]
    assert len(all_op_classes()) > 55
    assert not missing, f"op classes without a JAX translation: {missing}"


def _untested() -> list[str]:
    # RandomVariable's values are checked by their moments in test_jax_linker.py; a base
    # class (IdentityForward) counts through its subclasses
    return [c.__name__ for c in all_op_classes()
            if translated(c) and c is not RandomVariable
            and not any(issubclass(e, c) for e in EXERCISED)]


def test_every_translation_is_exercised_here(capfd):
    """Every op class with a translation appeared in a compiled graph of this file. The tests
    above record them; a worker that did not run them all (pytest-xdist splits files) runs
    the family tests again here."""
    if _untested():
        rng = np.random.default_rng(0)
        for family in (test_reductions_and_cumulative, test_shapes_and_allocation,
                       test_split_fill_diagonal_and_index_arithmetic, test_indexing_and_updates,
                       test_linear_algebra, test_nnet_forward_and_gradients,
                       test_special_functions, test_convolution_and_gradients, test_sorting,
                       test_scan_with_taps_backwards_and_gradient,
                       test_ifelse_both_sides_and_gradient,
                       test_value_dependent_shapes_are_clear_errors,
                       test_blas_shape_checks_topk_and_choose, test_scipy_linear_algebra,
                       test_bias_crossentropy_symbolic_pool_and_op_from_graph,
                       test_complex_and_scipy_special_rows, test_mrg_draws_equal_the_c_linkers):
            family(rng)
        test_neighbours_and_their_gradient((2, 2), None, "valid", rng)
        for mode in ("max", "average_inc_pad"):
            test_pooling_and_gradients(mode, {"ws": (2, 2), "ignore_border": True}, rng)
        test_gradient_blocks_and_print(rng, capfd)
    untested = _untested()
    assert not untested, f"translations no test compiled: {untested}"
