"""Sparse matrices against scipy.sparse/NumPy in float64: construction, conversion,
products, sums, structured functions; gradients by finite differences over the stored
values (Theano's verify_grad_sparse idea: the structure fixed, the data the variable); and a
sparse logistic regression trained end to end."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from op_shape_check import assert_infer_shape
from scipy import sparse as sp

import nbgraph as th
import nbgraph.sparse as S
import nbgraph.tensor as T
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad


def _matrix(rng, shape=(5, 4), fmt="csr", density=0.5):
    m = sp.random(*shape, density=density, format=fmt, random_state=rng.integers(1 << 30))
    m.data = rng.normal(size=m.nnz)
    return m


def _with_data(m, fn):
    """``fn`` of a sparse matrix with ``m``'s structure and symbolic stored values."""
    build = S.CSR if m.format == "csr" else S.CSC
    parts = [m.indices.astype("int32"), m.indptr.astype("int32"),
             np.asarray(m.shape, dtype="int32")]
    return lambda data, *rest: fn(build(data, *parts), *rest)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_dot_values(fmt, linker, rng):
    x = S.SparseType(fmt, "float64")("x")
    w, v = T.dmatrix("w"), T.dvector("v")
    xv, wv, vv = _matrix(rng, fmt=fmt), rng.normal(size=(4, 3)), rng.normal(size=4)
    d = T.dmatrix("d")
    dv = rng.normal(size=(2, 5))
    f = th.function([x, w, v, d], [S.dot(x, w), S.structured_dot(x, v), S.dot(d, x), x @ w],
                    mode=Mode(linker=linker))
    got = f(xv, wv, vv, dv)
    dense = xv.toarray()
    for g, want in zip(got, [dense @ wv, dense @ vv, dv @ dense, dense @ wv], strict=True):
        np.testing.assert_allclose(g, want, rtol=1e-13)
    y = S.csr_matrix("y", "float64")
    yv = _matrix(rng, (4, 3))
    prod = S.true_dot(x, y).eval({x: xv, y: yv})
    assert sp.issparse(prod)
    np.testing.assert_allclose(prod.toarray(), dense @ yv.toarray(), rtol=1e-13)


def test_conversions_and_properties(rng):
    x = S.csr_matrix("x", "float64")
    xv = _matrix(rng)
    data, indices, indptr, shape = th.function([x], S.csm_properties(x))(xv)
    np.testing.assert_array_equal(data, xv.data)
    np.testing.assert_array_equal(indices, xv.indices)
    np.testing.assert_array_equal(indptr, xv.indptr)
    np.testing.assert_array_equal(shape, xv.shape)
    rebuilt = S.CSR(*S.csm_properties(x)).eval({x: xv})
    assert rebuilt.format == "csr" and (rebuilt != xv).nnz == 0
    t = S.transpose(x).eval({x: xv})
    assert t.format == "csc"
    np.testing.assert_array_equal(t.toarray(), xv.toarray().T)
    d = T.dmatrix("d")
    dv = np.array([[0.0, 2.0], [3.0, 0.0]])
    for convert, fmt in ((S.csr_from_dense, "csr"), (S.csc_from_dense, "csc")):
        out = convert(d).eval({d: dv})
        assert out.format == fmt and out.nnz == 2
        np.testing.assert_array_equal(S.dense_from_sparse(convert(d)).eval({d: dv}), dv)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_sp_sum(axis, rng):
    x = S.csc_matrix("x", "float64")
    xv = _matrix(rng, fmt="csc")
    want = np.asarray(xv.toarray().sum(axis=axis))
    np.testing.assert_allclose(S.sp_sum(x, axis).eval({x: xv}), want, rtol=1e-13)
    verify_grad(_with_data(xv, lambda m: S.sp_sum(m, axis)), [xv.data], rng=rng)


@pytest.mark.parametrize("name", ["structured_sigmoid", "structured_exp", "sqr", "tanh",
                                  "sin", "arctan", "abs_", "neg", "log1p"])
def test_structured_functions(name, rng):
    x = S.csr_matrix("x", "float64")
    xv = _matrix(rng)
    xv.data = np.abs(xv.data) + 0.1
    out = getattr(S, name)(x).eval({x: xv})
    reference = {"structured_sigmoid": lambda v: 1 / (1 + np.exp(-v)),
                 "structured_exp": np.exp, "sqr": np.square, "tanh": np.tanh, "sin": np.sin,
                 "arctan": np.arctan, "abs_": np.abs, "neg": np.negative, "log1p": np.log1p}
    assert out.nnz == xv.nnz   # zeros stay zeros
    np.testing.assert_allclose(out.data, reference[name](xv.data), rtol=1e-13)
    verify_grad(_with_data(xv, lambda m: S.sp_sum(getattr(S, name)(m))), [xv.data], rng=rng)


