"""Theano 1.0 documentation snippets run with only the imports changed.

Tutorial pages (Baby Steps, More Examples, Derivatives, Conditions, Loop, Aliasing,
Printing/Drawing, Debugging FAQ) and the deeplearning.net tutorial models (logistic_sgd.py,
mlp.py, lstm.py). Each test keeps the snippet's code as written, then checks it against NumPy in
float64 or against the output the documentation prints. Data sets and loops are shrunk.
"""

from __future__ import annotations

import numpy
import numpy as np
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph import In, Out, config, function, pp
from tests.test_dlt_logistic import LogisticRegression
from tests.test_dlt_mlp import MLP

TOL = dict(rtol=1e-10, atol=1e-12)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# -- Baby steps: algebra --------------------------------------------------------------------
def test_adding_two_scalars():
    x = T.dscalar('x')
    y = T.dscalar('y')
    z = x + y
    f = function([x, y], z)
    assert f(2, 3) == 5.0
    np.testing.assert_allclose(f(16.3, 12.1), 28.4, **TOL)
    assert isinstance(f(2, 3), np.ndarray) and f(2, 3).ndim == 0

    assert str(x.type) == "TensorType(float64, scalar)"
    assert str(T.dscalar) == "TensorType(float64, scalar)"
    assert x.type == T.dscalar
    assert pp(z) == "(x + y)"


def test_adding_two_matrices():
    x = T.dmatrix('x')
    y = T.dmatrix('y')
    z = x + y
    f = function([x, y], z)
    want = np.array([[11.0, 22.0], [33.0, 44.0]])
    np.testing.assert_array_equal(f([[1, 2], [3, 4]], [[10, 20], [30, 40]]), want)
    np.testing.assert_array_equal(
        f(numpy.array([[1, 2], [3, 4]]), numpy.array([[10, 20], [30, 40]])), want)

    x = theano.tensor.ivector()
    y = -x
    assert x.type == T.ivector and y.type == T.ivector


# -- Derivatives in Theano ------------------------------------------------------------------
def test_gradient_of_square():
    x = T.dscalar('x')
    y = x**2
    gy = T.grad(y, x)
    f = function([x], gy)
    assert f(4) == 8.0
    np.testing.assert_allclose(f(94.2), 188.4, **TOL)
    # "After optimization there is only one Apply node left in the graph"
    assert len(f.maker.fgraph.apply_nodes) == 1


def test_pp_of_the_unoptimized_gradient():
    x = T.dscalar('x')
    y = x ** 2
    gy = T.grad(y, x)
    # the Derivatives tutorial's output, the seed fill(cost, 1.0) included
    assert pp(gy) == ('((fill((x ** TensorConstant{2}), TensorConstant{1.0}) * '
                      'TensorConstant{2}) * (x ** (TensorConstant{2} - TensorConstant{1})))')


def test_gradient_of_logistic():
    x = T.dmatrix('x')
    s = T.sum(1 / (1 + T.exp(-x)))
    gs = T.grad(s, x)
    dlogistic = function([x], gs)
    value = np.array([[0, 1], [-1, -2]], dtype=float)
    got = dlogistic([[0, 1], [-1, -2]])
    np.testing.assert_allclose(got, _sigmoid(value) * (1 - _sigmoid(value)), **TOL)


def test_jacobian_by_scan():
    x = T.dvector('x')
    y = x**2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]),
                             non_sequences=[y, x])
    f = function([x], J, updates=updates)
    np.testing.assert_array_equal(f([4, 4]), [[8.0, 0.0], [0.0, 8.0]])
    np.testing.assert_allclose(theano.gradient.jacobian(y, x).eval({x: [1.0, 3.0]}),
                               np.diag([2.0, 6.0]), **TOL)


def test_hessian_by_scan():
    x = T.dvector('x')
    y = x**2
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x),
                             sequences=T.arange(gy.shape[0]), non_sequences=[gy, x])
    f = function([x], H, updates=updates)
    np.testing.assert_array_equal(f([4, 4]), [[2.0, 0.0], [0.0, 2.0]])
    cubic = (x ** 3).sum()
    np.testing.assert_allclose(theano.gradient.hessian(cubic, x).eval({x: [1.0, 2.0]}),
                               np.diag([6.0, 12.0]), **TOL)


def test_r_operator():
    W = T.dmatrix('W')
    V = T.dmatrix('V')
    x = T.dvector('x')
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    np.testing.assert_array_equal(f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2.0, 2.0])


def test_l_operator():
    W = T.dmatrix('W')
    v = T.dvector('v')
    x = T.dvector('x')
    y = T.dot(x, W)
    VJ = T.Lop(y, W, v)
    f = theano.function([v, x], VJ)
    np.testing.assert_array_equal(f([2, 2], [0, 1]), [[0.0, 0.0], [2.0, 2.0]])


def test_hessian_times_vector():
    x = T.dvector('x')
    v = T.dvector('v')
    y = T.sum(x**2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)
    np.testing.assert_array_equal(f([4, 4], [2, 2]), [4.0, 4.0])

    Hv = T.Rop(gy, x, v)
    f = theano.function([x, v], Hv)
    np.testing.assert_array_equal(f([4, 4], [2, 2]), [4.0, 4.0])


# -- More examples: copying functions, random numbers ---------------------------------------
def test_copying_functions():
    state = theano.shared(0)
    inc = T.iscalar('inc')
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    assert accumulator(10) == 0
    assert state.get_value() == 10

    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0
    assert new_state.get_value() == 100
    assert state.get_value() == 10

    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10
    assert state.get_value() == 10


def test_random_numbers_brief_example():
    from nbgraph.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)    # Not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    f_val0 = f()
    f_val1 = f()  # different numbers from f_val0
    assert f_val0.shape == (2, 2) and np.all((0 <= f_val0) & (f_val0 < 1))
    assert not np.array_equal(f_val0, f_val1)
    g_val0 = g()  # different numbers from f_val0 and f_val1
    g_val1 = g()  # same numbers as g_val0!
    np.testing.assert_array_equal(g_val0, g_val1)
    np.testing.assert_allclose(nearly_zeros(), np.zeros((2, 2)), atol=1e-15)


def test_seeding_and_sharing_streams():
    from nbgraph.tensor.shared_randomstreams import RandomStreams
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = function([], rv_u)
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    rng_val = rv_u.rng.get_value(borrow=True)   # Get the rng for rv_u
    rng_val.seed(89234)                         # seeds the generator
    rv_u.rng.set_value(rng_val, borrow=True)    # Assign back seeded rng
    first = f()
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    np.testing.assert_array_equal(f(), first)   # the same seed gives the same draws

    srng.seed(902340)  # seeds rv_u and rv_n with different seeds each

    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()       # this affects rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()             # v2 != v1
    v3 = f()             # v3 == v1
    assert not np.array_equal(v2, v1)
    np.testing.assert_array_equal(v3, v1)


def test_copying_random_state_between_graphs(capsys):
    from nbgraph.sandbox.rng_mrg import MRG_RandomStreams
    from nbgraph.tensor.shared_randomstreams import RandomStreams

    class Graph:
        def __init__(self, seed=123):
            self.rng = RandomStreams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1 = Graph(seed=123)
    f1 = theano.function([], g1.y)

    g2 = Graph(seed=987)
    f2 = theano.function([], g2.y)

    assert f1() != f2()  # By default, the two functions are out of sync.

    def copy_random_state(g1, g2):
        if isinstance(g1.rng, MRG_RandomStreams):
            g2.rng.rstate = g1.rng.rstate
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates, strict=True):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    np.testing.assert_array_equal(f1(), f2())


