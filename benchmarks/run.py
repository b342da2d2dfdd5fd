"""One command, one run: nbgraph against NumPy, numexpr, PyTensor and JAX (where installed).

    python -m benchmarks            # or: python benchmarks/run.py [--quick]

Every system's result is checked against NumPy before it is timed. Compile latency runs in
fresh subprocesses (cold: empty compile directory; warm: the same directory again); the rest
runs in this process. Times are the median of several repeats; on a shared machine, re-run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXPR = "exp(-x*x)*sin(y) + 0.5*x*y - tanh(x)"


# -- measuring ---------------------------------------------------------------------------------
def bench(fn: Callable[[], Any], budget: float = 0.4) -> float:
    """Median seconds per call over repeats filling about ``budget`` seconds."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(0.02 / once))
    repeats = max(3, min(15, int(budget / (once * number))))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t) / number)
    return statistics.median(times)


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def table(title: str, rows: list[tuple[str, dict[str, float | None]]], ref: str) -> str:
    systems = [s for s in rows[0][1]]
    head = f"| case | {' | '.join(systems)} |"
    lines = [f"### {title}", "", head, "|" + "---|" * (len(systems) + 1)]
    for case, times in rows:
        base = times.get(ref)
        cells = []
        for s in systems:
            t = times.get(s)
            ratio = f" ({t / base:.2g}x)" if t is not None and base and s != ref else ""
            cells.append(fmt(t) + ratio)
        lines.append(f"| {case} | {' | '.join(cells)} |")
    return "\n".join(lines)


def check(name: str, got: Any, want: Any, rtol: float) -> None:
    got, want = np.asarray(got, dtype="float64"), np.asarray(want, dtype="float64")
    if not np.allclose(got, want, rtol=rtol, atol=rtol * (np.abs(want).max() + 1e-30)):
        raise AssertionError(f"{name}: result differs from NumPy "
                             f"(max abs err {np.abs(got - want).max():.3g})")


def optional(name: str) -> Any:
    try:
        return __import__(name)
    except Exception:
        return None


# -- the systems -------------------------------------------------------------------------------
def nbgraph_fused(dtype: str) -> tuple[Callable, Callable]:
    import nbgraph
    import nbgraph.tensor as T
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    f = nbgraph.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x))
    add = nbgraph.function([x, y], x + y)
    return f, add


def pytensor_fused(dtype: str) -> Callable | None:
    pt = optional("pytensor")
    if pt is None:
        return None
    import pytensor.tensor as ptt
    x, y = ptt.vector("x", dtype=dtype), ptt.vector("y", dtype=dtype)
    return pt.function([x, y], ptt.exp(-x * x) * ptt.sin(y) + 0.5 * x * y - ptt.tanh(x))


def jax_fused() -> Callable | None:
    jax = optional("jax")
    if jax is None:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    f = jax.jit(lambda x, y: jnp.exp(-x * x) * jnp.sin(y) + 0.5 * x * y - jnp.tanh(x))
    return lambda x, y: f(x, y).block_until_ready()