def test_elementwise_with_dense_and_scalars(rng):
    x, d = S.csr_matrix("x", "float64"), T.dmatrix("d")
    xv, dv = _matrix(rng), rng.normal(size=(5, 4))
    dense = xv.toarray()
    f = th.function([x, d], [S.mul(x, d), x * 3.0, S.add(x, d), d - x,
                             S.structured_pow(x, 2), S.sp_ones_like(x)])
    prod, scaled, total, diff, squared, ones = f(xv, dv)
    np.testing.assert_allclose(prod.toarray(), dense * dv, rtol=1e-13)
    np.testing.assert_allclose(scaled.toarray(), dense * 3, rtol=1e-13)
    np.testing.assert_allclose(total, dense + dv, rtol=1e-13)
    np.testing.assert_allclose(diff, dv - dense, rtol=1e-13)
    np.testing.assert_allclose(squared.toarray(), dense ** 2, rtol=1e-13)
    np.testing.assert_array_equal(ones.toarray(), (dense != 0).astype(float))
    v = T.dvector("v")
    vv = rng.normal(size=4)
    added = S.structured_add(x, v).eval({x: xv, v: vv})
    np.testing.assert_allclose(added.toarray(), np.where(dense != 0, dense + vv, 0),
                               rtol=1e-13)
    verify_grad(_with_data(xv, lambda m, w: S.sp_sum(S.mul(m, w))), [xv.data, dv], rng=rng)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_dot_gradients(fmt, rng):
    xv = _matrix(rng, fmt=fmt)
    wv = rng.normal(size=(4, 3))
    verify_grad(_with_data(xv, lambda m, w: T.tanh(S.structured_dot(m, w))), [xv.data, wv],
                rng=rng)
    verify_grad(_with_data(xv, lambda m, w: S.dot(w, S.transpose(m))), [xv.data, wv.T],
                rng=rng)
    verify_grad(_with_data(xv, lambda m: S.dense_from_sparse(m) ** 2), [xv.data], rng=rng)
    # the gradient with respect to a sparse input keeps its structure
    x = S.SparseType(fmt, "float64")("x")
    w = T.dmatrix("w")
    gx = th.grad(T.sum(S.dot(x, w) ** 2), x).eval({x: xv, w: wv})
    assert sp.issparse(gx) and gx.format == fmt
    want = (2 * (xv.toarray() @ wv)) @ wv.T
    np.testing.assert_allclose(gx.toarray(), np.where(xv.toarray() != 0, want, 0), rtol=1e-12)


def test_inputs_filter_and_errors(rng):
    x = S.csr_matrix("x", "float64")
    f = th.function([x], S.sp_sum(x))
    dense = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert f(dense) == 3.0                      # converted to CSR on the way in
    assert f(sp.csc_matrix(dense)) == 3.0
    with pytest.raises(TypeError, match="casting would lose precision"):
        S.csr_matrix("y", "float32").type.filter(sp.csr_matrix(dense))
    with pytest.raises(TypeError, match=r"__truediv__: not defined for the sparse matrix x"):
        x / 2
    with pytest.raises(TypeError, match="structured_dot: needs a sparse matrix|needs a sparse"):
        S.structured_dot(T.dmatrix(), T.dmatrix())
    with pytest.raises(ValueError, match="format must be one of"):
        S.SparseType("coo", "float64")


def test_sparse_logistic_regression(rng):
    """A bag-of-words classifier: sparse counts X (documents by words), dense weights
    trained by gradient descent through structured_dot; its gradient matches NumPy's and
    it learns the labels a hidden weight vector made."""
    docs, words = 300, 60
    counts = sp.random(docs, words, density=0.1, format="csr",
                       random_state=rng.integers(1 << 30))
    counts.data = np.ceil(counts.data * 3)
    hidden = rng.normal(size=words) * 2
    labels = (counts @ hidden > 0).astype("float64")
    x, y = S.csr_matrix("x", "float64"), T.dvector("y")
    w = th.shared(np.zeros(words), name="w")
    b = th.shared(0.0, name="b")
    p = T.nnet.sigmoid(S.dot(x, w) + b)
    loss = T.mean(T.nnet.binary_crossentropy(p, y))
    gw, gb = th.grad(loss, [w, b])
    # the first gradient against NumPy's dense computation
    p0 = 1 / (1 + np.exp(-(counts @ np.zeros(words))))
    first = th.function([x, y], gw)(counts, labels)
    np.testing.assert_allclose(first, counts.T @ (p0 - labels) / docs, rtol=1e-12)
    train = th.function([x, y], loss, updates=[(w, w - 1.0 * gw), (b, b - 1.0 * gb)])
    losses = [train(counts, labels) for _ in range(300)]
    assert losses[-1] < 0.5 * losses[0]
    predict = th.function([x], p > 0.5)
    accuracy = np.mean(predict(counts) == labels)
    assert accuracy > 0.93