# -- Conditions -----------------------------------------------------------------------------
def test_ifelse_versus_switch():
    from nbgraph.ifelse import ifelse

    a, b = T.scalars('a', 'b')
    x, y = T.matrices('x', 'y')

    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))

    f_switch = theano.function([a, b, x, y], z_switch, mode=theano.Mode(linker='vm'))
    f_lazyifelse = theano.function([a, b, x, y], z_lazy, mode=theano.Mode(linker='vm'))

    big_mat1 = numpy.ones((100, 10))
    big_mat2 = numpy.ones((100, 10)) * 2
    for val1, val2 in [(0., 1.), (1., 0.)]:
        want = big_mat1.mean() if val1 < val2 else big_mat2.mean()
        assert f_switch(val1, val2, big_mat1, big_mat2) == want
        assert f_lazyifelse(val1, val2, big_mat1, big_mat2) == want


# -- Loop (scan) ----------------------------------------------------------------------------
def test_scan_tanh_elementwise():
    X = T.matrix("X")
    W = T.matrix("W")
    b_sym = T.vector("b_sym")
    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym), sequences=X)
    compute_elementwise = theano.function(inputs=[X, W, b_sym], outputs=results)

    x = np.eye(2, dtype=theano.config.floatX)
    w = np.ones((2, 2), dtype=theano.config.floatX)
    b = np.ones((2), dtype=theano.config.floatX)
    b[1] = 2
    np.testing.assert_allclose(compute_elementwise(x, w, b), np.tanh(x.dot(w) + b), **TOL)


def test_scan_recurrence_with_reversed_sequence():
    X = T.vector("X")
    W = T.matrix("W")
    U = T.matrix("U")
    Y = T.matrix("Y")
    V = T.matrix("V")
    P = T.matrix("P")
    results, updates = theano.scan(
        lambda y, p, x_tm1: T.tanh(T.dot(x_tm1, W) + T.dot(y, U) + T.dot(p, V)),
        sequences=[Y, P[::-1]], outputs_info=[X])
    compute_seq = theano.function(inputs=[X, W, Y, U, P, V], outputs=results)

    x = np.zeros((2), dtype=theano.config.floatX)
    x[1] = 1
    w = np.ones((2, 2), dtype=theano.config.floatX)
    y = np.ones((5, 2), dtype=theano.config.floatX)
    y[0, :] = -3
    u = np.ones((2, 2), dtype=theano.config.floatX)
    p = np.ones((5, 2), dtype=theano.config.floatX)
    p[0, :] = 3
    v = np.ones((2, 2), dtype=theano.config.floatX)

    x_res = np.zeros((5, 2), dtype=theano.config.floatX)
    x_res[0] = np.tanh(x.dot(w) + y[0].dot(u) + p[4].dot(v))
    for i in range(1, 5):
        x_res[i] = np.tanh(x_res[i - 1].dot(w) + y[i].dot(u) + p[4-i].dot(v))
    np.testing.assert_allclose(compute_seq(x, w, y, u, p, v), x_res, **TOL)


def test_scan_norms_of_lines_and_columns():
    X = T.matrix("X")
    results, updates = theano.scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X])
    compute_norm_lines = theano.function(inputs=[X], outputs=results)
    results, updates = theano.scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X.T])
    compute_norm_cols = theano.function(inputs=[X], outputs=results)

    x = np.diag(np.arange(1, 6, dtype=theano.config.floatX), 1)
    np.testing.assert_allclose(compute_norm_lines(x), np.sqrt((x ** 2).sum(1)), **TOL)
    np.testing.assert_allclose(compute_norm_cols(x), np.sqrt((x ** 2).sum(0)), **TOL)


def test_scan_trace():
    floatX = "float32"
    X = T.matrix("X")
    results, updates = theano.scan(lambda i, j, t_f: T.cast(X[i, j] + t_f, floatX),
                                   sequences=[T.arange(X.shape[0]), T.arange(X.shape[1])],
                                   outputs_info=np.asarray(0., dtype=floatX))
    result = results[-1]
    compute_trace = theano.function(inputs=[X], outputs=result)

    x = np.eye(5, dtype=theano.config.floatX)
    x[0] = np.arange(5, dtype=theano.config.floatX)
    got = compute_trace(x)
    assert got.dtype == np.float32
    assert got == np.diagonal(x).sum() == 4.0


def test_scan_two_taps():
    X = T.matrix("X")
    W = T.matrix("W")
    b_sym = T.vector("b_sym")
    U = T.matrix("U")
    V = T.matrix("V")
    n_sym = T.iscalar("n_sym")
    results, updates = theano.scan(
        lambda x_tm2, x_tm1: T.dot(x_tm2, U) + T.dot(x_tm1, V) + T.tanh(T.dot(x_tm1, W) + b_sym),
        n_steps=n_sym, outputs_info=[dict(initial=X, taps=[-2, -1])])
    compute_seq2 = theano.function(inputs=[X, U, V, W, b_sym, n_sym], outputs=results)

    x = np.zeros((2, 2), dtype=theano.config.floatX)
    x[1, 1] = 1
    w = 0.5 * np.ones((2, 2), dtype=theano.config.floatX)
    u = 0.5 * (np.ones((2, 2), dtype=theano.config.floatX) - np.eye(2, dtype=theano.config.floatX))
    v = 0.5 * np.ones((2, 2), dtype=theano.config.floatX)
    n = 10
    b = np.ones((2), dtype=theano.config.floatX)

    x_res = np.zeros((10, 2))
    x_res[0] = x[0].dot(u) + x[1].dot(v) + np.tanh(x[1].dot(w) + b)
    x_res[1] = x[1].dot(u) + x_res[0].dot(v) + np.tanh(x_res[0].dot(w) + b)
    x_res[2] = x_res[0].dot(u) + x_res[1].dot(v) + np.tanh(x_res[1].dot(w) + b)
    for i in range(2, 10):
        x_res[i] = (x_res[i - 2].dot(u) + x_res[i - 1].dot(v) +
                    np.tanh(x_res[i - 1].dot(w) + b))
    np.testing.assert_allclose(compute_seq2(x, u, v, w, b, n), x_res, **TOL)


def test_scan_jacobian_of_tanh():
    v = T.vector()
    A = T.matrix()
    y = T.tanh(T.dot(v, A))
    results, updates = theano.scan(lambda i: T.grad(y[i], v), sequences=[T.arange(y.shape[0])])
    compute_jac_t = theano.function([A, v], results, allow_input_downcast=True)

    x = np.eye(5, dtype=theano.config.floatX)[0]
    w = np.eye(5, 3, dtype=theano.config.floatX)
    w[2] = np.ones((3), dtype=theano.config.floatX)
    np.testing.assert_allclose(compute_jac_t(w, x), ((1 - np.tanh(x.dot(w)) ** 2) * w).T, **TOL)


def test_scan_accumulates_shared_variable():
    k = theano.shared(0)
    n_sym = T.iscalar("n_sym")
    results, updates = theano.scan(lambda: {k: (k + 1)}, n_steps=n_sym)
    accumulator = theano.function([n_sym], [], updates=updates, allow_input_downcast=True)

    assert k.get_value() == 0
    assert accumulator(5) == []
    assert k.get_value() == 5


def test_scan_with_binomial_noise():
    X = T.matrix("X")
    W = T.matrix("W")
    b_sym = T.vector("b_sym")
    trng = T.shared_randomstreams.RandomStreams(1234)
    d = trng.binomial(size=W[1].shape)

    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym) * d, sequences=X)
    compute_with_bnoise = theano.function(inputs=[X, W, b_sym], outputs=results,
                                          updates=updates, allow_input_downcast=True)
    x = np.eye(10, 2, dtype=theano.config.floatX)
    w = np.ones((2, 2), dtype=theano.config.floatX)
    b = np.ones((2), dtype=theano.config.floatX)

    got = compute_with_bnoise(x, w, b)
    clean = np.tanh(x.dot(w) + b)
    masks = np.where(clean != 0, got / clean, 0)
    assert set(np.unique(masks)) <= {0.0, 1.0}
    # one fresh draw per step: the 10 rows do not all share one mask
    assert len({tuple(row) for row in masks}) > 1


