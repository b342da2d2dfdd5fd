"""nnet ops against NumPy/SciPy in float64: softmax/logsoftmax (stable), activations,
cross-entropies (including the fused softmax one); finite-difference gradients, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.compile.verify import verify_grad
from nbgraph.core.types import TensorType
from nbgraph.ops.nnet import (
    CrossentropyCategorical1Hot,
    CrossentropySoftmax1Hot,
    Softmax,
    SoftmaxGrad,
)

N = T.nnet
LABELS = np.array([0, 3, 1, 3, 2])


def _var(shape: tuple[int, ...], dtype: str = "float64", static: bool = False) -> T.TensorVariable:
    return TensorType(dtype, shape=shape if static else (None,) * len(shape))()


def _run(build, *values: np.ndarray) -> np.ndarray:
    symbols = [_var(np.shape(v), str(np.asarray(v).dtype)) for v in values]
    return function(symbols, build(*symbols))(*values)


def _probabilities(rng: np.random.Generator, shape=(5, 4)) -> np.ndarray:
    return special.softmax(rng.normal(size=shape), axis=-1)


# -- softmax ------------------------------------------------------------------------------------
HUGE = np.array([[0.0, 1000.0, -1000.0], [1000.0, 1000.0, 0.0], [-1000.0, -2000.0, -3000.0]])


def test_softmax_values_and_stability(rng):
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(_run(N.softmax, x), special.softmax(x, axis=-1), rtol=1e-12)
    got = _run(N.softmax, HUGE)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, special.softmax(HUGE, axis=-1), rtol=1e-12, atol=1e-300)


def test_logsoftmax_values_and_stability(rng):
    x = rng.normal(size=(4, 5))
    np.testing.assert_allclose(_run(N.logsoftmax, x), special.log_softmax(x, axis=-1),
                               rtol=1e-12)
    got = _run(N.logsoftmax, HUGE)
    np.testing.assert_allclose(got, special.log_softmax(HUGE, axis=-1), rtol=1e-12)
    assert got[0, 2] == -2000.0     # log(softmax) would give -inf here


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_softmax_last_axis_any_rank(shape, rng):
    x = rng.normal(size=shape)
    rows = x[None] if x.ndim == 1 else x    # a vector gives a (1, n) row, as in Theano 1.0
    np.testing.assert_allclose(_run(N.softmax, x), special.softmax(rows, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(_run(N.logsoftmax, x), special.log_softmax(rows, axis=-1),
                               rtol=1e-12)


@pytest.mark.parametrize("fn", [N.softmax, N.logsoftmax], ids=["softmax", "logsoftmax"])
def test_softmax_grads(fn, rng):
    verify_grad(fn, [rng.normal(size=(3, 4))], rng=rng)
    verify_grad(fn, [rng.normal(size=(2, 2, 3))], rng=rng)


def test_softmax_second_derivative(rng):
    # the gradient is a graph of elementwise ops and reductions: differentiable again
    def grad_of_softmax(x):
        return T.grad((N.softmax(x) ** 2).sum(), x)

    verify_grad(grad_of_softmax, [rng.normal(size=(2, 3))], rng=rng)


def test_softmax_grad_op(rng):
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    v = _var((3, 4))
    g = T.grad((N.softmax(v) * dy).sum(), v)
    assert isinstance(g.owner.op, SoftmaxGrad)   # a node of its own, for fusing rewrites
    sm = special.softmax(x, axis=-1)
    jacobian_product = np.einsum("ni,nij->nj", dy,
                                 np.einsum("ni,ij->nij", sm, np.eye(4))
                                 - np.einsum("ni,nj->nij", sm, sm))
    np.testing.assert_allclose(function([v], g)(x), jacobian_product, rtol=1e-12)
    verify_grad(lambda a, b: SoftmaxGrad()(a, b), [dy, sm], rng=rng)


def test_softmax_errors():
    with pytest.raises(TypeError, match=r"Softmax: expects at least 1 dimension"):
        N.softmax(_var(()))
    with pytest.raises(TypeError, match=r"SoftmaxGrad: dy float64\[\?\] and sm"):
        SoftmaxGrad()(_var((3,)), _var((2, 3)))


# -- activations ---------------------------------------------------------------------------------
def _ultra_fast_sigmoid_ref(x: np.ndarray) -> np.ndarray:
    h = 0.5 * x
    a = np.abs(h)
    z = np.where(a < 1.7, 1.5 * a / (1 + a),
                 np.where(a < 3, 0.935409070603099 + 0.0458812946797165 * (a - 1.7),
                          0.99505475368673))
    return 0.5 * (np.sign(h) * z + 1)


ACTIVATIONS = [
    ("relu", N.relu, lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda x: N.relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("elu", N.elu, lambda x: np.where(x > 0, x, np.expm1(x))),
    ("elu_alpha", lambda x: N.elu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    ("selu", N.selu, lambda x: 1.0507009873554805 * np.where(x > 0, x,
                                                             1.6732632423543772 * np.expm1(x))),
    ("softsign", N.softsign, lambda x: x / (1 + np.abs(x))),
    ("hard_sigmoid", N.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("ultra_fast_sigmoid", N.ultra_fast_sigmoid, _ultra_fast_sigmoid_ref),
    ("sigmoid", N.sigmoid, special.expit),
    ("softplus", N.softplus, lambda x: np.logaddexp(0, x)),
]


@pytest.mark.parametrize("name, fn, ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_values_and_grads(name, fn, ref, rng):
    x = np.concatenate([np.linspace(-8, 8, 41), rng.normal(size=9)]).reshape(5, 10)
    np.testing.assert_allclose(_run(fn, x), ref(x), rtol=1e-12, atol=1e-15)
    # finite differences away from the kinks (0 for relu/elu, +-2.5 hard_sigmoid, ...)
    pts = np.array([[-3.9, -2.2, -1.1, -0.6, 0.3], [0.7, 1.3, 2.1, 3.1, 4.7]])
    verify_grad(fn, [pts], rng=rng)


def test_ultra_fast_sigmoid_is_close_to_sigmoid():
    x = np.linspace(-10, 10, 2001)
    assert np.max(np.abs(_run(N.ultra_fast_sigmoid, x) - special.expit(x))) < 0.03


@pytest.mark.parametrize("name, fn, ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_float32_stays_float32(name, fn, ref):
    out = fn(_var((3,), "float32"))
    assert out.dtype == "float32"


# -- cross-entropies ------------------------------------------------------------------------------
def test_categorical_crossentropy_labels(rng):
    p = _probabilities(rng)
    expected = -np.log(p[np.arange(5), LABELS])
    got = _run(N.categorical_crossentropy, p, LABELS.astype("int32"))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    y = _var((5,), "int64")
    assert isinstance(N.categorical_crossentropy(_var((5, 4)), y).owner.op,
                      CrossentropyCategorical1Hot)
    verify_grad(lambda q: N.categorical_crossentropy(q, LABELS), [p], rng=rng)


def test_categorical_crossentropy_one_hot_and_soft_targets(rng):
    p, soft = _probabilities(rng), _probabilities(rng)
    onehot = np.eye(4)[LABELS]
    np.testing.assert_allclose(_run(N.categorical_crossentropy, p, onehot),
                               -np.log(p[np.arange(5), LABELS]), rtol=1e-12)
    np.testing.assert_allclose(_run(N.categorical_crossentropy, p, soft),
                               -np.sum(soft * np.log(p), axis=-1), rtol=1e-12)
    verify_grad(N.categorical_crossentropy, [p, soft], rng=rng)


def test_categorical_crossentropy_label_grad_is_sparse(rng):
    p = _probabilities(rng)
    x = _var((5, 4))
    g = function([x], T.grad(N.categorical_crossentropy(x, LABELS).sum(), x))(p)
    expected = np.zeros_like(p)
    expected[np.arange(5), LABELS] = -1 / p[np.arange(5), LABELS]
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_crossentropy_errors(rng):
    p = _var((5, 4), static=True)
    with pytest.raises(ValueError, match=r"5 rows but int64\[3\] has 3 labels"):
        N.categorical_crossentropy(p, _var((3,), "int64", static=True))
    with pytest.raises(TypeError, match="labels must be an int vector"):
        N.crossentropy_softmax_1hot(p, _var((5,)))
    with pytest.raises(TypeError, match="must have the rank of coding_dist"):
        N.categorical_crossentropy(p, _var((5, 4, 1)))
    x, y = _var((2, 3)), _var((2,), "int64")
    f = function([x, y], N.categorical_crossentropy(x, y))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        f(np.full((2, 3), 0.3), np.array([0, 3]))


def test_binary_crossentropy(rng):
    p, t = rng.uniform(0.05, 0.95, size=(3, 4)), rng.uniform(size=(3, 4))
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(_run(N.binary_crossentropy, p, t), expected, rtol=1e-12)
    verify_grad(N.binary_crossentropy, [p, t], rng=rng)


def test_sigmoid_binary_crossentropy_from_logits(rng):
    z, t = np.array([-800.0, -3.0, 0.5, 800.0]), rng.uniform(size=4)
    got = _run(N.sigmoid_binary_crossentropy, z, t)
    expected = t * np.logaddexp(0, -z) + (1 - t) * np.logaddexp(0, z)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    verify_grad(N.sigmoid_binary_crossentropy, [z[1:3], t[1:3]], rng=rng)


# -- fused crossentropy_softmax_1hot --------------------------------------------------------------
def test_crossentropy_softmax_1hot_values(rng):
    x = rng.normal(size=(5, 4))
    nll, sm = _run(lambda v: N.crossentropy_softmax_1hot(v, LABELS), x)
    np.testing.assert_allclose(sm, special.softmax(x, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(nll, -special.log_softmax(x, axis=-1)[np.arange(5), LABELS],
                               rtol=1e-12)
    v = _var((5, 4))
    assert isinstance(N.crossentropy_softmax_1hot(v, LABELS)[0].owner.op,
                      CrossentropySoftmax1Hot)


def test_crossentropy_softmax_1hot_is_stable():
    x = np.array([[0.0, 1000.0, -1000.0], [500.0, -500.0, 0.0]])
    y = np.array([2, 1])
    nll, _ = _run(lambda v: N.crossentropy_softmax_1hot(v, y), x)
    np.testing.assert_allclose(nll, [2000.0, 1000.0], rtol=1e-12)
    # what the fused op exists to avoid (compiled without rewrites, which would fuse it)
    v = _var((2, 3))
    unfused = function([v], N.categorical_crossentropy(Softmax()(v), y),
                       mode=Mode(optimizer=None))
    with np.errstate(divide="ignore"):
        assert np.all(np.isinf(unfused(x)))


def test_crossentropy_softmax_1hot_grads(rng):
    x = rng.normal(size=(5, 4))
    v = _var((5, 4))
    g = function([v], T.grad(N.crossentropy_softmax_1hot(v, LABELS)[0].sum(), v))(x)
    np.testing.assert_allclose(g, special.softmax(x, axis=-1) - np.eye(4)[LABELS], rtol=1e-12)
    verify_grad(lambda z: N.crossentropy_softmax_1hot(z, LABELS)[0], [x], rng=rng)
    verify_grad(lambda z: N.crossentropy_softmax_1hot(z, LABELS)[1], [x], rng=rng)

    def both(z):
        nll, sm = N.crossentropy_softmax_1hot(z, LABELS)
        return nll.dimshuffle(0, "x") * sm

    verify_grad(both, [x], rng=rng)


# -- Theano's _with_bias family -------------------------------------------------------------------
def _xent_reference(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    log_sm = special.log_softmax(z, axis=-1)
    return -log_sm[np.arange(len(y)), y], np.exp(log_sm)


def test_crossentropy_softmax_argmax_1hot_with_bias_values(rng):
    x, b = rng.normal(size=(5, 4)), rng.normal(size=4)
    nll, sm, am = _run(lambda v, c: N.crossentropy_softmax_argmax_1hot_with_bias(v, c, LABELS),
                       x, b)
    want_nll, want_sm = _xent_reference(x + b, LABELS)
    np.testing.assert_allclose(nll, want_nll, rtol=1e-12)
    np.testing.assert_allclose(sm, want_sm, rtol=1e-12)
    np.testing.assert_array_equal(am, np.argmax(x + b, axis=-1))
    assert am.dtype == np.int64
    nll2, sm2, max_pr, arg = _run(
        lambda v, c: N.crossentropy_softmax_max_and_argmax_1hot_with_bias(v, c, LABELS), x, b)
    np.testing.assert_allclose(max_pr, want_sm.max(axis=-1), rtol=1e-12)
    np.testing.assert_array_equal(arg, np.argmax(x + b, axis=-1))
    nll3, _ = _run(lambda v, c: N.crossentropy_softmax_1hot_with_bias(v, c, LABELS), x, b)
    np.testing.assert_allclose(nll3, want_nll, rtol=1e-12)
    np.testing.assert_allclose(_run(lambda v, c: N.softmax_with_bias(v, c), x, b), want_sm,
                               rtol=1e-12)
    nll4 = _run(lambda v: N.crossentropy_softmax_max_and_argmax_1hot(v, LABELS)[0], x)
    np.testing.assert_allclose(nll4, _xent_reference(x, LABELS)[0], rtol=1e-12)


def test_crossentropy_softmax_with_bias_grads(rng):
    x, b = rng.normal(size=(5, 4)), rng.normal(size=4)
    verify_grad(lambda v, c: N.crossentropy_softmax_1hot_with_bias(v, c, LABELS)[0], [x, b],
                rng=rng)

    def both(v, c):
        nll, sm = N.crossentropy_softmax_1hot_with_bias(v, c, LABELS)
        return nll.dimshuffle(0, "x") * sm

    verify_grad(both, [x, b], rng=rng)
    dy, sm = rng.uniform(0.5, 1.5, 5), special.softmax(x, axis=-1)
    dx = _run(lambda g, s: N.crossentropy_softmax_1hot_with_bias_dx(g, s, LABELS), dy, sm)
    np.testing.assert_allclose(dx, dy[:, None] * (sm - np.eye(4)[LABELS]), rtol=1e-12)


def test_crossentropy_softmax_with_bias_errors():
    x, b = _var((5, 4), static=True), _var((3,), static=True)
    with pytest.raises(ValueError, match="4 columns but b"):
        N.crossentropy_softmax_argmax_1hot_with_bias(x, b, LABELS)
    with pytest.raises(TypeError, match="b must be a vector"):
        N.crossentropy_softmax_argmax_1hot_with_bias(x, _var((5, 4)), LABELS)
    v, c = _var((5, 4)), _var((4,))
    fn = function([v, c], N.crossentropy_softmax_argmax_1hot_with_bias(v, c, LABELS)[0],
                  mode=Mode(optimizer=None))
    with pytest.raises(ValueError, match="differ in the number of classes"):
        fn(np.zeros((5, 4)), np.zeros(3))


def test_fused_matches_unfused_training_graph(linker, rng):
    # one logistic-regression step on every linker: loss and gradient agree with NumPy
    xv, wv = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    x, w = _var((5, 3)), _var((3, 4))
    loss = N.categorical_crossentropy(N.softmax(T.dot(x, w)), LABELS).mean()
    f = function([x, w], [loss, T.grad(loss, w)], mode=Mode(linker=linker))
    got_loss, got_grad = f(xv, wv)
    sm = special.softmax(xv @ wv, axis=-1)
    np.testing.assert_allclose(got_loss, -np.log(sm[np.arange(5), LABELS]).mean(), rtol=1e-12)
    np.testing.assert_allclose(got_grad, xv.T @ (sm - np.eye(4)[LABELS]) / 5, rtol=1e-10)


# -- dtypes --------------------------------------------------------------------------------------
@pytest.mark.parametrize("build", [
    N.softmax, N.logsoftmax,
    lambda x: N.categorical_crossentropy(N.softmax(x), LABELS),
    lambda x: N.crossentropy_softmax_1hot(x, LABELS)[0],
    lambda x: N.crossentropy_softmax_1hot(x, LABELS)[1],
    lambda x: T.grad(N.crossentropy_softmax_1hot(x, LABELS)[0].sum(), x),
    lambda x: T.grad(N.categorical_crossentropy(N.softmax(x), LABELS).sum(), x),
    lambda x: T.grad(N.logsoftmax(x).max(), x),
], ids=["softmax", "logsoftmax", "cce", "fused_nll", "fused_sm", "fused_grad", "cce_grad",
        "lsm_grad"])
def test_float32_stays_float32(build, rng):
    x = _var((5, 4), "float32")
    out = build(x)
    assert out.dtype == "float32"
    value = function([x], out)(rng.normal(size=(5, 4)).astype("float32"))
    assert value.dtype == np.float32


def test_int_logits_become_float():
    assert N.softmax(_var((2, 3), "int32")).dtype == "float64"
    assert N.softmax(_var((2, 3), "int8")).dtype == "float32"