def numexpr_fused(threads: int) -> Callable | None:
    ne = optional("numexpr")
    if ne is None:
        return None

    def run(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ne.set_num_threads(threads)
        return ne.evaluate(EXPR, local_dict={"x": x, "y": y})
    return run


def fused_section(sizes: list[int]) -> str:
    rows = []
    cores = len(os.sched_getaffinity(0))
    for dtype in ("float64", "float32"):
        nb, nb_add = nbgraph_fused(dtype)
        pyt = pytensor_fused(dtype)
        jx = jax_fused()
        systems: dict[str, Callable | None] = {
            "NumPy": lambda x, y: np.exp(-x * x) * np.sin(y) + 0.5 * x * y - np.tanh(x),
            "numexpr 1T": numexpr_fused(1), f"numexpr {cores}T": numexpr_fused(cores),
            "PyTensor C": pyt, "JAX jit": jx, "nbgraph": nb}
        for n in sizes:
            rng = np.random.default_rng(0)
            x, y = (rng.standard_normal(n).astype(dtype) for _ in range(2))
            want = systems["NumPy"](x, y)
            times: dict[str, float | None] = {}
            for name, fn in systems.items():
                if fn is None:
                    times[name] = None
                    continue
                check(f"{name} {dtype} N={n}", fn(x, y), want, 1e-5 if dtype == "float32"
                      else 1e-9)
                # bench calls it before the next iteration: binding now only says so
                times[name] = bench(lambda fn=fn, x=x, y=y: fn(x, y))
            floor = bench(lambda f=nb_add, x=x, y=y: f(x, y))
            gbs = 3 * n * np.dtype(dtype).itemsize / floor / 1e9
            times["x+y floor (nbgraph)"] = floor
            rows.append((f"{dtype} N=1e{int(np.log10(n))} ({gbs:.0f} GB/s floor)", times))
    return table(f"Fused elementwise `{EXPR}`", rows, "NumPy")


def overhead_section() -> str:
    import nbgraph
    import nbgraph.tensor as T
    x, y = T.dvectors("x", "y")
    f = nbgraph.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x))
    ft = nbgraph.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x))
    ft.trust_input = True
    a, b = np.random.default_rng(0).standard_normal((2, 10))
    want = np.exp(-a * a) * np.sin(b) + 0.5 * a * b - np.tanh(a)
    times: dict[str, float | None] = {
        "NumPy": bench(lambda: np.exp(-a * a) * np.sin(b) + 0.5 * a * b - np.tanh(a))}
    check("nbgraph", f(a, b), want, 1e-12)
    times["nbgraph checked"] = bench(lambda: f(a, b))
    times["nbgraph trust_input"] = bench(lambda: ft(a, b))
    pyt = pytensor_fused("float64")
    if pyt is not None:
        check("pytensor", pyt(a, b), want, 1e-12)
        times["PyTensor checked"] = bench(lambda: pyt(a, b))
        pyt.trust_input = True
        times["PyTensor trust_input"] = bench(lambda: pyt(a, b))
    jx = jax_fused()
    if jx is not None:
        check("jax", jx(a, b), want, 1e-12)
        times["JAX jit"] = bench(lambda: jx(a, b))
    return table("Call overhead, N=10 float64", [("per call", times)], "NumPy")


# -- MLP step and gradient -----------------------------------------------------------------------
def mlp_data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"X": rng.standard_normal((128, 784)).astype("float32"),
            "y": rng.integers(0, 10, 128),
            "W1": (rng.standard_normal((784, 256)) * 0.05).astype("float32"),
            "b1": np.zeros(256, "float32"),
            "W2": (rng.standard_normal((256, 10)) * 0.05).astype("float32"),
            "b2": np.zeros(10, "float32")}


def numpy_mlp_step(p: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float) -> float:
    """By hand: forward, softmax cross-entropy, backward, SGD update in place."""
    h = np.tanh(X @ p["W1"] + p["b1"])
    z = h @ p["W2"] + p["b2"]
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(s[np.arange(len(X)), Y.argmax(1)]))
    dz = (s - Y) / len(X)
    dh = (dz @ p["W2"].T) * (1 - h * h)
    p["W2"] -= lr * (h.T @ dz)
    p["b2"] -= lr * dz.sum(0)
    p["W1"] -= lr * (X.T @ dh)
    p["b1"] -= lr * dh.sum(0)
    return float(loss)


MLP_NBGRAPH = """
import nbgraph, nbgraph.tensor as T
def build(d, lib="nbgraph"):
    th = nbgraph
    X, Y = T.fmatrix("X"), T.fmatrix("Y")
    params = [th.shared(d[k].copy(), name=k) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params
    h = T.tanh(T.dot(X, W1) + b1)
    z = T.dot(h, W2) + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - T.log(T.sum(T.exp(z), axis=1, keepdims=True))  # log softmax
    loss = -T.mean(T.sum(Y * logp, axis=1))
    grads = T.grad(loss, params)
    lr = 0.1
    return th.function([X, Y], loss, updates=[(q, (q - lr * g).astype(q.dtype))
                                                  for q, g in zip(params, grads)]), params
"""

MLP_PYTENSOR = MLP_NBGRAPH.replace("import nbgraph, nbgraph.tensor as T",
                                   "import pytensor as nbgraph, pytensor.tensor as T")