def test_scan_power():
    theano.config.warn.subtensor_merge_bug = False

    k = T.iscalar("k")
    A = T.vector("A")

    def inner_fct(prior_result, B):
        return prior_result * B

    result, updates = theano.scan(fn=inner_fct, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    final_result = result[-1]
    power = theano.function(inputs=[A, k], outputs=final_result, updates=updates)
    np.testing.assert_array_equal(power(range(10), 2), np.arange(10.0) ** 2)


def test_scan_polynomial():
    coefficients = theano.tensor.vector("coefficients")
    x = T.scalar("x")
    max_coefficients_supported = 10000

    full_range = theano.tensor.arange(max_coefficients_supported)
    components, updates = theano.scan(fn=lambda coeff, power, free_var:
                                      coeff * (free_var ** power),
                                      outputs_info=None,
                                      sequences=[coefficients, full_range],
                                      non_sequences=x)
    polynomial = components.sum()
    calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=polynomial)

    test_coeff = numpy.asarray([1, 0, 2], dtype=numpy.float32)
    assert calculate_polynomial(test_coeff, 3) == 19.0


# -- Understanding memory aliasing ----------------------------------------------------------
def test_borrowing_shared_values():
    np_array = numpy.ones(2, dtype='float32')

    s_default = theano.shared(np_array)
    s_false = theano.shared(np_array, borrow=False)
    s_true = theano.shared(np_array, borrow=True)
    np_array += 1  # now it is an array of 2.0 s
    np.testing.assert_array_equal(s_default.get_value(), [1.0, 1.0])
    np.testing.assert_array_equal(s_false.get_value(), [1.0, 1.0])
    np.testing.assert_array_equal(s_true.get_value(), [2.0, 2.0])

    s = theano.shared(np_array)
    v_false = s.get_value(borrow=False)  # N.B. borrow default is False
    v_true = s.get_value(borrow=True)
    v_internal = s.get_value(borrow=True, return_internal_type=True)
    assert not np.shares_memory(v_false, v_true)
    assert np.shares_memory(v_true, v_internal)

    def some_inplace_fn(v):
        v *= 3
        return v

    s.set_value(some_inplace_fn(s.get_value(borrow=True)), borrow=True)
    np.testing.assert_array_equal(s.get_value(), [6.0, 6.0])


def test_borrowing_in_and_out():
    x = theano.tensor.matrix()
    y = 2 * x
    f = theano.function([theano.In(x, borrow=True)], theano.Out(y, borrow=True))
    value = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(f(value), 2 * np.arange(4.0).reshape(2, 2))
    g = function([In(x, borrow=True)], Out(y, borrow=False))
    np.testing.assert_array_equal(g(value), f(value))


# -- Printing / drawing ---------------------------------------------------------------------
def test_printing_logistic_regression():
    rng = numpy.random.RandomState(0)
    N = 40
    feats = 7
    D = (rng.randn(N, feats).astype(theano.config.floatX),
         rng.randint(size=N, low=0, high=2).astype(theano.config.floatX))
    x = T.matrix("x")
    y = T.vector("y")
    w = theano.shared(rng.randn(feats).astype(theano.config.floatX), name="w")
    b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
    x.tag.test_value = D[0]
    y.tag.test_value = D[1]
    p_1 = 1 / (1 + T.exp(-T.dot(x, w)-b))  # Probability of having a one
    prediction = p_1 > 0.5  # The prediction that is done: 0 or 1
    xent = -y*T.log(p_1) - (1-y)*T.log(1-p_1)  # Cross-entropy
    cost = xent.mean() + 0.01*(w**2).sum()  # The cost to optimize
    gw, gb = T.grad(cost, [w, b])
    w0 = w.get_value()
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=[[w, w-0.01*gw], [b, b-0.01*gb]], name="train")
    predict = theano.function(inputs=[x], outputs=prediction, name="predict")

    # the Printing tutorial's output, character for character
    assert theano.printing.pprint(prediction) == (
        "gt((TensorConstant{1} / (TensorConstant{1} + exp(((-(x \\dot w)) - b)))), "
        "TensorConstant{0.5})")
    assert theano.printing.debugprint(prediction, file="str").startswith(
        "Elemwise{gt,no_inplace}")

    pred, err = train(*D)
    z = D[0] @ w0
    np.testing.assert_array_equal(pred, _sigmoid(z) > 0.5)
    np.testing.assert_allclose(err, D[1] * np.logaddexp(0, -z) + (1 - D[1]) *
                               np.logaddexp(0, z), **TOL)
    gw_want = D[0].T @ (_sigmoid(z) - D[1]) / N + 0.02 * w0
    np.testing.assert_allclose(w.get_value(), w0 - 0.01 * gw_want, **TOL)
    np.testing.assert_array_equal(predict(D[0]), _sigmoid(D[0] @ w.get_value() +
                                                          b.get_value()) > 0.5)


# -- Debugging FAQ --------------------------------------------------------------------------
def test_error_message_names_the_node():
    x = T.vector()
    y = T.vector()
    z = x + x
    z = z + y
    f = theano.function([x, y], z)
    with pytest.raises(ValueError, match="add"):
        f(np.ones((2,)), np.ones((3,)))


def test_print_test_value():
    x = T.scalar('x')
    # Assigning test value
    x.tag.test_value = 42

    # Enable test value printing
    theano.config.print_test_value = True
    try:
        assert x.__repr__() == "x\n" + repr(np.array(42.0))
    finally:
        # Disable test value printing
        theano.config.print_test_value = False
    assert x.__repr__() == "x"


def test_print_op(capsys):
    x = theano.tensor.dvector('x')

    x_printed = theano.printing.Print('this is a very important value')(x)

    f = theano.function([x], x * 5)
    f_with_print = theano.function([x], x_printed * 5)

    # this runs the graph without any printing
    assert numpy.all(f([1, 2, 3]) == [5, 10, 15])
    assert capsys.readouterr().out == ""

    # this runs the graph with the message, and value printed
    assert numpy.all(f_with_print([1, 2, 3]) == [5, 10, 15])
    assert capsys.readouterr().out == (
        f"this is a very important value __str__ = {np.array([1.0, 2.0, 3.0])}\n")
    np.testing.assert_array_equal(T.grad(x_printed.sum() * 2, x).eval({x: [1.0, 2.0]}),
                                  [2.0, 2.0])


def test_monitor_mode(capsys):
    def inspect_inputs(i, node, fn):
        print(i, node, "input(s) value(s):", [input[0] for input in fn.inputs],
              end='')

    def inspect_outputs(i, node, fn):
        print(" output(s) value(s):", [output[0] for output in fn.outputs])

    x = theano.tensor.dscalar('x')
    f = theano.function([x], [5 * x],
                        mode=theano.compile.MonitorMode(
                            pre_func=inspect_inputs,
                            post_func=inspect_outputs))
    assert f(3) == [15.0]
    want = (f"0 Elemwise{{mul,no_inplace}}(TensorConstant{{5.0}}, x) input(s) value(s): "
            f"{[np.array(5.0), np.array(3.0)]} output(s) value(s): {[np.array(15.0)]}\n")
    assert capsys.readouterr().out == want


# -- Library reference: tensor basics ---------------------------------------------------------
def test_var_and_std_options():
    x = T.dmatrix('x')
    value = np.arange(12.0).reshape(3, 4) ** 1.5
    np.testing.assert_allclose(T.var(x, axis=0).eval({x: value}), value.var(axis=0), **TOL)
    np.testing.assert_allclose(T.var(x, axis=1, ddof=1).eval({x: value}),
                               value.var(axis=1, ddof=1), **TOL)
    # corrected=True picks the corrected two-pass algorithm; the divisor stays n - ddof
    np.testing.assert_allclose(T.std(x, axis=0, corrected=True).eval({x: value}),
                               value.std(axis=0), **TOL)
    np.testing.assert_allclose(T.var(x, ddof=1, corrected=True).eval({x: value}),
                               value.var(ddof=1), **TOL)


