"""Training steps of real models, nbgraph against PyTensor, JAX and NumPy by hand (where
feasible) in one run: an LSTM through ``scan``, a LeNet-style convnet, an RBM CD-1 step.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks --models

Each system's loss (and, for the RBM, a mean-field step) is checked against the others before
it is timed. The same model source runs on nbgraph and PyTensor (Theano's API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .run import bench, check, optional, table

SEQ, BATCH, HIDDEN, NIN = 50, 16, 128, 128
LR = 0.05


# -- LSTM: scan over 50 steps, training step (forward, BPTT, SGD) ------------------------------
def lstm_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    f32 = "float32"
    return {"X": rng.standard_normal((SEQ, BATCH, NIN)).astype(f32),
            "y": rng.standard_normal((BATCH, 1)).astype(f32),
            "W": (rng.standard_normal((NIN, 4 * HIDDEN)) * 0.05).astype(f32),
            "U": (rng.standard_normal((HIDDEN, 4 * HIDDEN)) * 0.05).astype(f32),
            "b": np.zeros(4 * HIDDEN, f32),
            "V": (rng.standard_normal((HIDDEN, 1)) * 0.05).astype(f32)}


LSTM_THEANO = """
def build(th, T, d, lr):
    X, y = T.tensor3("X", dtype="float32"), T.matrix("y", dtype="float32")
    params = [th.shared(d[k].copy(), name=k) for k in ("W", "U", "b", "V")]
    W, U, b, V = params
    n = d["U"].shape[0]

    def step(x_t, h, c):
        pre = T.dot(x_t, W) + T.dot(h, U) + b
        i = T.sigmoid(pre[:, :n])
        f = T.sigmoid(pre[:, n:2 * n])
        o = T.sigmoid(pre[:, 2 * n:3 * n])
        g = T.tanh(pre[:, 3 * n:])
        c = f * c + i * g
        return o * T.tanh(c), c

    h0 = T.zeros((X.shape[1], n), dtype="float32")
    (hs, cs), _ = th.scan(step, sequences=X, outputs_info=[h0, h0])
    loss = T.mean((T.dot(hs[-1], V) - y) ** 2)
    grads = T.grad(loss, params)
    updates = [(q, (q - lr * g).astype("float32")) for q, g in zip(params, grads)]
    return th.function([X, y], loss, updates=updates), params