def mlp_section() -> str:
    d = mlp_data()
    Y = np.eye(10, dtype="float32")[d["y"]]
    lr = 0.1
    times: dict[str, float | None] = {}
    ref = {k: v.copy() for k, v in d.items()}
    want_loss = numpy_mlp_step(ref, d["X"], Y, lr)
    scratch = {k: v.copy() for k, v in d.items()}
    times["NumPy (by hand)"] = bench(lambda: numpy_mlp_step(scratch, d["X"], Y, lr))
    for name, src in (("nbgraph", MLP_NBGRAPH), ("PyTensor C", MLP_PYTENSOR)):
        if name == "PyTensor C" and optional("pytensor") is None:
            times[name] = None
            continue
        scope: dict[str, Any] = {}
        exec(src, scope)  # noqa: S102  (our own source text above)
        fn, params = scope["build"](d)
        check(f"{name} loss", fn(d["X"], Y), want_loss, 1e-4)
        check(f"{name} W1 after one step", params[0].get_value(), ref["W1"], 1e-4)
        times[name] = bench(lambda fn=fn: fn(d["X"], Y))
    jax = optional("jax")
    if jax is not None:
        import jax.numpy as jnp

        def loss_fn(p: dict, X: Any, Y: Any) -> Any:
            h = jnp.tanh(X @ p["W1"] + p["b1"])
            logp = jax.nn.log_softmax(h @ p["W2"] + p["b2"])
            return -jnp.mean(jnp.sum(Y * logp, axis=1))

        @jax.jit
        def step(p: dict, X: Any, Y: Any) -> Any:
            loss, g = jax.value_and_grad(loss_fn)(p, X, Y)
            return loss, {k: p[k] - lr * g[k] for k in p}

        p = {k: jnp.asarray(d[k]) for k in ("W1", "b1", "W2", "b2")}
        loss, new = step(p, d["X"], Y)
        check("JAX loss", loss, want_loss, 1e-4)
        check("JAX W1", new["W1"], ref["W1"], 1e-4)
        times["JAX jit"] = bench(lambda: jax.block_until_ready(step(p, d["X"], Y)))
    return table("SGD step, 784-256-10 tanh MLP, softmax cross-entropy, batch 128, float32",
                 [("one step", times)], "NumPy (by hand)")


def grad_section() -> str:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 1000)) / 30
    w = rng.standard_normal(1000)
    t = np.tanh(X @ w)
    want = X.T @ (2 * t * (1 - t * t))
    times: dict[str, float | None] = {}

    def by_hand() -> np.ndarray:
        t = np.tanh(X @ w)
        return X.T @ (2 * t * (1 - t * t))
    times["NumPy (by hand)"] = bench(by_hand)
    for name, mod, tmod in (("nbgraph", "nbgraph", "nbgraph.tensor"),
                            ("PyTensor C", "pytensor", "pytensor.tensor")):
        lib = optional(mod)
        if lib is None:
            times[name] = None
            continue
        T = __import__(tmod, fromlist=["x"])
        Xs, ws = T.dmatrix("X"), T.dvector("w")
        fn = lib.function([Xs, ws], lib.grad(T.sum(T.tanh(T.dot(Xs, ws)) ** 2), ws))
        check(name, fn(X, w), want, 1e-10)
        times[name] = bench(lambda fn=fn: fn(X, w))
    jax = optional("jax")
    if jax is not None:
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        g = jax.jit(jax.grad(lambda w, X: jnp.sum(jnp.tanh(X @ w) ** 2)))
        check("JAX", g(w, X), want, 1e-10)
        times["JAX jit"] = bench(lambda: g(w, X).block_until_ready())
    return table("Gradient of sum(tanh(X @ w)**2), X 1000x1000 float64",
                 [("grad", times)], "NumPy (by hand)")


# -- compile latency in fresh processes ---------------------------------------------------------
COMPILE_SCRIPT = textwrap.dedent("""
    import json, sys, time
    which, graph = sys.argv[1], sys.argv[2]
    import numpy as np
    if which == "nbgraph":
        import nbgraph as th, nbgraph.tensor as T
    else:
        import pytensor as th, pytensor.tensor as T
    start = time.perf_counter()
    if graph == "elemwise":
        x, y = T.dvectors("x", "y")
        f = th.function([x, y], T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x))
        f(np.ones(3), np.ones(3))
    else:
        exec(sys.argv[3])
        d = {"W1": np.zeros((784, 256), "float32"), "b1": np.zeros(256, "float32"),
             "W2": np.zeros((256, 10), "float32"), "b2": np.zeros(10, "float32")}
        f, _ = build(d)
        f(np.ones((128, 784), "float32"), np.eye(10, dtype="float32")[np.zeros(128, int)])
    print(json.dumps(time.perf_counter() - start))
""")