def test_sampling_dot_and_scaling(rng):
    p = S.csr_matrix("p", "float64")
    x, y = T.dmatrix("x"), T.dmatrix("y")
    pv = _matrix(rng, (5, 4))
    xv, yv = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    got = S.sampling_dot(x, y, p).eval({p: pv, x: xv, y: yv})
    mask = pv.toarray()
    np.testing.assert_allclose(got.toarray(), mask * (xv @ yv.T), rtol=1e-12)
    verify_grad(_with_data(pv, lambda m, a, b: S.sp_sum(S.sqr(S.sampling_dot(a, b, m)))),
                [pv.data, xv, yv], rng=rng)
    s, c = T.dvector("s"), T.dvector("c")
    sv, cv = rng.normal(size=5), rng.normal(size=4)
    np.testing.assert_allclose(S.row_scale(p, s).eval({p: pv, s: sv}).toarray(),
                               mask * sv[:, None], rtol=1e-13)
    np.testing.assert_allclose(S.col_scale(p, c).eval({p: pv, c: cv}).toarray(),
                               mask * cv[None, :], rtol=1e-13)
    clipped = S.structured_minimum(p, 0.1).eval({p: pv})
    np.testing.assert_allclose(clipped.data, np.minimum(pv.data, 0.1))
    assert S.structured_maximum(p, 0.1).eval({p: pv}).nnz == pv.nnz
    assert S.sp_zeros_like(p).eval({p: pv}).nnz == pv.nnz
    as32 = S.fcast(p).eval({p: pv})
    assert as32.dtype == np.float32 and as32.format == "csr"
    assert S.csr_dmatrix("q").type == S.SparseType("csr", "float64")


def test_dense_elementwise_ops_refuse_sparse_inputs():
    x = S.csr_matrix("x", "float64")
    with pytest.raises(TypeError, match=r"Elemwise\{exp,no_inplace\}: x csr:float64\[\?,\?\] "
                                        r"is not a dense tensor"):
        T.exp(x)


def test_infer_shape_of_sparse_ops(rng):
    x, w = S.csr_matrix("x", "float64"), T.dmatrix("w")
    xv, wv = _matrix(rng, (5, 4)), rng.normal(size=(4, 3))
    assert_infer_shape(S.tanh(x), [x], [xv])
    assert_infer_shape(S.transpose(x), [x], [xv])
    assert_infer_shape(S.structured_dot(x, w), [x, w], [xv, wv])
    assert_infer_shape(S.sp_sum(x, 0), [x], [xv])
    assert_infer_shape(S.dense_from_sparse(x), [x], [xv])


@pytest.mark.parametrize("name", ["eq", "neq", "lt", "gt", "le", "ge"])
def test_comparisons(name, rng):
    x, y = S.csr_matrix("x", "float64"), S.csr_matrix("y", "float64")
    d = T.dmatrix("d")
    xv, yv = _matrix(rng), _matrix(rng)
    dv = np.round(rng.normal(size=(5, 4)))
    op = {"eq": np.equal, "neq": np.not_equal, "lt": np.less, "gt": np.greater,
          "le": np.less_equal, "ge": np.greater_equal}[name]
    f = getattr(S, name)
    ss, sd, ds = th.function([x, y, d], [f(x, y), f(x, d), f(d, x)])(xv, yv, dv)
    assert sp.issparse(ss) and ss.dtype == np.uint8
    np.testing.assert_array_equal(ss.toarray(), op(xv.toarray(), yv.toarray()))
    np.testing.assert_array_equal(sd, op(xv.toarray(), dv))
    np.testing.assert_array_equal(ds, op(dv, xv.toarray()))
    np.testing.assert_array_equal((x < d).eval({x: xv, d: dv}), xv.toarray() < dv)