def test_basic_tensor_helpers_match_numpy():
    x = T.dmatrix('x')
    v = T.dvector('v')
    value = np.array([[1.0, -7.0, 2.5], [0.5, 4.0, -1.0]])
    vec = np.array([1.0, np.inf, np.nan, 1.0, -np.inf])
    other = np.array([1.0 + 1e-9, np.inf, np.nan, 2.0, np.inf])
    w = T.dvector('w')
    np.testing.assert_array_equal(T.isclose(v, w).eval({v: vec, w: other}),
                                  np.isclose(vec, other))
    np.testing.assert_array_equal(T.isclose(v, w, equal_nan=True).eval({v: vec, w: other}),
                                  np.isclose(vec, other, equal_nan=True))
    assert not T.allclose(v, w).eval({v: vec, w: other})
    assert T.allclose(x, x + 1e-12).eval({x: value})
    np.testing.assert_array_equal(T.largest(x, 0.0, -x / 2).eval({x: value}),
                                  np.maximum(np.maximum(value, 0.0), -value / 2))
    np.testing.assert_array_equal(T.smallest(x, 0.0).eval({x: value}), np.minimum(value, 0))
    np.testing.assert_array_equal(T.ptp(x, axis=1).eval({x: value}), np.ptp(value, axis=1))
    np.testing.assert_allclose(x.norm(2, axis=1).eval({x: value}),
                               np.linalg.norm(value, 2, axis=1), **TOL)
    np.testing.assert_allclose(x.norm(1).eval({x: value}), np.abs(value).sum(), **TOL)
    np.testing.assert_array_equal(x.norm(np.inf, axis=0).eval({x: value}),
                                  np.abs(value).max(axis=0))
    np.testing.assert_allclose(T.prod(x, axis=0, no_zeros_in_input=True).eval({x: value}),
                               value.prod(axis=0), **TOL)


def test_shape_helpers_from_the_library_reference():
    # flatten: "a tensor of shape (2, 3, 4, 5) with flatten(x, ndim=2) ... shape (2, 60)"
    x = T.tensor4('x')
    value = np.arange(120.0).reshape(2, 3, 4, 5)
    assert T.flatten(x, ndim=2).eval({x: value}).shape == (2, 60)
    assert T.flatten(x, outdim=3).eval({x: value}).shape == (2, 3, 20)
    # addbroadcast(x, 0) "will make the first dimension of x broadcastable. When performing
    # the function, if the length of x along that dimension is not 1, a ValueError will be
    # raised."
    m = T.matrix('m')
    r = T.addbroadcast(m, 0)
    assert r.broadcastable == (True, False)
    assert T.unbroadcast(r, 0).broadcastable == (False, False)
    assert T.patternbroadcast(m, (False, True)).broadcastable == (False, True)
    with pytest.raises(ValueError, match="Rebroadcast"):
        r.eval({m: np.ones((2, 3))})
    assert T.squeeze(r).eval({m: np.ones((1, 3))}).shape == (3,)
    # roll: "Syntax copies numpy.roll function."
    v = T.vector('v')
    np.testing.assert_array_equal(T.roll(v, 2).eval({v: np.arange(5.0)}),
                                  np.roll(np.arange(5.0), 2))
    np.testing.assert_array_equal(T.roll(m, -1, axis=1).eval({m: value[0, 0]}),
                                  np.roll(value[0, 0], -1, axis=1))
    np.testing.assert_array_equal(T.swapaxes(x, 1, 3).eval({x: value}),
                                  np.swapaxes(value, 1, 3))
    a, b = T.split(v, [2, 3], 2)
    np.testing.assert_array_equal(b.eval({v: np.arange(5.0)}), [2.0, 3.0, 4.0])


# -- deeplearning.net tutorials ---------------------------------------------------------------
# LogisticRegression, HiddenLayer and MLP as logistic_sgd.py and mlp.py write them: the
# classes the tutorial tests (tests/test_dlt_*.py) run