"""


def theano_like(lib: str) -> tuple[Any, Any] | None:
    """(module, tensor module) of nbgraph or PyTensor; None where not installed."""
    th = optional(lib)
    if th is None:
        return None
    return th, __import__(f"{lib}.tensor", fromlist=["x"])


def lstm_jax(d: dict[str, np.ndarray]) -> Callable[[], Any] | None:
    jax = optional("jax")
    if jax is None:
        return None
    import jax.numpy as jnp
    from jax import lax
    n = HIDDEN

    def loss_fn(p: dict, X: Any, y: Any) -> Any:
        def step(carry: tuple, x_t: Any) -> tuple:
            h, c = carry
            pre = x_t @ p["W"] + h @ p["U"] + p["b"]
            i, f, o = (jax.nn.sigmoid(pre[:, k * n:(k + 1) * n]) for k in range(3))
            c = f * c + i * jnp.tanh(pre[:, 3 * n:])
            return (o * jnp.tanh(c), c), None
        h0 = jnp.zeros((X.shape[1], n), X.dtype)
        (h, _), _ = lax.scan(step, (h0, h0), X)
        return jnp.mean((h @ p["V"] - y) ** 2)

    @jax.jit
    def train(p: dict, X: Any, y: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, X, y)
        return loss, {k: p[k] - LR * g[k] for k in p}

    p = {k: jnp.asarray(d[k]) for k in ("W", "U", "b", "V")}
    X, y = jnp.asarray(d["X"]), jnp.asarray(d["y"])
    return lambda: jax.block_until_ready(train(p, X, y))


def lstm_section() -> str:
    d = lstm_data()
    times: dict[str, float | None] = {}
    losses: dict[str, float] = {}
    for name, lib in (("nbgraph", "nbgraph"), ("PyTensor C", "pytensor")):
        mods = theano_like(lib)
        if mods is None:
            times[name] = None
            continue
        scope: dict[str, Any] = {}
        exec(LSTM_THEANO, scope)  # noqa: S102  (our own source text above)
        fn, _ = scope["build"](*mods, d, LR)
        losses[name] = float(fn(d["X"], d["y"]))
        times[name] = bench(lambda fn=fn: fn(d["X"], d["y"]), budget=1.0)
    jx = lstm_jax(d)
    if jx is not None:
        losses["JAX"] = float(jx()[0])
        times["JAX jit (lax.scan)"] = bench(jx, budget=1.0)
    ref = losses.get("JAX", losses.get("PyTensor C"))
    for name, value in losses.items():
        if ref is not None:
            check(f"LSTM loss {name}", value, ref, 1e-3)
    return table(f"LSTM training step through scan: seq {SEQ}, batch {BATCH}, hidden {HIDDEN}, "
                 f"input {NIN}, float32", [("one step", times)], "nbgraph")


# -- LeNet: conv+pool+tanh twice, softmax, batch 64 ---------------------------------------------
def lenet_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    f32 = "float32"
    return {"X": rng.standard_normal((64, 1, 28, 28)).astype(f32),
            "Y": np.eye(10, dtype=f32)[rng.integers(0, 10, 64)],
            "W1": (rng.standard_normal((20, 1, 5, 5)) * 0.1).astype(f32),
            "W2": (rng.standard_normal((50, 20, 5, 5)) * 0.05).astype(f32),
            "W3": (rng.standard_normal((800, 10)) * 0.05).astype(f32),
            "b3": np.zeros(10, f32)}


LENET_THEANO = """
def build(th, T, pool_2d, d, lr):
    X, Y = T.tensor4("X", dtype="float32"), T.matrix("Y", dtype="float32")
    params = [th.shared(d[k].copy(), name=k) for k in ("W1", "W2", "W3", "b3")]
    W1, W2, W3, b3 = params
    h1 = T.tanh(pool_2d(T.nnet.conv2d(X, W1), (2, 2), ignore_border=True))
    h2 = T.tanh(pool_2d(T.nnet.conv2d(h1, W2), (2, 2), ignore_border=True))
    p = T.nnet.softmax(T.dot(h2.flatten(2), W3) + b3)
    loss = -T.mean(T.sum(Y * T.log(p), axis=1))
    grads = T.grad(loss, params)
    updates = [(q, (q - lr * g).astype("float32")) for q, g in zip(params, grads)]
    return th.function([X, Y], loss, updates=updates)
