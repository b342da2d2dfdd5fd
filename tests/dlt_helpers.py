"""Shared pieces of the deeplearning.net tutorial tests (tests/test_dlt_*.py).

The tutorials run with ``floatX=float32`` on a GPU and ``float64`` on a CPU, so each test runs
under both; NumPy references are float64 and the tolerance follows floatX.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy
import pytest

import nbgraph as theano
import nbgraph.tensor as T


@pytest.fixture(params=["float64", "float32"])
def floatx(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test body under ``theano.config.floatX`` set to each float width."""
    with theano.config.change_flags(floatX=request.param):
        yield request.param


def tol(dtype: str) -> dict:
    return dict(rtol=1e-9, atol=1e-11) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)


def fd_tol(dtype: str) -> dict:
    """Against central differences, whose own error is about eps**2 relative."""
    return dict(rtol=1e-6, atol=1e-9) if dtype == "float64" else dict(rtol=2e-3, atol=2e-5)


def shared_dataset(data_xy: tuple, borrow: bool = True) -> tuple:
    """The tutorials' loader: data in shared variables, labels stored as floatX and cast back."""
    data_x, data_y = data_xy
    shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
    shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
    return shared_x, T.cast(shared_y, "int32")


def blobs(rng: numpy.random.RandomState, n: int, n_in: int, n_out: int) -> tuple:
    """Separable synthetic classes: one Gaussian blob per class (no downloads)."""
    centres = rng.randn(n_out, n_in) * 2.0
    y = rng.randint(0, n_out, size=n)
    return centres[y] + rng.randn(n, n_in), y


def sigmoid(z: numpy.ndarray) -> numpy.ndarray:
    return 1.0 / (1.0 + numpy.exp(-z))


def softmax(z: numpy.ndarray) -> numpy.ndarray:
    e = numpy.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def finite_difference(f: Callable[[numpy.ndarray], float], x: numpy.ndarray,
                      eps: float = 1e-6) -> numpy.ndarray:
    """Central differences of a scalar float64 function of ``x``."""
    g = numpy.zeros_like(x, dtype="float64")
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(x)
        flat[i] = old - eps
        down = f(x)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return g
