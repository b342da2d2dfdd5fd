"""LeNet-sized convolution and pooling: one training step's gradient (forward and backward
through conv -> tanh -> max-pool, twice, then a dense softmax layer), nbgraph against NumPy
(im2col by hand), PyTensor and JAX, each checked against NumPy before it is timed.

    python benchmarks/bench_conv.py [--batch 64]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.run import bench, check, fmt, optional  # noqa: E402

SHAPES = {"w1": (20, 1, 5, 5), "w2": (50, 20, 5, 5), "w3": (800, 10)}


def lenet_data(batch: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    data = {name: rng.normal(0, 0.1, shape) for name, shape in SHAPES.items()}
    data["x"] = rng.normal(size=(batch, 1, 28, 28))
    data["y"] = rng.integers(0, 10, batch)
    return data


# -- NumPy by hand ----------------------------------------------------------------------------
def _windows(x: np.ndarray, k: int) -> np.ndarray:
    """(n, c, oh, ow, k, k) views of the valid k-by-k windows."""
    return np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))


def _conv(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    # true convolution: correlate with the flipped filters; one BLAS call per layer
    return np.einsum("ncyxij,fcij->nfyx", _windows(x, w.shape[2]), w[:, :, ::-1, ::-1],
                     optimize=True)


def _pool(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n, f, h, w = a.shape
    blocks = a.reshape(n, f, h // 2, 2, w // 2, 2)
    out = blocks.max(axis=(3, 5))
    mask = blocks == out[:, :, :, None, :, None]
    return out, mask


def numpy_grads(d: dict[str, np.ndarray]) -> list[np.ndarray]:
    """Forward and backward by hand: conv/tanh/pool twice, dense softmax cross-entropy."""
    x, w1, w2, w3, y = d["x"], d["w1"], d["w2"], d["w3"], d["y"]
    h1 = np.tanh(_conv(x, w1))
    p1, m1 = _pool(h1)
    h2 = np.tanh(_conv(p1, w2))
    p2, m2 = _pool(h2)
    flat = p2.reshape(len(x), -1)
    z = flat @ w3
    z -= z.max(1, keepdims=True)
    sm = np.exp(z)
    sm /= sm.sum(1, keepdims=True)
    gz = sm
    gz[np.arange(len(y)), y] -= 1
    gz /= len(y)
    gw3 = flat.T @ gz
    gp2 = (gz @ w3.T).reshape(p2.shape)
    gh2 = (m2 * gp2[:, :, :, None, :, None]).reshape(h2.shape) * (1 - h2 * h2)
    gw2 = np.einsum("ncyxij,nfyx->fcij", _windows(p1, 5), gh2, optimize=True)[:, :, ::-1, ::-1]
    pad = np.pad(gh2, ((0, 0), (0, 0), (4, 4), (4, 4)))
    gp1 = np.einsum("nfyxij,fcij->ncyx", _windows(pad, 5), w2, optimize=True)
    gh1 = (m1 * gp1[:, :, :, None, :, None]).reshape(h1.shape) * (1 - h1 * h1)
    gw1 = np.einsum("ncyxij,nfyx->fcij", _windows(x, 5), gh1, optimize=True)[:, :, ::-1, ::-1]
    return [gw1, gw2, gw3]


# -- the same model in each library -----------------------------------------------------------
def theano_like(th: Any, T: Any, pool_2d: Any, d: dict[str, np.ndarray]) -> Callable:
    x, y = T.dtensor4("x"), T.lvector("y")
    ws = [T.dtensor4("w1"), T.dtensor4("w2"), T.dmatrix("w3")]
    h = x
    for w in ws[:2]:
        h = pool_2d(T.tanh(T.nnet.conv2d(h, w)), (2, 2), ignore_border=True)
    logits = T.dot(h.flatten(2), ws[2])
    cost = T.mean(T.nnet.categorical_crossentropy(T.nnet.softmax(logits), y))
    f = th.function([x, y, *ws], th.grad(cost, ws))
    return lambda: f(d["x"], d["y"], d["w1"], d["w2"], d["w3"])


def nbgraph_step(d: dict[str, np.ndarray]) -> Callable:
    import nbgraph as th
    import nbgraph.tensor as T
    from nbgraph.tensor.signal.pool import pool_2d
    return theano_like(th, T, pool_2d, d)


def pytensor_step(d: dict[str, np.ndarray]) -> Callable | None:
    """PyTensor 2 kept Theano's nnet.conv2d and pool_2d; PyTensor 3 removed both (-)."""
    try:
        import pytensor as th
        import pytensor.tensor as T
        from pytensor.tensor.signal.pool import pool_2d
    except ImportError:
        return None
    return theano_like(th, T, pool_2d, d)


def jax_step(d: dict[str, np.ndarray]) -> Callable | None:
    jax = optional("jax")
    if jax is None:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax import lax

    def cost(ws: list[Any], x: Any, y: Any) -> Any:
        h = x
        for w in ws[:2]:
            conv = lax.conv_general_dilated(h, w[:, :, ::-1, ::-1], (1, 1), "VALID")
            h = lax.reduce_window(jnp.tanh(conv), -jnp.inf, lax.max, (1, 1, 2, 2),
                                  (1, 1, 2, 2), "VALID")
        logits = h.reshape(len(x), -1) @ ws[2]
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(logp[jnp.arange(len(y)), y])

    step = jax.jit(jax.grad(cost))
    args = ([jnp.asarray(d["w1"]), jnp.asarray(d["w2"]), jnp.asarray(d["w3"])],
            jnp.asarray(d["x"]), jnp.asarray(d["y"]))

    def run() -> list[np.ndarray]:
        return [np.asarray(g) for g in jax.block_until_ready(step(*args))]

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args(argv)
    d = lenet_data(args.batch)
    want = numpy_grads(d)
    results: dict[str, float | None] = {"NumPy (by hand)": bench(lambda: numpy_grads(d))}
    for name, make in (("nbgraph", nbgraph_step), ("PyTensor", pytensor_step),
                       ("JAX", jax_step)):
        step = make(d)
        if step is None:
            results[name] = None
            continue
        for k, (g, w) in enumerate(zip(step(), want, strict=True)):
            check(f"{name} gradient {k}", g, w, 1e-8)
        results[name] = bench(step, budget=2.0)
    base = results["NumPy (by hand)"]
    print(f"LeNet gradient step, batch {args.batch}, float64 (conv5x5x20, pool, conv5x5x50, "
          f"pool, dense 800x10)\n")
    print("| system | time per step | vs NumPy |")
    print("|---|---:|---:|")
    for name, secs in results.items():
        ratio = "-" if secs is None or base is None else f"{secs / base:.2f}x"
        print(f"| {name} | {fmt(secs)} | {ratio} |")


if __name__ == "__main__":
    main()