JAX_COMPILE = textwrap.dedent("""
    import json, sys, time
    import numpy as np, jax, jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    start = time.perf_counter()
    f = jax.jit(lambda x, y: jnp.exp(-x * x) * jnp.sin(y) + 0.5 * x * y - jnp.tanh(x))
    f(np.ones(3), np.ones(3)).block_until_ready()
    print(json.dumps(time.perf_counter() - start))
""")


def _fresh(args: list[str], env: dict[str, str]) -> float | None:
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-c", *args], capture_output=True, text=True,
                          env=dict(base, **env), timeout=600)
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return float(done.stdout.strip().splitlines()[-1])


def compile_section(with_pytensor_mlp: bool) -> str:
    """Cold: an empty compile cache. Python's own bytecode is cached beforehand (one priming
    run, bytecode under a temporary PYTHONPYCACHEPREFIX) as it is after an install: with
    PYTHONDONTWRITEBYTECODE set, every fresh process recompiled nbgraph's sources (25 ms)."""
    with tempfile.TemporaryDirectory() as pycache:
        return _compile_rows(with_pytensor_mlp, pycache)


def _compile_rows(with_pytensor_mlp: bool, pycache: str) -> str:
    rows = []
    for graph in ("elemwise", "mlp"):
        cold: dict[str, float | None] = {}
        warm: dict[str, float | None] = {}
        systems = ["nbgraph"] + (["pytensor"] if optional("pytensor") is not None
                                 and (graph == "elemwise" or with_pytensor_mlp) else [])
        for which in systems:
            args = [COMPILE_SCRIPT, which, graph, MLP_NBGRAPH if which == "nbgraph"
                    else MLP_PYTENSOR]
            with tempfile.TemporaryDirectory() as prime:
                _fresh(args, {"NBGRAPH_FLAGS": f"compiledir={prime}", "PYTENSOR_FLAGS":
                              f"compiledir={prime}", "PYTHONPYCACHEPREFIX": pycache})
            with tempfile.TemporaryDirectory() as tmp:
                env = {"NBGRAPH_FLAGS": f"compiledir={tmp}",
                       "PYTENSOR_FLAGS": f"compiledir={tmp}", "PYTHONPYCACHEPREFIX": pycache}
                label = "nbgraph" if which == "nbgraph" else "PyTensor C"
                cold[label] = _fresh(args, env)
                warm[label] = _fresh(args, env)
        if graph == "elemwise" and optional("jax") is not None:
            _fresh([JAX_COMPILE], {"PYTHONPYCACHEPREFIX": pycache})
            cold["JAX jit"] = warm["JAX jit"] = _fresh([JAX_COMPILE],
                                                       {"PYTHONPYCACHEPREFIX": pycache})
        rows.append((f"{graph}: cold (fresh process, empty cache)", cold))
        rows.append((f"{graph}: warm (fresh process, cached)", warm))
    for _, times in rows:
        for name in ("nbgraph", "PyTensor C", "JAX jit"):
            times.setdefault(name, None)
    return table("Compile latency (fresh subprocess; import excluded)", rows, "nbgraph")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip N=1e7")
    parser.add_argument("--models", action="store_true",
                        help="only the model training steps (LSTM, LeNet, RBM)")
    parser.add_argument("--pytensor-mlp-compile", action="store_true",
                        help="also time PyTensor's cold MLP compile (tens of seconds)")
    args = parser.parse_args(argv)
    sizes = [10**3, 10**5] + ([] if args.quick else [10**7])
    start = time.perf_counter()
    import nbgraph
    import_time = time.perf_counter() - start
    from nbgraph.link.c_linker import thread_count
    print(f"# nbgraph {nbgraph.__version__} benchmarks: {os.uname().machine}, "
          f"{len(os.sched_getaffinity(0))} cores, nbgraph threads {thread_count()}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"NumPy {np.__version__}; import nbgraph {import_time * 1e3:.0f} ms "
          f"(in-process, after NumPy)\n")
    from benchmarks.bench_jax import jax_section  # the JAX linker's rows (bench_jax.py)

    from .bench_models import models_section  # it imports this module's helpers
    sections = [lambda: fused_section(sizes), overhead_section, mlp_section, grad_section,
                models_section, lambda: jax_section(args.quick),
                lambda: compile_section(args.pytensor_mlp_compile)]
    for section in [models_section] if args.models else sections:
        print(section() + "\n", flush=True)
    print(json.dumps({"wall_seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
