"""Training steps of real models, nbgraph against PyTensor, JAX and NumPy by hand (where
feasible) in one run: an LSTM through ``scan``, a LeNet-style convnet, an RBM CD-1 step.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks --models

Each system's loss and gradients (for the RBM, a mean-field step) are checked against NumPy by
hand (``by_hand.py``) before it is timed. The same model source runs on nbgraph and PyTensor
(Theano's API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import by_hand
from .run import bench, check, optional, table

SEQ, BATCH, HIDDEN, NIN = 50, 16, 128, 128
LR = 0.05
THEANOS = (("nbgraph", "nbgraph"), ("PyTensor C", "pytensor"))
Step = Callable[[], Any]


# -- one scaffold for every model: build, check, time, tabulate ----------------------------------
def theano_build(lib: str, source: str, *args: Any) -> Any:
    """``build(th, T, *args)`` of ``source`` run with nbgraph or PyTensor (Theano's API);
    None where ``lib`` is not installed."""
    mods = theano_like(lib)
    if mods is None:
        return None
    scope: dict[str, Any] = {}
    exec(source, scope)  # noqa: S102  (our own model sources in this file)
    return scope["build"](*mods, *args)


def check_grads(what: str, built: Any, args: tuple, names: tuple[str, ...],
                want: tuple[float, dict[str, np.ndarray]], rtol: float) -> None:
    """``built``'s (train, grads) grads function against NumPy by hand: loss and gradients."""
    loss, *grads = built[1](*args)
    check(f"{what} loss", loss, want[0], rtol)
    for name, g in zip(names, grads, strict=True):
        check(f"{what} gradient of {name}", g, want[1][name], rtol)


def race(title: str, steps: dict[str, Step | None], budget: float = 0.4) -> str:
    """Each system's step timed (None: not installed), as one row with nbgraph the reference."""
    times = {name: None if step is None else bench(step, budget) for name, step in steps.items()}
    return table(title, [("one step", times)], "nbgraph")


# -- LSTM: scan over 50 steps, training step (forward, BPTT, SGD) ------------------------------
def jax_sgd_step(loss_fn: Callable[..., Any], d: dict[str, np.ndarray], params: tuple[str, ...],
                 data: tuple[str, ...]) -> Callable[[], Any]:
    """One jitted SGD step of ``loss_fn(params, *data)`` on ``d``'s arrays, as a timed call
    returning (loss, new params)."""
    jax = optional("jax")
    import jax.numpy as jnp

    @jax.jit
    def train(p: dict, *xs: Any) -> Any:
        loss, g = jax.value_and_grad(loss_fn)(p, *xs)
        return loss, {k: p[k] - LR * g[k] for k in p}

    p = {k: jnp.asarray(d[k]) for k in params}
    xs = [jnp.asarray(d[k]) for k in data]
    return lambda: jax.block_until_ready(train(p, *xs))


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
    return th.function([X, y], loss, updates=updates), th.function([X, y], [loss, *grads])
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

    return jax_sgd_step(loss_fn, d, ("W", "U", "b", "V"), ("X", "y"))


def lstm_section() -> str:
    d = lstm_data()
    names = ("W", "U", "b", "V")
    args = (d["X"], d["y"])
    want = by_hand.lstm_grads({k: d[k] for k in names}, *args)
    steps: dict[str, Step | None] = {}
    for name, lib in THEANOS:
        built = theano_build(lib, LSTM_THEANO, d, LR)
        if built is not None:
            check_grads(f"LSTM {name}", built, args, names, want, 1e-3)
        steps[name] = None if built is None else (lambda f=built[0]: f(*args))
    jx = lstm_jax(d)
    if jx is not None:
        check("LSTM loss JAX", jx()[0], want[0], 1e-3)
    steps["JAX jit (lax.scan)"] = jx
    scratch = {k: d[k].copy() for k in names}
    steps["NumPy (by hand)"] = lambda: by_hand.lstm_step(scratch, *args, LR)
    return race(f"LSTM training step through scan: seq {SEQ}, batch {BATCH}, hidden {HIDDEN}, "
                f"input {NIN}, float32", steps, 1.0)


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
    return th.function([X, Y], loss, updates=updates), th.function([X, Y], [loss, *grads])
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

    return jax_sgd_step(loss_fn, d, ("W1", "W2", "W3", "b3"), ("X", "Y"))


def lenet_section() -> str:
    d = lenet_data()
    names = ("W1", "W2", "W3", "b3")
    args = (d["X"], d["Y"])
    want = by_hand.lenet_grads({k: d[k] for k in names}, *args)
    steps: dict[str, Step | None] = {}
    # PyTensor 3 has no nnet conv2d or pool_2d (Theano's were removed): no PyTensor column
    pool_2d = __import__("nbgraph.tensor.signal.pool", fromlist=["pool_2d"]).pool_2d
    built = theano_build("nbgraph", LENET_THEANO, pool_2d, d, LR)
    check_grads("LeNet nbgraph", built, args, names, want, 1e-3)
    steps["nbgraph"] = lambda: built[0](*args)
    jx = lenet_jax(d)
    if jx is not None:
        check("LeNet loss JAX", jx()[0], want[0], 1e-3)
    steps["JAX jit (conv_general_dilated)"] = jx
    scratch = {k: d[k].copy() for k in names}
    steps["NumPy (by hand)"] = lambda: by_hand.lenet_step(scratch, *args, LR)
    return race("LeNet-style training step: 2 x (conv 5x5 + max-pool 2 + tanh), softmax, "
                "batch 64, float32", steps, 1.0)


# -- RBM: one CD-1 step with binomial sampling, 784-500, batch 20 -------------------------------
def rbm_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    f32 = "float32"
    return {"v": (rng.random((20, 784)) < 0.3).astype(f32),
            "W": (rng.standard_normal((784, 500)) * 0.01).astype(f32),
            "hb": np.zeros(500, f32), "vb": np.zeros(784, f32)}


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
    names = ("W", "hb", "vb")
    want = {k: d[k].copy() for k in names}
    by_hand.rbm_step(want, d["v"], None, LR)
    steps: dict[str, Step | None] = {}
    for name, lib in THEANOS:
        mean_field = theano_build(lib, RBM_THEANO, lambda p: p, d, LR)
        if mean_field is None:
            steps[name] = None
            continue
        mean_field[0](d["v"])
        check(f"RBM {name} W after a mean-field step", mean_field[1][0].get_value(), want["W"],
              1e-4)
        fn, _ = theano_build(lib, RBM_THEANO, _sampler(lib), d, LR)
        if not set(np.unique(fn(d["v"]))) <= {0.0, 1.0}:
            raise AssertionError(f"RBM {name}: samples are not 0/1")
        steps[name] = lambda fn=fn: fn(d["v"])
    steps["JAX jit"] = rbm_jax(d)
    scratch = {k: d[k].copy() for k in names}
    rng = np.random.default_rng(0)
    steps["NumPy (by hand)"] = lambda: by_hand.rbm_step(scratch, d["v"], rng, LR)
    return race("RBM CD-1 step with binomial sampling, 784-500, batch 20, float32", steps)


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