@pytest.mark.parametrize("stack, axis", [("hstack", 1), ("vstack", 0)])
def test_stacking(stack, axis, rng):
    a, b = S.csr_matrix("a", "float64"), S.csc_matrix("b", "float64")
    shape_b = (5, 2) if axis == 1 else (3, 4)
    av, bv = _matrix(rng, (5, 4)), _matrix(rng, shape_b, "csc")
    out = getattr(S, stack)([a, b]).eval({a: av, b: bv})
    want = getattr(sp, stack)([av, bv]).toarray()
    np.testing.assert_array_equal(out.toarray(), want)
    assert out.format == ("csc" if axis == 1 else "csr")
    weights = rng.normal(size=want.shape)
    ga, gb = th.grad(T.sum(S.dense_from_sparse(getattr(S, stack)([a, b])) * weights), [a, b])
    got_a, got_b = th.function([a, b], [ga, gb])(av, bv)
    split = [weights[:, :4], weights[:, 4:]] if axis == 1 else [weights[:5], weights[5:]]
    # the gradient of the stack keeps each block's structure (dense_from_sparse's grad)
    np.testing.assert_allclose(got_a.toarray(), np.where(av.toarray() != 0, split[0], 0))
    np.testing.assert_allclose(got_b.toarray(), np.where(bv.toarray() != 0, split[1], 0))
    assert got_b.format == "csc"


def test_sparse_shared_variable(rng):
    xv = _matrix(rng, (6, 4), "csc")
    xs = S.shared(xv, name="X")
    assert xs.type == S.SparseType("csc", "float64") and isinstance(xs, S.SparseVariable)
    w = T.dvector("w")
    wv = rng.normal(size=4)
    f = th.function([w], S.dot(xs, w))
    np.testing.assert_allclose(f(wv), xv @ wv, rtol=1e-13)
    got = xs.get_value()
    got.data[:] = 0                         # a copy: the shared value is untouched
    np.testing.assert_allclose(f(wv), xv @ wv, rtol=1e-13)
    xs.set_value(2 * xv)
    np.testing.assert_allclose(f(wv), 2 * (xv @ wv), rtol=1e-13)
    with pytest.raises(TypeError, match="expected a scipy sparse matrix"):
        S.shared(np.ones((2, 2)))


def test_storage_housekeeping_and_diagonals(rng):
    x = S.csr_matrix("x", "float64")
    messy = sp.csr_matrix((np.array([0.0, 2.0, 3.0, 0.0]), np.array([2, 0, 1, 1]),
                           np.array([0, 3, 4])), shape=(2, 3))
    assert not messy.has_sorted_indices
    cleaned = S.clean(x).eval({x: messy})
    assert cleaned.nnz == 2 and cleaned.has_sorted_indices
    np.testing.assert_array_equal(cleaned.toarray(), messy.toarray())
    assert S.remove0(x).eval({x: messy}).nnz == 2
    assert S.ensure_sorted_indices(x).eval({x: messy}).has_sorted_indices
    # structured gradients: an explicitly stored zero is dropped, so it gets none; check
    # the gradient on the same unsorted storage without zeros
    unsorted = messy.copy()
    unsorted.data = np.array([1.5, 2.0, 3.0, 0.5])
    verify_grad(_with_data(unsorted, lambda m: S.dense_from_sparse(S.clean(m)) * 2.0),
                [unsorted.data], rng=rng)
    square = _matrix(rng, (4, 4), density=0.7)
    np.testing.assert_array_equal(S.diag(x).eval({x: square}), square.diagonal())
    v = T.dvector("v")
    vv = rng.normal(size=3)
    np.testing.assert_array_equal(S.square_diagonal(v).eval({v: vv}).toarray(), np.diag(vv))
    verify_grad(lambda a: S.dense_from_sparse(S.square_diagonal(a)) ** 2, [vv], rng=rng)
    verify_grad(_with_data(square, lambda m: S.diag(m) ** 2), [square.data], rng=rng)


def test_sparse_sparse_elementwise(rng):
    x, y = S.csr_matrix("x", "float64"), S.csr_matrix("y", "float64")
    xv, yv = _matrix(rng), _matrix(rng)
    v = T.dvector("v")
    vv = rng.normal(size=4)
    total, prod, diff, scaled = th.function([x, y, v], [x + y, S.mul(x, y), x - y,
                                                        S.mul(x, v)])(xv, yv, vv)
    assert all(sp.issparse(m) for m in (total, prod, diff, scaled))
    np.testing.assert_allclose(total.toarray(), (xv + yv).toarray(), rtol=1e-13)
    np.testing.assert_allclose(prod.toarray(), xv.toarray() * yv.toarray(), rtol=1e-13)
    np.testing.assert_allclose(diff.toarray(), (xv - yv).toarray(), rtol=1e-13)
    np.testing.assert_allclose(scaled.toarray(), xv.toarray() * vv, rtol=1e-13)
    both = _with_data(xv, lambda m, n: S.sp_sum(S.sqr(S.add_s_s(m, S.csr_from_dense(n)))))
    verify_grad(both, [xv.data, yv.toarray() + 1.0], rng=rng)
    twice = _with_data(xv, lambda m, n: S.sp_sum(S.mul_s_s(m, S.csr_from_dense(n)) * 3.0))
    verify_grad(twice, [xv.data, yv.toarray() + 1.0], rng=rng)
    verify_grad(_with_data(xv, lambda m, w: S.sp_sum(S.mul_s_v(m, w))), [xv.data, vv],
                rng=rng)