"""


def lenet_jax(d: dict[str, np.ndarray]) -> Callable[[], Any] | None:
    jax = optional("jax")
    if jax is None:
        return None
    import jax.numpy as jnp
    from jax import lax

    def conv(x: Any, w: Any) -> Any:  # Theano's conv2d flips the filters (a convolution)
        return lax.conv_general_dilated(x, w[:, :, ::-1, ::-1], (1, 1), "VALID")

    def pool(x: Any) -> Any:
        return lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def loss_fn(p: dict, X: Any, Y: Any) -> Any:
        h1 = jnp.tanh(pool(conv(X, p["W1"])))
        h2 = jnp.tanh(pool(conv(h1, p["W2"])))
        logp = jax.nn.log_softmax(h2.reshape(len(X), -1) @ p["W3"] + p["b3"])
        return -jnp.mean(jnp.sum(Y * logp, axis=1))

    @jax.jit
    def train(p: dict, X: Any, Y: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, X, Y)
        return loss, {k: p[k] - LR * g[k] for k in p}

    p = {k: jnp.asarray(d[k]) for k in ("W1", "W2", "W3", "b3")}
    X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])
    return lambda: jax.block_until_ready(train(p, X, Y))


def lenet_section() -> str:
    d = lenet_data()
    times: dict[str, float | None] = {}
    losses: dict[str, float] = {}
    # PyTensor 3 has no nnet conv2d or pool_2d (Theano's were removed): no PyTensor row
    for name, lib in (("nbgraph", "nbgraph"),):
        mods = theano_like(lib)
        if mods is None:
            times[name] = None
            continue
        pool = __import__(f"{lib}.tensor.signal.pool", fromlist=["pool_2d"]).pool_2d
        scope: dict[str, Any] = {}
        exec(LENET_THEANO, scope)  # noqa: S102  (our own source text above)
        fn = scope["build"](*mods, pool, d, LR)
        losses[name] = float(fn(d["X"], d["Y"]))
        times[name] = bench(lambda fn=fn: fn(d["X"], d["Y"]), budget=1.0)
    jx = lenet_jax(d)
    if jx is not None:
        losses["JAX"] = float(jx()[0])
        times["JAX jit (conv_general_dilated)"] = bench(jx, budget=1.0)
    ref = losses.get("JAX", losses.get("PyTensor C"))
    for name, value in losses.items():
        if ref is not None:
            check(f"LeNet loss {name}", value, ref, 1e-3)
    return table("LeNet-style training step: 2 x (conv 5x5 + max-pool 2 + tanh), softmax, "
                 "batch 64, float32", [("one step", times)], "nbgraph")


# -- RBM: one CD-1 step with binomial sampling, 784-500, batch 20 -------------------------------
def rbm_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    f32 = "float32"
    return {"v": (rng.random((20, 784)) < 0.3).astype(f32),
            "W": (rng.standard_normal((784, 500)) * 0.01).astype(f32),
            "hb": np.zeros(500, f32), "vb": np.zeros(784, f32)}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def rbm_numpy(p: dict[str, np.ndarray], v: np.ndarray, rng: np.random.Generator | None
              ) -> np.ndarray:
    """CD-1 by hand (``rng`` None: mean-field, no sampling, for the checks); updates ``p``."""
    ph = _sigmoid(v @ p["W"] + p["hb"])
    h = ph if rng is None else (rng.random(ph.shape, dtype=np.float32) < ph).astype("float32")
    pv = _sigmoid(h @ p["W"].T + p["vb"])
    v1 = pv if rng is None else (rng.random(pv.shape, dtype=np.float32) < pv).astype("float32")
    ph1 = _sigmoid(v1 @ p["W"] + p["hb"])
    scale = LR / len(v)
    p["W"] += scale * (v.T @ ph - v1.T @ ph1)
    p["hb"] += scale * (ph - ph1).sum(0)
    p["vb"] += scale * (v - v1).sum(0)
    return v1


RBM_THEANO = """
def build(th, T, draw, d, lr):
    v = T.matrix("v", dtype="float32")
    W, hb, vb = params = [th.shared(d[k].copy(), name=k) for k in ("W", "hb", "vb")]
    ph = T.sigmoid(T.dot(v, W) + hb)
    h = draw(ph)
    v1 = draw(T.sigmoid(T.dot(h, W.T) + vb))
    ph1 = T.sigmoid(T.dot(v1, W) + hb)
    scale = lr / 20
    updates = [(W, W + scale * (T.dot(v.T, ph) - T.dot(v1.T, ph1))),
               (hb, hb + scale * (ph - ph1).sum(axis=0)),
               (vb, vb + scale * (v - v1).sum(axis=0))]
    updates = [(q, u.astype("float32")) for q, u in updates]
    return th.function([v], v1, updates=updates), params
"""


def _sampler(lib: str) -> Callable[[Any], Any]:
    """``p -> binomial(1, p)`` as float32 in ``lib``'s random streams."""
    if lib == "nbgraph":
        from nbgraph.tensor.shared_randomstreams import RandomStreams
        streams = RandomStreams(seed=3)
        return lambda p: streams.binomial(size=p.shape, n=1, p=p, dtype="float32")
    import warnings

    from pytensor.tensor.random.utils import RandomStream
    with warnings.catch_warnings():  # deprecated in PyTensor 3, still the Theano-style API
        warnings.simplefilter("ignore", FutureWarning)
        stream = RandomStream(seed=3)
    return lambda p: stream.binomial(1, p, size=p.shape).astype("float32")