def shared_dataset(data_xy, borrow=True):
    data_x, data_y = data_xy
    shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
    shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
    return shared_x, T.cast(shared_y, 'int32')


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_logistic_sgd_minibatch_step():
    data = numpy.random.RandomState(0)
    train_set_x, train_set_y = shared_dataset((data.rand(30, 6), data.randint(0, 3, 30)))
    batch_size = 10
    learning_rate = 0.13
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = LogisticRegression(input=x, n_in=6, n_out=3)
    cost = classifier.negative_log_likelihood(y)
    test_model = theano.function(inputs=[index], outputs=classifier.errors(y), givens={
        x: train_set_x[index * batch_size: (index + 1) * batch_size],
        y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
    train_model = theano.function(inputs=[index], outputs=cost, updates=updates, givens={
        x: train_set_x[index * batch_size:(index + 1) * batch_size],
        y: train_set_y[index * batch_size:(index + 1) * batch_size]})

    X, Y = train_set_x.get_value(), train_set_y.eval().astype(int)
    W, b = np.zeros((6, 3)), np.zeros(3)
    for i in range(3):
        xb, yb = X[i * 10:(i + 1) * 10], Y[i * 10:(i + 1) * 10]
        p = _softmax(xb @ W + b)
        want_cost = -np.log(p[np.arange(10), yb]).mean()
        delta = (p - np.eye(3)[yb]) / 10
        np.testing.assert_allclose(train_model(i), want_cost, **TOL)
        W, b = W - learning_rate * xb.T @ delta, b - learning_rate * delta.sum(0)
        np.testing.assert_allclose(classifier.W.get_value(), W, **TOL)
    want_errors = np.mean(_softmax(X[:10] @ W + b).argmax(1) != Y[:10])
    np.testing.assert_allclose(test_model(0), want_errors, **TOL)


def test_mlp_minibatch_step():
    data = numpy.random.RandomState(0)
    train_set_x, train_set_y = shared_dataset((data.rand(20, 12), data.randint(0, 3, 20)))
    batch_size = 10
    learning_rate = 0.01
    L1_reg = 0.001
    L2_reg = 0.0001
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    rng = numpy.random.RandomState(1234)
    classifier = MLP(rng=rng, input=x, n_in=12, n_hidden=5, n_out=3)
    cost = (classifier.negative_log_likelihood(y) + L1_reg * classifier.L1
            + L2_reg * classifier.L2_sqr)
    gparams = [T.grad(cost, param) for param in classifier.params]
    updates = [(param, param - learning_rate * gparam)
               for param, gparam in zip(classifier.params, gparams, strict=True)]
    W1, b1, W2, b2 = [p.get_value() for p in classifier.params]
    train_model = theano.function(inputs=[index], outputs=cost, updates=updates, givens={
        x: train_set_x[index * batch_size: (index + 1) * batch_size],
        y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    got = train_model(1)

    xb, yb = train_set_x.get_value()[10:], train_set_y.eval()[10:].astype(int)
    h = np.tanh(xb @ W1 + b1)
    p = _softmax(h @ W2 + b2)
    want = (-np.log(p[np.arange(10), yb]).mean() + L1_reg * (np.abs(W1).sum() + np.abs(W2).sum())
            + L2_reg * ((W1 ** 2).sum() + (W2 ** 2).sum()))
    np.testing.assert_allclose(got, want, **TOL)
    delta2 = (p - np.eye(3)[yb]) / 10
    delta1 = (delta2 @ W2.T) * (1 - h ** 2)
    gW1 = xb.T @ delta1 + L1_reg * np.sign(W1) + 2 * L2_reg * W1
    np.testing.assert_allclose(classifier.params[0].get_value(), W1 - learning_rate * gW1,
                               **TOL)


def test_lstm_layer_cost_and_gradient():
    from collections import OrderedDict

    from nbgraph import tensor

    def numpy_floatX(data):
        return numpy.asarray(data, dtype=config.floatX)

    def _p(pp, name):
        return f'{pp}_{name}'

    def lstm_layer(tparams, state_below, options, prefix='lstm', mask=None):
        nsteps = state_below.shape[0]
        if state_below.ndim == 3:
            n_samples = state_below.shape[1]
        else:
            n_samples = 1
        assert mask is not None

        def _slice(_x, n, dim):
            if _x.ndim == 3:
                return _x[:, :, n * dim:(n + 1) * dim]
            return _x[:, n * dim:(n + 1) * dim]

        def _step(m_, x_, h_, c_):
            preact = tensor.dot(h_, tparams[_p(prefix, 'U')])
            preact += x_
            i = tensor.nnet.sigmoid(_slice(preact, 0, options['dim_proj']))
            f = tensor.nnet.sigmoid(_slice(preact, 1, options['dim_proj']))
            o = tensor.nnet.sigmoid(_slice(preact, 2, options['dim_proj']))
            c = tensor.tanh(_slice(preact, 3, options['dim_proj']))
            c = f * c_ + i * c
            c = m_[:, None] * c + (1. - m_)[:, None] * c_
            h = o * tensor.tanh(c)
            h = m_[:, None] * h + (1. - m_)[:, None] * h_
            return h, c

        state_below = (tensor.dot(state_below, tparams[_p(prefix, 'W')]) +
                       tparams[_p(prefix, 'b')])
        dim_proj = options['dim_proj']
        rval, updates = theano.scan(_step, sequences=[mask, state_below],
                                    outputs_info=[tensor.alloc(numpy_floatX(0.), n_samples,
                                                               dim_proj),
                                                  tensor.alloc(numpy_floatX(0.), n_samples,
                                                               dim_proj)],
                                    name=_p(prefix, '_layers'), n_steps=nsteps)
        return rval[0]

    data = numpy.random.RandomState(0)
    d = 3
    params = OrderedDict()
    params['Wemb'] = 0.3 * data.randn(10, d)
    params['lstm_W'] = 0.3 * data.randn(d, 4 * d)
    params['lstm_U'] = 0.3 * data.randn(d, 4 * d)
    params['lstm_b'] = 0.1 * data.randn(4 * d)
    params['U'] = 0.3 * data.randn(d, 2)
    params['b'] = numpy.zeros((2,))
    tparams = OrderedDict((k, theano.shared(v, name=k)) for k, v in params.items())
    options = {'dim_proj': d}

    x = tensor.matrix('x', dtype='int64')
    mask = tensor.matrix('mask', dtype=config.floatX)
    y = tensor.vector('y', dtype='int64')
    n_timesteps = x.shape[0]
    n_samples = x.shape[1]
    emb = tparams['Wemb'][x.flatten()].reshape([n_timesteps, n_samples, options['dim_proj']])
    proj = lstm_layer(tparams, emb, options, prefix='lstm', mask=mask)
    proj = (proj * mask[:, :, None]).sum(axis=0)
    proj = proj / mask.sum(axis=0)[:, None]
    pred = tensor.nnet.softmax(tensor.dot(proj, tparams['U']) + tparams['b'])
    cost = -tensor.log(pred[tensor.arange(n_samples), y] + 1e-8).mean()
    grads = tensor.grad(cost, wrt=list(tparams.values()))
    f_cost = theano.function([x, mask, y], cost, name='f_cost')
    f_grad = theano.function([x, mask, y], grads, name='f_grad')

    xv = data.randint(0, 10, (4, 2)).astype('int64')
    mv = numpy.ones((4, 2))
    mv[2:, 1] = 0
    yv = numpy.array([0, 1], dtype='int64')

    def reference(p):
        sig = _sigmoid
        below = p['Wemb'][xv.flatten()].reshape(4, 2, d) @ p['lstm_W'] + p['lstm_b']
        h, c = np.zeros((2, d)), np.zeros((2, d))
        hs = []
        for t in range(4):
            pre = h @ p['lstm_U'] + below[t]
            i, f, o = sig(pre[:, :d]), sig(pre[:, d:2 * d]), sig(pre[:, 2 * d:3 * d])
            c_new = f * c + i * np.tanh(pre[:, 3 * d:])
            c = mv[t][:, None] * c_new + (1 - mv[t])[:, None] * c
            h_new = o * np.tanh(c)
            h = mv[t][:, None] * h_new + (1 - mv[t])[:, None] * h
            hs.append(h)
        pooled = (np.array(hs) * mv[:, :, None]).sum(0) / mv.sum(0)[:, None]
        probs = _softmax(pooled @ p['U'] + p['b'])
        return -np.log(probs[np.arange(2), yv] + 1e-8).mean()

    np.testing.assert_allclose(f_cost(xv, mv, yv), reference(params), **TOL)
    # the backward scan, checked by central differences on the recurrent weights
    g_U = f_grad(xv, mv, yv)[2]
    eps = 1e-6
    for idx in [(0, 0), (1, 5), (2, 11)]:
        up, down = dict(params), dict(params)
        up['lstm_U'] = params['lstm_U'].copy()
        up['lstm_U'][idx] += eps
        down['lstm_U'] = params['lstm_U'].copy()
        down['lstm_U'][idx] -= eps
        numeric = (reference(up) - reference(down)) / (2 * eps)
        np.testing.assert_allclose(g_U[idx], numeric, rtol=1e-6, atol=1e-9)


# -- Theano 1.0 behaviours that classic code relies on ---------------------------------------
def test_variables_are_truthy_only_comparisons_raise():
    # the deeplearning.net layers default W=None and test it with `if not W:`
    def layer(x, W=None):
        if not W:
            W = theano.shared(np.eye(2), name='W')
        return T.dot(x, W)

    x = T.dmatrix('x')
    given = theano.shared(2 * np.eye(2), name='W2')
    np.testing.assert_allclose(layer(x).eval({x: np.ones((1, 2))}), [[1.0, 1.0]])
    np.testing.assert_allclose(layer(x, given).eval({x: np.ones((1, 2))}), [[2.0, 2.0]])
    a, b, c = T.dscalars('a', 'b', 'c')
    with pytest.raises(TypeError, match="chained comparisons"):
        a < b < c   # noqa: B015  (Theano's _is_nonzero stops this)


def test_softmax_of_a_vector_is_a_row():
    v = T.dvector('v')
    sm = T.nnet.softmax(v)
    assert sm.broadcastable == (True, False)
    values = np.array([1.0, 2.0, 3.0])
    want = np.exp(values - 3) / np.exp(values - 3).sum()
    np.testing.assert_allclose(sm.eval({v: values}), want[None], **TOL)
    np.testing.assert_allclose(T.nnet.logsoftmax(v).eval({v: values}), np.log(want)[None],
                               **TOL)


def test_theano_scalar():
    from nbgraph import scalar
    assert scalar.upcast('int32', 'float32') == 'float64'
    assert scalar.upcast('int8', 'int16', 'float32') == 'float32'
    assert scalar.float64 == T.dscalar and scalar.int8 in scalar.int_types
    assert scalar.as_scalar(3).dtype == 'int8'          # Theano's smallest exact int
    assert scalar.constant(300).dtype == 'int16'
    x, y = scalar.floats('xy')
    z = scalar.add(x, scalar.mul(y, 2.0))
    assert z.eval({x: 1.5, y: 2.0}) == 5.5
    with pytest.raises(TypeError, match="not a scalar"):
        scalar.as_scalar(T.dvector())


def test_xlogx_and_xlogy0():
    # Theano's tensor/tests/test_xlogx.py, then the values against NumPy
    x = T.as_tensor_variable([1, 0])
    y = T.xlogx.xlogx(x)
    f = theano.function([], [y])
    assert numpy.all(f() == numpy.asarray([0, 0.]))
    z = T.xlogx.xlogy0(T.as_tensor_variable([1, 0]), T.as_tensor_variable([1, 0]))
    assert numpy.all(theano.function([], z)() == numpy.asarray([0, 0.]))
    p, q = T.dvectors('p', 'q')
    pv, qv = np.array([0.0, 0.3, 2.0]), np.array([0.5, 0.2, 3.0])
    np.testing.assert_allclose(T.xlogx.xlogx(p).eval({p: pv}), [0, 0.3 * np.log(0.3),
                                                                 2 * np.log(2)], **TOL)
    np.testing.assert_allclose(T.xlogx.xlogy0(p, q).eval({p: pv, q: qv}),
                               [0, 0.3 * np.log(0.2), 2 * np.log(3)], **TOL)
    theano.gradient.verify_grad(T.xlogx.xlogx, [np.array([0.3, 1.7, 4.0])],
                                rng=np.random.RandomState(1))
    theano.gradient.verify_grad(T.xlogx.xlogy0, [np.array([0.3, 1.7]), np.array([0.2, 3.0])],
                                rng=np.random.RandomState(1))
    # at x == 0 the gradient is finite (Theano's was -inf for xlogx)
    g = theano.function([p], theano.grad(T.xlogx.xlogx(p).sum(), p))(pv)
    assert np.all(np.isfinite(g))


def test_modes_by_theano_names():
    mode = theano.compile.mode.get_default_mode()
    assert isinstance(mode, theano.Mode)
    assert theano.compile.DebugMode is theano.compile.debugmode.DebugMode
    x = T.dvector('x')
    expr = T.exp(x) * 2 + 1
    fused = theano.function([x], expr, mode=mode)
    unfused = theano.function([x], expr, mode=mode.excluding('local_elemwise_fusion'))
    assert len(fused.maker.fgraph.toposort()) == 1
    assert len(unfused.maker.fgraph.toposort()) == 3
    np.testing.assert_allclose(unfused([0.0, 1.0]), [3.0, 2 * np.e + 1], **TOL)
    v = T.dvector('v')
    log_sm = T.log(T.nnet.softmax(v))
    kept = theano.function([v], log_sm, mode=mode.excluding('local_log_softmax'))
    assert 'LogSoftmax' not in [str(n.op) for n in kept.maker.fgraph.toposort()]
    with pytest.warns(UserWarning, match="'gpu' has no counterpart"):
        mode.excluding('gpu')
    with pytest.raises(ValueError, match="unknown pass or rule"):
        mode.including('no_such_pass')


def test_matrix_vector_dot_is_gemv():
    from nbgraph.tensor.blas import Gemv
    A, x = T.dmatrix('A'), T.dvector('x')
    f = theano.function([A, x], T.dot(A, x))
    nodes = f.maker.fgraph.toposort()
    # Theano's CGemv{inplace}(AllocEmpty(...)); here y is a constant of shape (1,) that beta 0
    # never reads, so the graph is the Gemv alone and nothing is allocated for y per call
    assert [type(n.op) for n in nodes] == [Gemv]
    a, v = np.arange(12.0).reshape(4, 3), np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(f(a, v), a @ v, **TOL)
    nan_free = theano.function([A, x], T.dot(A, x), mode=theano.Mode(linker='py'))
    np.testing.assert_allclose(nan_free(a, v), a @ v, **TOL)


# -- what libraries built on Theano reach for ---------------------------------------------------
def test_gof_names_and_graph_inputs_in_theanos_order():
    from nbgraph import gof
    from nbgraph.gof.graph import inputs, is_same_graph
    from nbgraph.scan_module.scan_utils import equal_computations
    assert T.Variable is gof.Variable is theano.Variable
    assert theano.compile.SharedVariable is theano.core.shared.SharedVariable
    x, y, z = T.dscalars('x', 'y', 'z')
    # depth-first, the last output first: parameter lists built from it keep Theano's order
    assert inputs([x + y, z * x]) == [z, x, y]
    assert inputs([(x + y) * z]) == [x, y, z]
    # the table in Theano's is_same_graph docstring
    assert is_same_graph(x + 1, x + 1)
    assert not is_same_graph(x + 1, y + 1)
    assert is_same_graph(x + 1, y + 1, givens={x: y})
    assert not is_same_graph(x + 1, y * 1, givens={x: y})
    assert equal_computations([T.exp(x) * 2], [T.exp(x) * 2])
    assert not equal_computations([T.exp(x) * 2], [T.exp(x) * 3])
    assert equal_computations([x * 2], [y * 2], [x], [y])


def test_library_probes_import_without_a_gpu():
    import nbgraph.gpuarray
    from nbgraph.gpuarray import dnn
    from nbgraph.tensor.nnet import abstract_conv
    assert nbgraph.gpuarray.pygpu_activated is False
    assert dnn.dnn_available() is False and "cuDNN" in dnn.dnn_available.msg
    assert abstract_conv.conv2d is T.nnet.conv2d
    named = T.TensorType('float64', (False, True), name='column')
    assert named.name == 'column' and named == T.TensorType('float64', (False, True))


def test_small_behaviours_libraries_rely_on():
    x = T.dmatrix('x')
    rows, cols = x.shape                                  # a vector of known length unpacks
    assert rows.eval({x: np.ones((3, 5))}) == 3 and cols.eval({x: np.ones((3, 5))}) == 5
    p, t = T.matrices('pt')                               # one variable per letter
    assert (p.name, t.name) == ('p', 't')
    value = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(x[[slice(0, 2), slice(1, None)]].eval({x: value}),
                                  value[0:2, 1:])
    v = T.dvector('v')
    left = np.array([1.0, 2.0]) + v                      # __array_priority__: a variable
    assert isinstance(left, T.TensorVariable)
    np.testing.assert_array_equal(left.eval({v: np.array([10.0, 20.0])}), [11.0, 22.0])
    relu = T.nnet.relu(np.array([-1.0, 2.0]))            # ndarray in, ndarray out
    assert isinstance(relu, np.ndarray)
    np.testing.assert_array_equal(relu, [0.0, 2.0])
    np.testing.assert_allclose(T.nnet.relu(np.array([-1.0, 2.0]), 0.1), [-0.1, 2.0], **TOL)


def test_gradient_wrt_integer_shared_is_zeros():
    counts = theano.shared(np.arange(3), name='counts')
    w = theano.shared(np.ones(3), name='w')
    cost = (counts * w).sum()
    g_counts, g_w = T.grad(cost, [counts, w])
    np.testing.assert_array_equal(g_counts.eval(), np.zeros(3))
    np.testing.assert_array_equal(g_w.eval(), [0.0, 1.0, 2.0])


def test_scan_strict_treats_free_variables_as_theano():
    W = theano.shared(np.array([[1.0, 2.0], [3.0, 4.0]]), name='W')
    x, b = T.dmatrix('x'), T.dvector('b')
    with pytest.raises(ValueError, match="shared variable.*non_sequences"):
        theano.scan(lambda row: T.dot(row, W), sequences=x, strict=True)
    # shared variables passed explicitly, and free non-shared inputs (b) as Theano allowed
    out, _ = theano.scan(lambda row, W: T.dot(row, W) + b, sequences=x, non_sequences=W,
                         strict=True)
    xv, bv = np.arange(6.0).reshape(3, 2), np.array([0.5, -1.0])
    np.testing.assert_allclose(theano.function([x, b], out)(xv, bv), xv @ W.get_value() + bv,
                               **TOL)


# -- Extending Theano (the library chapter's examples, only the import changed) ---------------
class DoubleOp1(theano.Op):
    __props__ = ()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        # Note: using x_.type() is dangerous, as it copies x's broadcasting
        # behaviour
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [output_grads[0] * 2]

    def R_op(self, inputs, eval_points):
        # R_op can receive None as eval_points.
        # That mean there is no diferientiable path through that input
        # If this imply that you cannot compute some outputs,
        # return None for those.
        if eval_points[0] is None:
            return eval_points
        return self.grad(inputs, eval_points)


class DoubleOp2(theano.Op):
    __props__ = ()

    itypes = [theano.tensor.dmatrix]
    otypes = [theano.tensor.dmatrix]

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = x * 2


class AXPBOp(theano.Op):
    """
    This creates an Op that takes x to a*x+b.
    """
    __props__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b
        super().__init__()

    def make_node(self, x):
        x = theano.tensor.as_tensor_variable(x)
        return theano.Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        x = inputs[0]
        z = output_storage[0]
        z[0] = self.a * x + self.b

    def infer_shape(self, node, i0_shapes):
        return i0_shapes

    def grad(self, inputs, output_grads):
        return [self.a * output_grads[0]]


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
@pytest.mark.parametrize("op", [DoubleOp1(), DoubleOp2()], ids=["make_node", "itypes"])
def test_extending_theano_double_op(op, mode):
    x = theano.tensor.matrix()
    f = theano.function([x], op(x), mode=mode)
    inp = numpy.random.rand(5, 4)
    out = f(inp)
    assert numpy.allclose(inp * 2, out)


def test_extending_theano_gradients_and_props():
    x = T.dmatrix('x')
    g = theano.function([x], theano.grad((DoubleOp1()(x) ** 2).sum(), x))
    xv = np.random.RandomState(3).rand(3, 2)
    np.testing.assert_allclose(g(xv), 8 * xv, **TOL)
    theano.gradient.verify_grad(DoubleOp1(), [xv], rng=np.random.RandomState(3))
    jv = theano.gradient.Rop(DoubleOp1()(x), x, T.ones_like(x)).eval({x: xv})
    np.testing.assert_allclose(jv, 2 * np.ones_like(xv), **TOL)
    assert AXPBOp(2, 3) == AXPBOp(2, 3) and AXPBOp(2, 3) != AXPBOp(3, 2)
    np.testing.assert_allclose(theano.function([x], AXPBOp(2, 3)(x))(xv), 2 * xv + 3, **TOL)
    theano.gradient.verify_grad(AXPBOp(2, 3), [xv], rng=np.random.RandomState(3))
    with pytest.raises(TypeError, match="itypes say"):
        DoubleOp2()(T.fmatrix())


def test_as_op():
    from nbgraph.compile.ops import as_op

    def infer_shape_numpy_dot(node, input_shapes):
        ashp, bshp = input_shapes
        return [ashp[:-1] + bshp[-1:]]

    @as_op(itypes=[theano.tensor.fmatrix, theano.tensor.fmatrix],
           otypes=[theano.tensor.fmatrix], infer_shape=infer_shape_numpy_dot)
    def numpy_dot(a, b):
        return numpy.dot(a, b)

    a, b = T.fmatrices('a', 'b')
    f = theano.function([a, b], numpy_dot(a, b))
    av = np.arange(6, dtype='float32').reshape(2, 3)
    bv = np.arange(12, dtype='float32').reshape(3, 4)
    out = f(av, bv)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, av @ bv)


@pytest.mark.parametrize("inline", [False, True])
def test_op_from_graph(inline):
    from nbgraph.compile.builders import OpFromGraph
    x, y, z = T.scalars('xyz')
    e = x + y * z
    op = OpFromGraph([x, y, z], [e], inline=inline)
    # op behaves like a normal theano op
    e2 = op(x, y, z) + op(z, y, x)
    fn = theano.function([x, y, z], [e2])
    assert fn(1.0, 2.0, 3.0) == [12.0]
    kinds = [type(n.op).__name__ for n in fn.maker.fgraph.toposort()]
    assert ('OpFromGraph' in kinds) != inline
    gx, gy, gz = theano.function([x, y, z], theano.grad(op(x, y, z) ** 2, [x, y, z]))(
        1.0, 2.0, 3.0)
    assert (gx, gy, gz) == (14.0, 42.0, 28.0)   # 2 e (1, z, y) with e = 7
    # shared variables inside the graph are implicit inputs
    s = theano.shared(np.float64(2.0))
    scaled = OpFromGraph([x], [x * s], inline=inline)
    assert theano.function([x], theano.grad(scaled(x), x))(3.0) == 2.0
    s.set_value(5.0)
    assert theano.function([x], scaled(x))(3.0) == 15.0


# -- Extending Theano with a C Op (the chapter's VectorTimesScalar, only the import changed) ---
class VectorTimesScalar(theano.Op):
    __props__ = ()

    def make_node(self, x, y):
        # Validate the inputs' type
        if x.type.ndim != 1:
            raise TypeError('x must be a 1-d vector')
        if y.type.ndim != 0:
            raise TypeError('y must be a scalar')

        # Create an output variable of the same type as x
        output_var = x.type()

        return theano.Apply(self, [x, y], [output_var])

    def c_code_cache_version(self):
        return (1, 0)

    def c_code(self, node, name, inp, out, sub):
        x, y = inp
        z, = out

        # Extract the dtypes of the inputs and outputs storage to
        # be able to declare pointers for those dtypes in the C
        # code.
        dtype_x = node.inputs[0].dtype
        dtype_y = node.inputs[1].dtype
        dtype_z = node.outputs[0].dtype

        itemsize_x = numpy.dtype(dtype_x).itemsize
        itemsize_z = numpy.dtype(dtype_z).itemsize

        fail = sub['fail']

        c_code = """
        // Validate that the output storage exists and has the same
        // dimension as x.
        if (NULL == %(z)s ||
            PyArray_DIMS(%(x)s)[0] != PyArray_DIMS(%(z)s)[0])
        {
            /* Reference received to invalid output variable.
            Decrease received reference's ref count and allocate new
            output variable */
            Py_XDECREF(%(z)s);
            %(z)s = (PyArrayObject*)PyArray_EMPTY(1,
                                                PyArray_DIMS(%(x)s),
                                                PyArray_TYPE(%(x)s),
                                                0);

            if (!%(z)s) {
                %(fail)s;
            }
        }

        // Perform the vector multiplication by a scalar
        {
            /* The declaration of the following variables is done in a new
            scope to prevent cross initialization errors */
            npy_%(dtype_x)s* x_data_ptr =
                            (npy_%(dtype_x)s*)PyArray_DATA(%(x)s);
            npy_%(dtype_z)s* z_data_ptr =
                            (npy_%(dtype_z)s*)PyArray_DATA(%(z)s);
            npy_%(dtype_y)s y_value =
                            ((npy_%(dtype_y)s*)PyArray_DATA(%(y)s))[0];
            int x_stride = PyArray_STRIDES(%(x)s)[0] / %(itemsize_x)s;
            int z_stride = PyArray_STRIDES(%(z)s)[0] / %(itemsize_z)s;
            int x_dim = PyArray_DIMS(%(x)s)[0];

            for(int i=0; i < x_dim; i++)
            {
                z_data_ptr[i * z_stride] = (x_data_ptr[i * x_stride] *
                                            y_value);
            }
        }
        """

        return c_code % locals()


def test_extending_theano_with_a_c_op():
    from nbgraph.link.cache import find_compiler
    if find_compiler() is None:
        pytest.skip("no C compiler")
    x, y = T.dvector('x'), T.dscalar('y')
    f = theano.function([x, y], VectorTimesScalar()(x, y))   # FAST_RUN: the C linker
    np.testing.assert_array_equal(f(np.arange(5.0), 3.0), 3 * np.arange(5.0))
    np.testing.assert_array_equal(f(np.arange(6.0)[::2], -2.0), [0.0, -4.0, -8.0])


# -- Debugging FAQ: test values ------------------------------------------------------------------
@pytest.fixture
def test_values_on():
    def use(mode):
        theano.config.compute_test_value = mode
    yield use
    theano.config.compute_test_value = 'off'


def test_test_values_raise_at_the_line_building_the_bad_node(test_values_on):
    # the FAQ's example: the error comes from h1 = T.dot(x, func_of_W1), not from f(...)
    test_values_on('warn')
    W1val = numpy.random.rand(2, 10, 10).astype(theano.config.floatX)
    W1 = theano.shared(W1val, 'W1')
    W2val = numpy.random.rand(15, 20).astype(theano.config.floatX)
    W2 = theano.shared(W2val, 'W2')
    x = T.matrix('x')
    x.tag.test_value = numpy.random.rand(5, 10)
    func_of_W1 = W1.dimshuffle(2, 0, 1).flatten(2).T
    assert func_of_W1.tag.test_value.shape == (20, 10)
    with pytest.raises(ValueError, match="not aligned"):
        T.dot(x, func_of_W1)
    h1 = T.dot(x, func_of_W1.T)
    np.testing.assert_allclose(h1.tag.test_value, x.tag.test_value @ func_of_W1.tag.test_value.T,
                               **TOL)
    assert T.dot(h1, W2.T).tag.test_value.shape == (5, 15)


@pytest.mark.parametrize("mode", ['ignore', 'warn', 'raise'])
def test_missing_test_values(test_values_on, mode):
    test_values_on(mode)
    y = T.dvector('y')   # no test value
    if mode == 'raise':
        with pytest.raises(ValueError, match="missing default value"):
            y * 2
    elif mode == 'warn':
        with pytest.warns(UserWarning, match="missing default value"):
            z = y * 2
        assert not hasattr(z.tag, 'test_value')
    else:
        assert not hasattr((y * 2).tag, 'test_value')


def test_test_values_through_scan(test_values_on):
    test_values_on('raise')
    x = T.dmatrix('x')
    x.tag.test_value = np.arange(6.0).reshape(3, 2)
    h0 = T.dvector('h0')
    h0.tag.test_value = np.zeros(2)
    out, _ = theano.scan(lambda row, h: T.tanh(row + h), sequences=x, outputs_info=h0)
    want, h = [], np.zeros(2)
    for row in x.tag.test_value:
        h = np.tanh(row + h)
        want.append(h)
    np.testing.assert_allclose(out.tag.test_value, want, **TOL)


# -- control flow: clone, map, reduce, foldl, foldr, short scans --------------------------------
def test_clone_replaces_and_shares_inputs():
    x, y = T.dscalars('x', 'y')
    z = T.exp(x) * y
    z2 = theano.clone(z, replace={x: 2 * x})
    assert z2.eval({x: 1.0, y: 3.0}) == pytest.approx(np.exp(2.0) * 3.0, rel=1e-15)
    assert z.eval({x: 1.0, y: 3.0}) == pytest.approx(np.e * 3.0, rel=1e-15)
    [copied] = theano.clone([z], share_inputs=False)
    assert not set(theano.gof.graph.inputs([copied])) & {x, y}
    with pytest.raises(TypeError, match="changes its type"):
        theano.clone(z, replace={x: T.dvector()})


def test_map_reduce_foldl_foldr():
    x = T.dvector('x')
    xv = np.array([1.0, -2.0, 0.5, 4.0])
    squares, _ = theano.map(lambda v: v ** 2, sequences=x)
    np.testing.assert_array_equal(squares.eval({x: xv}), xv ** 2)
    total, _ = theano.reduce(lambda v, acc: acc + v, sequences=x,
                             outputs_info=T.constant(0.0))
    assert total.eval({x: xv}) == xv.sum()
    # Horner in both directions: foldl reads x0 first, foldr reads the last element first
    left, _ = theano.foldl(lambda v, acc: acc * 2 + v, sequences=x,
                           outputs_info=T.constant(0.0))
    right, _ = theano.foldr(lambda v, acc: acc * 2 + v, sequences=x,
                            outputs_info=T.constant(0.0))
    assert left.eval({x: xv}) == sum(v * 2 ** k for k, v in enumerate(xv[::-1]))
    assert right.eval({x: xv}) == sum(v * 2 ** k for k, v in enumerate(xv))
    g = theano.function([x], theano.grad(left, x))(xv)
    np.testing.assert_array_equal(g, [8.0, 4.0, 2.0, 1.0])


@pytest.mark.parametrize("length", [0, 1, 2, 3, 5])
def test_gradients_of_zero_step_and_short_scans(length):
    # taps [-2, 0] need 3 elements for one step: shorter sequences give zero steps, and
    # the gradient is then zeros of the sequence's shape (Theano's)
    x, h0 = T.dvector('x'), T.dscalar('h0')
    out, _ = theano.scan(lambda a, b, h: h + a * b, sequences=dict(input=x, taps=[-2, 0]),
                         outputs_info=h0)
    cost = out.sum() + h0 * 0 + x.sum() * 0
    f = theano.function([x, h0], [out, *theano.grad(cost, [x, h0])])
    xv = np.arange(1.0, length + 1)
    values, gx, gh = f(xv, 3.0)
    steps = max(length - 2, 0)
    want, h = [], 3.0
    for t in range(steps):
        h = h + xv[t] * xv[t + 2]
        want.append(h)
    np.testing.assert_allclose(values, want, **TOL)
    assert gx.shape == xv.shape and gh == steps
    eps = 1e-6
    for i in range(length):
        bump = np.eye(length)[i] * eps
        numeric = (f(xv + bump, 3.0)[0].sum() - f(xv - bump, 3.0)[0].sum()) / (2 * eps)
        assert gx[i] == pytest.approx(numeric, abs=1e-6)


def test_scan_until():
    # the Loop tutorial's example: powers of 2 until one exceeds max_value
    def power_of_2(previous_power, max_value):
        return previous_power * 2, theano.scan_module.until(previous_power * 2 > max_value)

    max_value = T.scalar()
    values, _ = theano.scan(power_of_2,
                            outputs_info=T.constant(1.),
                            non_sequences=max_value,
                            n_steps=1024)
    f = theano.function([max_value], values)
    np.testing.assert_array_equal(f(45), [2.0, 4.0, 8.0, 16.0, 32.0, 64.0])
    np.testing.assert_array_equal(f(0.5), [2.0])
    # over a sequence, with the gradient of the steps actually taken
    x = T.dvector('x')
    out, _ = theano.scan(lambda v, acc: (acc + v, theano.scan_module.until(acc + v > 5)),
                         sequences=x, outputs_info=T.constant(0.0))
    g = theano.function([x], [out, theano.grad(out[-1], x)])
    partial, grad_partial = g(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_array_equal(partial, [1.0, 3.0, 6.0])
    np.testing.assert_array_equal(grad_partial, [1.0, 1.0, 1.0, 0.0, 0.0])
    whole, grad_whole = g(np.array([1.0, 1.0]))          # never true: every step runs
    np.testing.assert_array_equal(whole, [1.0, 2.0])
    np.testing.assert_array_equal(grad_whole, [1.0, 1.0])


def test_test_values_of_random_draws_leave_the_streams_alone(test_values_on):
    from nbgraph.sandbox.rng_mrg import MRG_RandomStreams
    from nbgraph.tensor.shared_randomstreams import RandomStreams
    test_values_on('raise')
    for make in (RandomStreams, MRG_RandomStreams):
        drawn = make(7).uniform((2, 3))
        assert drawn.tag.test_value.shape == (2, 3)
        test_values_on('off')
        # computing the test value did not advance the stream: the function's first call
        # draws the same numbers as the test value
        np.testing.assert_array_equal(theano.function([], drawn)(), drawn.tag.test_value)
        test_values_on('raise')


def test_op_from_graph_grad_overrides():
    # Theano's test_builders: a callable, and another OpFromGraph, replace the gradient
    from nbgraph.compile.builders import OpFromGraph
    x, y = T.dscalars('x', 'y')
    go = lambda inps, gs: [gs[0] * 3, gs[0] * 5]   # noqa: E731
    op = OpFromGraph([x, y], [x * y], grad_overrides=go)
    gx, gy = theano.function([x, y], theano.grad(op(x, y), [x, y]))(2.0, 7.0)
    assert (gx, gy) == (3.0, 5.0)
    gx_, gy_, g_ = T.dscalars('gx_', 'gy_', 'g_')
    grad_op = OpFromGraph([gx_, gy_, g_], [g_ * 2, g_ * 4])
    op2 = OpFromGraph([x, y], [x * y], grad_overrides=grad_op)
    gx, gy = theano.function([x, y], theano.grad(op2(x, y), [x, y]))(2.0, 7.0)
    assert (gx, gy) == (2.0, 4.0)
