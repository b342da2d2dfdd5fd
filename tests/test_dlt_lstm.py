"""lstm.py (the IMDB sentiment LSTM) from the deeplearning.net tutorials, in its idioms.

``from theano import config``, ``numpy_floatX``, parameters in an ``OrderedDict`` of shared
variables, dropout by ``tensor.switch`` on a shared float flag with ``MRG_RandomStreams``, a
masked scan whose initial states are ``tensor.alloc(numpy_floatX(0.), n_samples, dim)``,
``x.flatten()`` embedding lookup of an int64 matrix, ``[:, None]`` broadcasting, adadelta /
sgd / rmsprop as pairs of functions (one with ``on_unused_input='ignore'``), and the model
saved with ``numpy.savez(**params)`` plus the options pickled with protocol -1.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as tensor
from nbgraph import config
from nbgraph.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
from tests.dlt_helpers import fd_tol, finite_difference, floatx, sigmoid, softmax, tol

__all__ = ["floatx"]


def numpy_floatX(data):
    return numpy.asarray(data, dtype=config.floatX)


def _p(pp, name):
    return f"{pp}_{name}"


def ortho_weight(ndim):
    W = numpy.random.randn(ndim, ndim)
    u, s, v = numpy.linalg.svd(W)
    return u.astype(config.floatX)


def init_params(options):
    params = OrderedDict()
    randn = numpy.random.rand(options["n_words"], options["dim_proj"])
    params["Wemb"] = (0.01 * randn).astype(config.floatX)
    dim = options["dim_proj"]
    params[_p("lstm", "W")] = numpy.concatenate([ortho_weight(dim) for _ in range(4)], axis=1)
    params[_p("lstm", "U")] = numpy.concatenate([ortho_weight(dim) for _ in range(4)], axis=1)
    params[_p("lstm", "b")] = numpy.zeros((4 * dim,)).astype(config.floatX)
    params["U"] = 0.01 * numpy.random.randn(dim, options["ydim"]).astype(config.floatX)
    params["b"] = numpy.zeros((options["ydim"],)).astype(config.floatX)
    return params


def init_tparams(params):
    tparams = OrderedDict()
    for kk, pp in params.items():
        tparams[kk] = theano.shared(pp, name=kk)
    return tparams


def dropout_layer(state_before, use_noise, trng):
    return tensor.switch(use_noise,
                         (state_before * trng.binomial(state_before.shape, p=0.5, n=1,
                                                       dtype=state_before.dtype)),
                         state_before * 0.5)


def lstm_layer(tparams, state_below, options, prefix="lstm", mask=None):
    nsteps = state_below.shape[0]
    n_samples = state_below.shape[1] if state_below.ndim == 3 else 1
    assert mask is not None

    def _slice(_x, n, dim):
        if _x.ndim == 3:
            return _x[:, :, n * dim:(n + 1) * dim]
        return _x[:, n * dim:(n + 1) * dim]

    def _step(m_, x_, h_, c_):
        preact = tensor.dot(h_, tparams[_p(prefix, "U")])
        preact += x_
        i = tensor.nnet.sigmoid(_slice(preact, 0, options["dim_proj"]))
        f = tensor.nnet.sigmoid(_slice(preact, 1, options["dim_proj"]))
        o = tensor.nnet.sigmoid(_slice(preact, 2, options["dim_proj"]))
        c = tensor.tanh(_slice(preact, 3, options["dim_proj"]))
        c = f * c_ + i * c
        c = m_[:, None] * c + (1. - m_)[:, None] * c_
        h = o * tensor.tanh(c)
        h = m_[:, None] * h + (1. - m_)[:, None] * h_
        return h, c

    state_below = (tensor.dot(state_below, tparams[_p(prefix, "W")])
                   + tparams[_p(prefix, "b")])
    dim_proj = options["dim_proj"]
    rval, updates = theano.scan(_step, sequences=[mask, state_below],
                                outputs_info=[tensor.alloc(numpy_floatX(0.), n_samples, dim_proj),
                                              tensor.alloc(numpy_floatX(0.), n_samples, dim_proj)],
                                name=_p(prefix, "_layers"), n_steps=nsteps)
    return rval[0]


def build_model(tparams, options):
    trng = RandomStreams(123)
    use_noise = theano.shared(numpy_floatX(0.))
    x = tensor.matrix("x", dtype="int64")
    mask = tensor.matrix("mask", dtype=config.floatX)
    y = tensor.vector("y", dtype="int64")
    n_timesteps = x.shape[0]
    n_samples = x.shape[1]
    emb = tparams["Wemb"][x.flatten()].reshape([n_timesteps, n_samples, options["dim_proj"]])
    proj = lstm_layer(tparams, emb, options, prefix="lstm", mask=mask)
    proj = (proj * mask[:, :, None]).sum(axis=0)
    proj = proj / mask.sum(axis=0)[:, None]
    if options["use_dropout"]:
        proj = dropout_layer(proj, use_noise, trng)
    pred = tensor.nnet.softmax(tensor.dot(proj, tparams["U"]) + tparams["b"])
    f_pred_prob = theano.function([x, mask], pred, name="f_pred_prob")
    f_pred = theano.function([x, mask], pred.argmax(axis=1), name="f_pred")
    off = 1e-6 if pred.dtype == "float16" else 1e-8
    cost = -tensor.log(pred[tensor.arange(n_samples), y] + off).mean()
    return use_noise, x, mask, y, f_pred_prob, f_pred, cost


def adadelta(lr, tparams, grads, x, mask, y, cost):
    zipped_grads = [theano.shared(p.get_value() * numpy_floatX(0.), name=f"{k}_grad")
                    for k, p in tparams.items()]
    running_up2 = [theano.shared(p.get_value() * numpy_floatX(0.), name=f"{k}_rup2")
                   for k, p in tparams.items()]
    running_grads2 = [theano.shared(p.get_value() * numpy_floatX(0.), name=f"{k}_rgrad2")
                      for k, p in tparams.items()]
    zgup = [(zg, g) for zg, g in zip(zipped_grads, grads, strict=True)]
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2))
             for rg2, g in zip(running_grads2, grads, strict=True)]
    f_grad_shared = theano.function([x, mask, y], cost, updates=zgup + rg2up,
                                    name="adadelta_f_grad_shared")
    updir = [-tensor.sqrt(ru2 + 1e-6) / tensor.sqrt(rg2 + 1e-6) * zg
             for zg, ru2, rg2 in zip(zipped_grads, running_up2, running_grads2, strict=True)]
    ru2up = [(ru2, 0.95 * ru2 + 0.05 * (ud ** 2))
             for ru2, ud in zip(running_up2, updir, strict=True)]
    param_up = [(p, p + ud) for p, ud in zip(tparams.values(), updir, strict=True)]
    f_update = theano.function([lr], [], updates=ru2up + param_up, on_unused_input="ignore",
                               name="adadelta_f_update")
    return f_grad_shared, f_update


def sgd(lr, tparams, grads, x, mask, y, cost):
    gshared = [theano.shared(p.get_value() * 0., name=f"{k}_grad")
               for k, p in tparams.items()]
    gsup = [(gs, g) for gs, g in zip(gshared, grads, strict=True)]
    f_grad_shared = theano.function([x, mask, y], cost, updates=gsup, name="sgd_f_grad_shared")
    pup = [(p, p - lr * g) for p, g in zip(tparams.values(), gshared, strict=True)]
    f_update = theano.function([lr], [], updates=pup, name="sgd_f_update")
    return f_grad_shared, f_update


def rmsprop(lr, tparams, grads, x, mask, y, cost):
    def zeros(suffix):
        return [theano.shared(p.get_value() * numpy_floatX(0.), name=f"{k}_{suffix}")
                for k, p in tparams.items()]
    zipped_grads, running_grads, running_grads2, updir = (
        zeros("grad"), zeros("rgrad"), zeros("rgrad2"), zeros("updir"))
    zgup = [(zg, g) for zg, g in zip(zipped_grads, grads, strict=True)]
    rgup = [(rg, 0.95 * rg + 0.05 * g) for rg, g in zip(running_grads, grads, strict=True)]
    rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2))
             for rg2, g in zip(running_grads2, grads, strict=True)]
    f_grad_shared = theano.function([x, mask, y], cost, updates=zgup + rgup + rg2up,
                                    name="rmsprop_f_grad_shared")
    updir_new = [(ud, 0.9 * ud - 1e-4 * zg / tensor.sqrt(rg2 - rg ** 2 + 1e-4))
                 for ud, zg, rg, rg2 in zip(updir, zipped_grads, running_grads, running_grads2,
                                            strict=True)]
    param_up = [(p, p + udn[1]) for p, udn in zip(tparams.values(), updir_new, strict=True)]
    f_update = theano.function([lr], [], updates=updir_new + param_up,
                               on_unused_input="ignore", name="rmsprop_f_update")
    return f_grad_shared, f_update


def prepare_data(seqs, labels):
    lengths = [len(s) for s in seqs]
    maxlen = numpy.max(lengths)
    x = numpy.zeros((maxlen, len(seqs))).astype("int64")
    x_mask = numpy.zeros((maxlen, len(seqs))).astype(theano.config.floatX)
    for idx, s in enumerate(seqs):
        x[:lengths[idx], idx] = s
        x_mask[:lengths[idx], idx] = 1.
    return x, x_mask, labels


def _np_cost(x, mask, y, p, dropout_scale):
    """The model in float64: masked LSTM, mean over time, softmax."""
    dim = p["Wemb"].shape[1]
    emb = p["Wemb"][x]
    h = c = numpy.zeros((x.shape[1], dim))
    hs = []
    for t in range(x.shape[0]):
        pre = h @ p["lstm_U"] + emb[t] @ p["lstm_W"] + p["lstm_b"]
        i, f, o = (sigmoid(pre[:, k * dim:(k + 1) * dim]) for k in range(3))
        c_new = f * c + i * numpy.tanh(pre[:, 3 * dim:])
        c_new = mask[t][:, None] * c_new + (1 - mask[t])[:, None] * c
        h_new = o * numpy.tanh(c_new)
        h = mask[t][:, None] * h_new + (1 - mask[t])[:, None] * h
        c = c_new
        hs.append(h)
    proj = (numpy.array(hs) * mask[:, :, None]).sum(0) / mask.sum(0)[:, None]
    pred = softmax(dropout_scale * proj @ p["U"] + p["b"])
    return -numpy.log(pred[numpy.arange(len(y)), y] + 1e-8).mean()


def _data(rng, n):
    """Reviews whose sentiment is whether word 1 outnumbers word 2."""
    seqs = [list(rng.randint(1, 6, size=rng.randint(2, 6))) for _ in range(n)]
    labels = [int(s.count(1) > s.count(2)) for s in seqs]
    return seqs, labels


@pytest.mark.parametrize("optimizer", [adadelta, sgd, rmsprop])
def test_lstm(floatx, optimizer, tmp_path):
    numpy.random.seed(123)
    model_options = dict(n_words=6, dim_proj=3, ydim=2, use_dropout=True, decay_c=1e-3,
                         encoder="lstm")
    params = init_params(model_options)
    tparams = init_tparams(params)
    (use_noise, x, mask, y, f_pred_prob, f_pred, cost) = build_model(tparams, model_options)
    decay_c = theano.shared(numpy_floatX(model_options["decay_c"]), name="decay_c")
    weight_decay = 0.
    weight_decay += (tparams["U"] ** 2).sum()
    weight_decay *= decay_c
    cost += weight_decay
    f_cost = theano.function([x, mask, y], cost, name="f_cost")
    grads = tensor.grad(cost, wrt=list(tparams.values()))
    f_grad = theano.function([x, mask, y], grads, name="f_grad")
    lr = tensor.scalar(name="lr")
    f_grad_shared, f_update = optimizer(lr, tparams, grads, x, mask, y, cost)

    rng = numpy.random.RandomState(0)
    seqs, labels = _data(rng, 16)
    bx, bmask, by = prepare_data(seqs[:4], labels[:4])
    assert bx.dtype == "int64" and bmask.dtype == floatx and bmask[:, 0].sum() < len(bx) + 1

    # one minibatch, dropout off (the projection is halved), against float64 NumPy
    values = OrderedDict((k, v.get_value().astype("float64")) for k, v in tparams.items())

    def np_cost(_):
        return _np_cost(bx, bmask.astype("float64"), numpy.asarray(by), values, 0.5) \
            + 1e-3 * (values["U"] ** 2).sum()

    assert numpy.allclose(f_cost(bx, bmask, by), np_cost(None), **tol(floatx))
    for (k, value), grad in zip(values.items(), f_grad(bx, bmask, by), strict=True):
        assert numpy.allclose(grad, finite_difference(np_cost, value), **fd_tol(floatx)), k

    if optimizer is adadelta:
        g = [gg.astype("float64") for gg in f_grad(bx, bmask, by)]
        f_grad_shared(bx, bmask, by)
        f_update(0.0001)
        for (k, value), gk in zip(values.items(), g, strict=True):
            step = -numpy.sqrt(1e-6) / numpy.sqrt(0.05 * gk ** 2 + 1e-6) * gk
            assert numpy.allclose(tparams[k].get_value(), value + step, **tol(floatx)), k

    use_noise.set_value(1.)
    lrate = 5.0 if optimizer is sgd else 0.0001   # sgd: the tutorial's 0.01-scale init
    batches = [prepare_data(seqs[i:i + 4], labels[i:i + 4]) for i in range(0, 16, 4)]
    start = numpy.mean([f_cost(*b) for b in batches])
    for _ in range(60):
        for b in batches:
            c = f_grad_shared(*b)
            assert not (numpy.isnan(c) or numpy.isinf(c))
            f_update(lrate)
    use_noise.set_value(0.)
    # rmsprop's fixed 1e-4 step over the 0.01-scale init moves slowly: it only has to move
    assert numpy.mean([f_cost(*b) for b in batches]) < (
        start - 0.005 if optimizer is rmsprop else 0.8 * start)
    probs = f_pred_prob(bx, bmask)
    assert numpy.allclose(probs.sum(axis=1), 1, **tol(floatx))
    assert numpy.array_equal(f_pred(bx, bmask), probs.argmax(axis=1))

    # unzip / savez / pickle the options / zipp back
    new_params = OrderedDict((kk, vv.get_value()) for kk, vv in tparams.items())
    numpy.savez(tmp_path / "lstm_model.npz", history_errs=[], **new_params)
    with open(tmp_path / "lstm_model.npz.pkl", "wb") as f:
        pickle.dump(model_options, f, -1)
    for vv in tparams.values():
        vv.set_value(vv.get_value() * 0)
    loaded = numpy.load(tmp_path / "lstm_model.npz")
    for kk in tparams:
        tparams[kk].set_value(loaded[kk])
    assert numpy.array_equal(f_pred_prob(bx, bmask), probs)
