"""Snippets of the Theano docs tutorial pages the deeplearning.net tutorials lean on, not
already in tests/test_theano_docs.py: the "Configuration Settings and Compiling Modes" logistic
regression (updates as a list of lists, a cost cast to float32, test values, the "Used the
cpu" check over ``maker.fgraph.toposort()``), ``pydotprint`` of a function and of a variable,
``NanGuardMode`` raising ``AssertionError`` as Theano's did, and module paths reached as
attributes after ``import theano``.
"""

from __future__ import annotations

import shutil

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as T
from nbgraph.compile.nanguardmode import NanGuardMode
from tests.dlt_helpers import floatx, sigmoid

__all__ = ["floatx"]


def test_compiling_modes_page_logistic_regression(floatx):
    rng = numpy.random.RandomState(22)
    N, feats = 40, 6
    D = (rng.randn(N, feats).astype(theano.config.floatX),
         rng.randint(size=N, low=0, high=2).astype(theano.config.floatX))
    x = T.matrix("x")
    y = T.vector("y")
    w = theano.shared(rng.randn(feats).astype(theano.config.floatX), name="w")
    b = theano.shared(numpy.asarray(0., dtype=theano.config.floatX), name="b")
    x.tag.test_value = D[0]
    y.tag.test_value = D[1]
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = T.cast(xent.mean(), "float32") + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function(inputs=[x, y], outputs=[prediction, xent],
                            updates=[[w, w - 0.01 * gw], [b, b - 0.01 * gb]], name="train")
    predict = theano.function(inputs=[x], outputs=prediction, name="predict")
    assert any(n.op.__class__.__name__ in ["Gemv", "CGemv", "Gemm", "CGemm"]
               for n in train.maker.fgraph.toposort())

    X, Y = D[0].astype("float64"), D[1].astype("float64")
    w0, b0 = w.get_value().astype("float64"), float(b.get_value())
    p = sigmoid(X @ w0 + b0)
    pred, err = train(D[0], D[1])
    assert numpy.array_equal(pred, p > 0.5)
    assert numpy.allclose(err, -Y * numpy.log(p) - (1 - Y) * numpy.log(1 - p), rtol=1e-5)
    gw_np, gb_np = X.T @ (p - Y) / N + 0.02 * w0, (p - Y).mean()
    # the float32 cast of the mean bounds the precision of the gradient
    assert numpy.allclose(w.get_value(), w0 - 0.01 * gw_np, rtol=1e-6, atol=1e-7)
    assert numpy.allclose(b.get_value(), b0 - 0.01 * gb_np, rtol=1e-6, atol=1e-7)
    losses = [train(D[0], D[1])[1].mean() for _ in range(200)]
    assert losses[-1] < losses[0]
    assert predict(D[0]).shape == (N,)


@pytest.mark.skipif(shutil.which("dot") is None, reason="no Graphviz dot")
def test_pydotprint_writes_the_picture(tmp_path):
    x = T.dmatrix("x")
    w = theano.shared(numpy.ones(3), name="w")
    b = theano.shared(0., name="b")
    prediction = 1 / (1 + T.exp(-T.dot(x, w) - b)) > 0.5
    predict = theano.function(inputs=[x], outputs=prediction)
    for target, name in [(prediction, "prediction"), (predict, "predict")]:
        out = tmp_path / f"logreg_pydotprint_{name}.png"
        theano.printing.pydotprint(target, outfile=str(out), var_with_name_simple=True)
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "predict.svg"
    theano.printing.pydotprint(predict, outfile=str(svg), format="svg")
    assert b"<svg" in svg.read_bytes()


def test_nanguardmode_raises_assertion_error():
    x = T.matrix()
    w = theano.shared(numpy.random.RandomState(0).randn(5, 7).astype(theano.config.floatX))
    fun = theano.function([x], T.dot(x, w),
                          mode=NanGuardMode(nan_is_error=True, inf_is_error=True,
                                            big_is_error=True))
    fun(numpy.ones((3, 5), dtype=theano.config.floatX))
    for bad in (numpy.inf, numpy.nan, 1e20):
        with pytest.raises(AssertionError, match="NanGuardMode"):
            fun(numpy.full((3, 5), bad, dtype=theano.config.floatX))


def test_module_paths_reached_as_attributes():
    assert theano.sandbox.rng_mrg.MRG_RandomStreams is not None
    assert theano.tensor.shared_randomstreams.RandomStreams is not None
    assert T.signal.downsample.max_pool_2d is not None and T.signal.pool.pool_2d is not None
    assert T.nnet.conv.conv2d is not None and T.xlogx.xlogy0 is not None


def test_draws_without_size_take_their_parameters_shape():
    """Theano's RandomStreams: ``size`` omitted (or empty) means the shape the parameters
    broadcast to, e.g. ``srng.binomial(n=1, p=h_mean)`` for a matrix ``h_mean``."""
    srng = theano.tensor.shared_randomstreams.RandomStreams(seed=234)
    p = T.matrix("p")
    onehot = numpy.eye(3)[[2, 0]]                          # (2, 3), exact probabilities
    counts = T.lvector("counts")
    draws = [srng.binomial(n=1, p=p), srng.binomial(size=(), n=1, p=p),
             srng.uniform(low=p[0], high=p[0] + 1e-12), srng.normal(avg=p, std=0.0),
             srng.multinomial(pvals=p), srng.multinomial(n=counts, pvals=p), srng.uniform()]
    f = theano.function([p, counts], draws)
    b1, b2, u, g, m1, m2, scalar = f(onehot, [3, 5])
    assert numpy.array_equal(b1, onehot) and numpy.array_equal(b2, onehot)
    assert u.shape == (3,) and numpy.allclose(u, onehot[0], atol=1e-11)
    assert numpy.array_equal(g, onehot)
    assert numpy.array_equal(m1, onehot) and numpy.array_equal(m2, [[0, 0, 3], [5, 0, 0]])
    assert scalar.shape == () and 0 <= scalar < 1