def test_indexing(rng):
    x = S.csr_matrix("x", "float64")
    i = T.lscalar("i")
    xv = _matrix(rng, (8, 5), density=0.6)
    dense = xv.toarray()
    f = th.function([x, i], [x[i * 2:(i + 1) * 2], x[1:, :3], x[:-2, -3:], x[[5, 0, 5]]])
    batch, block, corner, rows = f(xv, 1)
    assert all(sp.issparse(m) and m.format == "csr" for m in (batch, block, corner, rows))
    np.testing.assert_array_equal(batch.toarray(), dense[2:4])
    np.testing.assert_array_equal(block.toarray(), dense[1:, :3])
    np.testing.assert_array_equal(corner.toarray(), dense[:-2, -3:])
    np.testing.assert_array_equal(rows.toarray(), dense[[5, 0, 5]])
    verify_grad(_with_data(xv, lambda m: S.dense_from_sparse(m[2:6, 1:4]) ** 2), [xv.data],
                rng=rng)
    verify_grad(_with_data(xv, lambda m: S.dense_from_sparse(m[[5, 0, 5]]) ** 2), [xv.data],
                rng=rng)
    with pytest.raises(ValueError, match="only step 1"):
        x[::2]
    with pytest.raises(TypeError, match="sparse indexing: supports"):
        x[1]


def test_minibatch_sparse_logistic_regression(rng):
    """Bag-of-words minibatches sliced from a shared sparse matrix by a symbolic index."""
    docs, words, batch = 120, 30, 20
    counts = sp.random(docs, words, density=0.15, format="csr",
                       random_state=rng.integers(1 << 30))
    hidden = rng.normal(size=words) * 2
    labels = th.shared((counts @ hidden > 0).astype("float64"))
    data = S.shared(counts, name="X")
    w = th.shared(np.zeros(words), name="w")
    index = T.lscalar("index")
    xb = data[index * batch:(index + 1) * batch]
    yb = labels[index * batch:(index + 1) * batch]
    loss = T.mean(T.nnet.binary_crossentropy(T.nnet.sigmoid(S.dot(xb, w)), yb))
    train = th.function([index], loss, updates=[(w, w - 2.0 * th.grad(loss, w))])
    first = [train(k) for k in range(docs // batch)]
    for _ in range(40):
        last = [train(k) for k in range(docs // batch)]
    assert np.mean(last) < 0.6 * np.mean(first)


def test_scalar_entries_and_constants(rng):
    x = S.csr_matrix("x", "float64")
    i, j = T.lscalars("i", "j")
    xv = _matrix(rng, (4, 5), density=0.7)
    f = th.function([x, i, j], x[i, j])
    for a, b in [(0, 0), (3, 4), (-1, -2), (2, 1)]:
        assert f(xv, a, b) == xv.toarray()[a, b]
    with pytest.raises(IndexError, match=r"GetItemScalar at node \d+: index \(4, 0\) out of "
                                         r"range for shape \(4, 5\)"):
        f(xv, 4, 0)
    verify_grad(_with_data(xv, lambda m: m[1, 2] * 3.0 + m[-1, -1] ** 2), [xv.data], rng=rng)
    c = S.constant(xv, name="c")
    w = T.dvector("w")
    wv = rng.normal(size=5)
    np.testing.assert_allclose(S.dot(c, w).eval({w: wv}), xv @ wv, rtol=1e-13)
    with pytest.raises(TypeError, match="expected a scipy sparse matrix"):
        S.constant(np.ones((2, 2)))


def test_compiled_sparse_functions_pickle(rng):
    x, w = S.csr_matrix("x", "float64"), T.dvector("w")
    f = th.function([x, w], S.dot(S.tanh(x), w))
    g = pickle.loads(pickle.dumps(f))
    xv, wv = _matrix(rng), rng.normal(size=4)
    np.testing.assert_array_equal(g(xv, wv), f(xv, wv))
