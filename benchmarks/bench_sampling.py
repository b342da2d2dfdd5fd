"""An RBM-style sampling step (issue 16 item 4): one Gibbs step of a 784-500 RBM on a batch of
20, binomial samples drawn from arrays of probabilities, through ``RandomStreams`` and
``MRG_RandomStreams``, against NumPy by hand (``uniform < p``).

    python benchmarks/bench_sampling.py

Times are CPU seconds of this process per call (``time.process_time``), the minimum over
repeats: on a loaded, shared machine wall-clock medians swing tenfold, CPU time much less.
Run with ``OPENBLAS_NUM_THREADS=1`` so that every row uses one core.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import nbgraph as theano  # noqa: E402
import nbgraph.tensor as T  # noqa: E402
from benchmarks.run import fmt  # noqa: E402
from nbgraph.sandbox.rng_mrg import MRG_RandomStreams  # noqa: E402
from nbgraph.tensor.shared_randomstreams import RandomStreams  # noqa: E402

N_VISIBLE, N_HIDDEN, BATCH = 784, 500, 20


def gibbs_vhv(streams, W, hbias, vbias):  # noqa: ANN001, ANN201
    """The deeplearning.net rbm.py ``gibbs_vhv``: v -> h sample -> v sample."""
    v0 = T.dmatrix('v0')
    h_mean = T.nnet.sigmoid(T.dot(v0, W) + hbias)
    h_sample = streams.binomial(size=h_mean.shape, n=1, p=h_mean, dtype='float64')
    v_mean = T.nnet.sigmoid(T.dot(h_sample, W.T) + vbias)
    v_sample = streams.binomial(size=v_mean.shape, n=1, p=v_mean, dtype='float64')
    return theano.function([v0], v_sample)


def cpu_time(fn: Callable[[], Any], calls: int = 20, repeats: int = 7) -> float:
    """Minimum over ``repeats`` of the process CPU seconds per call of ``fn``."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - start) / calls)
    return best


def numpy_step(v0, W, hb, vb, rng):  # noqa: ANN001, ANN201
    h_mean = 1 / (1 + np.exp(-(v0 @ W + hb)))
    h = (rng.random(h_mean.shape) < h_mean).astype(np.float64)
    v_mean = 1 / (1 + np.exp(-(h @ W.T + vb)))
    return (rng.random(v_mean.shape) < v_mean).astype(np.float64)


def main() -> None:
    rng = np.random.RandomState(0)
    W_value = rng.uniform(-0.05, 0.05, (N_VISIBLE, N_HIDDEN))
    W = theano.shared(W_value, name='W')
    hbias = theano.shared(np.zeros(N_HIDDEN), name='hbias')
    vbias = theano.shared(np.zeros(N_VISIBLE), name='vbias')
    v0 = (rng.rand(BATCH, N_VISIBLE) > 0.5).astype(np.float64)
    rows = {
        "RandomStreams": gibbs_vhv(RandomStreams(1234), W, hbias, vbias),
        "MRG_RandomStreams": gibbs_vhv(MRG_RandomStreams(1234), W, hbias, vbias),
    }
    gen = np.random.default_rng(0)
    times = {name: cpu_time(lambda f=f: f(v0)) for name, f in rows.items()}
    times["NumPy by hand"] = cpu_time(lambda: numpy_step(v0, W_value, 0.0, 0.0, gen))
    for f in rows.values():
        sample = f(v0)
        assert sample.shape == (BATCH, N_VISIBLE) and set(np.unique(sample)) <= {0.0, 1.0}
    print(f"| Gibbs step v->h->v, {N_VISIBLE}-{N_HIDDEN}, batch {BATCH} | time |")
    print("|---|---:|")
    for name, seconds in times.items():
        print(f"| {name} | {fmt(seconds)} |")


if __name__ == "__main__":
    main()