def rbm_jax(d: dict[str, np.ndarray]) -> Callable[[], Any] | None:
    jax = optional("jax")
    if jax is None:
        return None
    import jax.numpy as jnp

    @jax.jit
    def train(p: dict, v: Any, key: Any) -> Any:
        k1, k2, key = jax.random.split(key, 3)
        ph = jax.nn.sigmoid(v @ p["W"] + p["hb"])
        h = jax.random.bernoulli(k1, ph).astype(v.dtype)
        v1 = jax.random.bernoulli(k2, jax.nn.sigmoid(h @ p["W"].T + p["vb"])).astype(v.dtype)
        ph1 = jax.nn.sigmoid(v1 @ p["W"] + p["hb"])
        s = LR / v.shape[0]
        return v1, key, {"W": p["W"] + s * (v.T @ ph - v1.T @ ph1),
                         "hb": p["hb"] + s * (ph - ph1).sum(0),
                         "vb": p["vb"] + s * (v - v1).sum(0)}

    p = {k: jnp.asarray(d[k]) for k in ("W", "hb", "vb")}
    v, key = jnp.asarray(d["v"]), jax.random.PRNGKey(0)
    return lambda: jax.block_until_ready(train(p, v, key))


def rbm_section() -> str:
    d = rbm_data()
    times: dict[str, float | None] = {}
    want = {k: x.copy() for k, x in d.items()}
    rbm_numpy(want, d["v"], None)
    scratch = {k: x.copy() for k, x in d.items()}
    rng = np.random.default_rng(0)
    times["NumPy (by hand)"] = bench(lambda: rbm_numpy(scratch, d["v"], rng))
    for name, lib in (("nbgraph", "nbgraph"), ("PyTensor C", "pytensor")):
        mods = theano_like(lib)
        if mods is None:
            times[name] = None
            continue
        scope: dict[str, Any] = {}
        exec(RBM_THEANO, scope)  # noqa: S102  (our own source text above)
        mean_field, params = scope["build"](*mods, lambda p: p, d, LR)
        mean_field(d["v"])
        check(f"RBM {name} W after a mean-field step", params[0].get_value(), want["W"], 1e-4)
        fn, _ = scope["build"](*mods, _sampler(lib), d, LR)
        v1 = fn(d["v"])
        if not set(np.unique(v1)) <= {0.0, 1.0}:
            raise AssertionError(f"RBM {name}: samples are not 0/1")
        times[name] = bench(lambda fn=fn: fn(d["v"]))
    jx = rbm_jax(d)
    if jx is not None:
        times["JAX jit"] = bench(jx)
    return table("RBM CD-1 step with binomial sampling, 784-500, batch 20, float32",
                 [("one step", times)], "nbgraph")


# -- strided operands: per-call cost of a kernel on views ---------------------------------------
VIEWS = {"contiguous": lambda a: a[:, :8].copy(), "column slice": lambda a: a[:, 8:],
         "transposed": lambda a: a[:8, :8].T, "negative strides": lambda a: a[::-1, :8][:8]}


def strided_section() -> str:
    """``x * y + 1`` on 8x8 float64 views: what a call costs beyond the contiguous one."""
    import nbgraph
    import nbgraph.tensor as T
    x, y = T.dmatrices("x", "y")
    f = nbgraph.function([x, y], x * y + 1.0)
    base = np.random.default_rng(0).standard_normal((8, 16))
    rows = []
    for name, view in VIEWS.items():
        a, b = view(base), view(base * 2)
        check(f"strided {name}", f(a, b), a * b + 1.0, 1e-15)
        rows.append((name, {"nbgraph C": bench(lambda a=a, b=b: f(a, b)),
                            "NumPy": bench(lambda a=a, b=b: a * b + 1.0)}))
    return table("Per call on 8x8 float64 views (x * y + 1)", rows, "NumPy")


def models_section() -> str:
    return "\n\n".join(section() for section in (strided_section, lstm_section, lenet_section,
                                                   rbm_section))
