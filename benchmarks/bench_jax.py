"""The JAX linker beside the C linker and JAX written by hand: the fused expression, an MLP
SGD step and an LSTM (scan) SGD step. Part of ``python -m benchmarks``; alone:

    python benchmarks/bench_jax.py [--quick]

Every result is checked against NumPy (or the C linker) before it is timed. Prints one line
and returns without JAX.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.run import bench, check, mlp_data, numpy_mlp_step, optional, table  # noqa: E402


# -- the fused expression ----------------------------------------------------------------------
def fused_rows(sizes: list[int]) -> list[tuple[str, dict[str, float | None]]]:
    import jax
    import jax.numpy as jnp

    import nbgraph
    import nbgraph.tensor as T
    x, y = T.dvectors("x", "y")
    expr = T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x)
    by_mode = {name: nbgraph.function([x, y], expr, mode=mode)
               for name, mode in (("nbgraph C", "FAST_RUN"), ("nbgraph JAX linker", "JAX"))}
    by_hand = jax.jit(lambda a, b: jnp.exp(-a * a) * jnp.sin(b) + 0.5 * a * b - jnp.tanh(a))
    rows = []
    for n in sizes:
        rng = np.random.default_rng(0)
        a, b = rng.standard_normal(n), rng.standard_normal(n)
        want = np.exp(-a * a) * np.sin(b) + 0.5 * a * b - np.tanh(a)
        times: dict[str, float | None] = {}
        for name, fn in by_mode.items():
            check(name, fn(a, b), want, 1e-12)
            times[name] = bench(lambda fn=fn, a=a, b=b: fn(a, b))
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        check("JAX by hand", by_hand(ja, jb), want, 1e-12)
        times["JAX by hand"] = bench(lambda ja=ja, jb=jb: by_hand(ja, jb).block_until_ready())
        rows.append((f"N={n:.0e} float64", times))
    return rows


# -- MLP SGD step (run.py's network and data) ----------------------------------------------------
def nbgraph_mlp(d: dict[str, np.ndarray], mode: str) -> tuple[Any, list[Any]]:
    import nbgraph
    import nbgraph.tensor as T
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    params = [nbgraph.shared(d[k].copy(), name=k) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params
    logp = T.nnet.logsoftmax(T.dot(T.tanh(T.dot(X, W1) + b1), W2) + b2)
    loss = -T.mean(T.sum(Y * logp, axis=1))
    grads = T.grad(loss, params)
    updates = [(q, (q - 0.1 * g).astype(q.dtype)) for q, g in zip(params, grads, strict=True)]
    return nbgraph.function([X, Y], loss, updates=updates, mode=mode), params


def mlp_row() -> tuple[str, dict[str, float | None]]:
    import jax
    import jax.numpy as jnp
    d = mlp_data()
    Y = np.eye(10, dtype="float32")[d["y"]]
    ref = {k: v.copy() for k, v in d.items()}
    want_loss = numpy_mlp_step(ref, d["X"], Y, 0.1)
    times: dict[str, float | None] = {}
    for name, mode in (("nbgraph C", "FAST_RUN"), ("nbgraph JAX linker", "JAX")):
        fn, params = nbgraph_mlp(d, mode)
        check(f"{name} loss", fn(d["X"], Y), want_loss, 1e-4)
        check(f"{name} W1", params[0].get_value(), ref["W1"], 1e-4)
        times[name] = bench(lambda fn=fn: fn(d["X"], Y))

    def loss_fn(p: dict, X: Any, Y: Any) -> Any:
        logp = jax.nn.log_softmax(jnp.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
        return -jnp.mean(jnp.sum(Y * logp, axis=1))

    @jax.jit
    def step(p: dict, X: Any, Y: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, X, Y)
        return loss, {k: p[k] - 0.1 * g[k] for k in p}

    p = {k: jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2")}
    check("JAX by hand", step(p, d["X"], Y)[0], want_loss, 1e-4)
    times["JAX by hand"] = bench(lambda: jax.block_until_ready(step(p, d["X"], Y)))
    return "MLP step 784-256-10, batch 128, float32", times


# -- LSTM SGD step: scan over 20 steps, batch 32, 64 hidden units --------------------------------
LSTM = {"steps": 20, "batch": 32, "inputs": 16, "hidden": 64}


def lstm_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    n_in, n_h = LSTM["inputs"], LSTM["hidden"]
    return {"xs": rng.standard_normal((LSTM["steps"], LSTM["batch"], n_in)),
            "target": rng.standard_normal((LSTM["batch"], n_h)),
            "W": rng.standard_normal((n_in, 4 * n_h)) * 0.1,
            "U": rng.standard_normal((n_h, 4 * n_h)) * 0.1,
            "b": np.zeros(4 * n_h)}


def nbgraph_lstm(d: dict[str, np.ndarray], mode: str) -> tuple[Any, list[Any]]:
    import nbgraph
    import nbgraph.tensor as T
    n_h = LSTM["hidden"]
    xs, target = T.dtensor3("xs"), T.dmatrix("target")
    params = [nbgraph.shared(d[k].copy(), name=k) for k in ("W", "U", "b")]
    W, U, b = params

    def step(x_t: Any, h: Any, c: Any) -> list[Any]:
        gates = T.dot(x_t, W) + T.dot(h, U) + b
        i, f = T.nnet.sigmoid(gates[:, :n_h]), T.nnet.sigmoid(gates[:, n_h:2 * n_h])
        o, g = T.nnet.sigmoid(gates[:, 2 * n_h:3 * n_h]), T.tanh(gates[:, 3 * n_h:])
        c_new = f * c + i * g
        return [o * T.tanh(c_new), c_new]

    zeros = T.zeros((xs.shape[1], n_h))
    (hs, _), _ = nbgraph.scan(step, sequences=xs, outputs_info=[zeros, zeros])
    loss = T.mean((hs[-1] - target) ** 2)
    grads = T.grad(loss, params)
    updates = [(q, q - 0.5 * g) for q, g in zip(params, grads, strict=True)]
    return nbgraph.function([xs, target], loss, updates=updates, mode=mode), params


def jax_lstm_step() -> Any:
    import jax
    import jax.numpy as jnp
    n_h = LSTM["hidden"]

    def loss_fn(p: dict, xs: Any, target: Any) -> Any:
        def step(carry: tuple, x_t: Any) -> tuple:
            h, c = carry
            gates = x_t @ p["W"] + h @ p["U"] + p["b"]
            i, f = jax.nn.sigmoid(gates[:, :n_h]), jax.nn.sigmoid(gates[:, n_h:2 * n_h])
            o, g = jax.nn.sigmoid(gates[:, 2 * n_h:3 * n_h]), jnp.tanh(gates[:, 3 * n_h:])
            c = f * c + i * g
            return (o * jnp.tanh(c), c), None

        zeros = jnp.zeros((xs.shape[1], n_h))
        (h, _), _ = jax.lax.scan(step, (zeros, zeros), xs)
        return jnp.mean((h - target) ** 2)

    @jax.jit
    def sgd(p: dict, xs: Any, target: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, xs, target)
        return loss, {k: p[k] - 0.5 * g[k] for k in p}

    return sgd


def lstm_row() -> tuple[str, dict[str, float | None]]:
    import jax
    import jax.numpy as jnp
    d = lstm_data()
    times: dict[str, float | None] = {}
    c_fn, c_params = nbgraph_lstm(d, "FAST_RUN")
    want_loss, want_w = c_fn(d["xs"], d["target"]), c_params[0].get_value()
    times["nbgraph C"] = bench(lambda: c_fn(d["xs"], d["target"]))
    j_fn, j_params = nbgraph_lstm(d, "JAX")
    check("JAX linker loss", j_fn(d["xs"], d["target"]), want_loss, 1e-10)
    check("JAX linker W", j_params[0].get_value(), want_w, 1e-10)
    times["nbgraph JAX linker"] = bench(lambda: j_fn(d["xs"], d["target"]))
    sgd = jax_lstm_step()
    p = {k: jnp.asarray(d[k]) for k in ("W", "U", "b")}
    loss, new = sgd(p, d["xs"], d["target"])
    check("JAX by hand loss", loss, want_loss, 1e-10)
    check("JAX by hand W", new["W"], want_w, 1e-10)
    times["JAX by hand"] = bench(lambda: jax.block_until_ready(sgd(p, d["xs"], d["target"])))
    return (f"LSTM step ({LSTM['steps']} steps, batch {LSTM['batch']}, {LSTM['hidden']} "
            f"hidden), float64", times)


def jax_section(quick: bool = False) -> str:
    """The JAX linker's table (one line saying why, without JAX)."""
    jax = optional("jax")
    if jax is None:
        return "### JAX linker\n\nskipped: JAX is not installed (pip install 'nbgraph[jax]')"
    rows = fused_rows([10**3, 10**5] + ([] if quick else [10**7]))
    rows += [mlp_row(), lstm_row()]
    title = (f"JAX linker (XLA on {jax.devices()[0].platform}, JAX {jax.__version__}) beside "
             f"the C linker and JAX by hand")
    return table(title, rows, "nbgraph C")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip N=1e7")
    print(jax_section(parser.parse_args().quick))
