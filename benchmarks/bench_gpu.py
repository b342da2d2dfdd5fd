"""GPU section of the benchmarks: the fused expression at N = 1e6 and 1e8 (float32/float64)
against the device's copy bandwidth, CuPy (ElementwiseKernel and plain expressions), JAX and
PyTorch (eager, torch.compile) where installed, and an MLP training step.

Runs only with CuPy and a CUDA GPU; otherwise prints one line saying why and exits 0.
    python benchmarks/bench_gpu.py [--sizes 1e6,1e8] [--repeat 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import nbgraph
import nbgraph.tensor as T
from nbgraph.compile.function import Out
from nbgraph.gpu import device_name, has_cuda


def timed(fn: Callable[[], Any], sync: Callable[[], None], repeat: int) -> float:
    """Best-of-``repeat`` seconds per call, synchronizing the device around each call."""
    fn()
    sync()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best


def fused_rows(n: int, dtype: str, repeat: int) -> list[tuple[str, float]]:
    import cupy
    sync = cupy.cuda.Device().synchronize
    rng = cupy.random.default_rng(0)
    a, b = rng.standard_normal(n, dtype=dtype), rng.standard_normal(n, dtype=dtype)
    bytes_moved = 3 * n * np.dtype(dtype).itemsize        # two reads and one write
    rows = [("device copy (floor)", timed(lambda: cupy.copyto(cupy.empty_like(a), a), sync,
                                           repeat) * 1.5)]
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    expr = T.exp(-x * x) * T.sin(y) + 0.5 * x * y - T.tanh(x)
    f = nbgraph.function([x, y], Out(expr, borrow=True), mode="GPU")
    f.trust_input = True                                  # device arrays go straight in
    rows.append(("nbgraph GPU", timed(lambda: f(a, b), sync, repeat)))
    kern = cupy.ElementwiseKernel("T x, T y", "T z",
                                  "z = exp(-x * x) * sin(y) + (T)0.5 * x * y - tanh(x)", "bench")
    rows.append(("cupy.ElementwiseKernel", timed(lambda: kern(a, b), sync, repeat)))
    rows.append(("cupy expression", timed(
        lambda: cupy.exp(-a * a) * cupy.sin(b) + 0.5 * a * b - cupy.tanh(a), sync, repeat)))
    if importlib.util.find_spec("jax") is not None:
        import jax
        import jax.numpy as jnp
        if any(d.platform == "gpu" for d in jax.devices()):
            ja, jb = jax.device_put(a.get()), jax.device_put(b.get())
            jf = jax.jit(lambda p, q: jnp.exp(-p * p) * jnp.sin(q) + 0.5 * p * q - jnp.tanh(p))
            rows.append(("JAX jit", timed(lambda: jf(ja, jb).block_until_ready(), sync,
                                          repeat)))
    if importlib.util.find_spec("torch") is not None:
        import torch
        if torch.cuda.is_available():
            ta, tb = torch.as_tensor(a, device="cuda"), torch.as_tensor(b, device="cuda")

            def eager(p: Any, q: Any) -> Any:
                return torch.exp(-p * p) * torch.sin(q) + 0.5 * p * q - torch.tanh(p)

            tsync = torch.cuda.synchronize
            rows.append(("torch eager", timed(lambda: eager(ta, tb), tsync, repeat)))
            compiled = torch.compile(eager)
            rows.append(("torch.compile", timed(lambda: compiled(ta, tb), tsync, repeat)))
    floor = rows[0][1]
    print(f"\nfused expression, N={n:.0e}, {dtype} ({bytes_moved / 1e6:.0f} MB moved)")
    print(f"{'':28s}{'ms':>10s}{'x floor':>10s}{'GB/s':>10s}")
    for name, seconds in rows:
        print(f"{name:28s}{seconds * 1e3:10.3f}{seconds / floor:10.2f}"
              f"{bytes_moved / seconds / 1e9:10.1f}")
    return rows


def mlp_rows(dtype: str, repeat: int) -> None:
    import cupy
    sync = cupy.cuda.Device().synchronize
    rng = np.random.default_rng(0)
    batch, n_in, hidden, n_out = 512, 784, 1024, 10
    xs = rng.standard_normal((batch, n_in)).astype(dtype)
    ys = rng.standard_normal((batch, n_out)).astype(dtype)
    w = nbgraph.shared(rng.standard_normal((n_in, hidden)).astype(dtype) * 0.01, device="cuda")
    v = nbgraph.shared(rng.standard_normal((hidden, n_out)).astype(dtype) * 0.01, device="cuda")
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    cost = T.mean((T.dot(T.tanh(T.dot(x, w)), v) - y) ** 2)
    gw, gv = nbgraph.grad(cost, [w, v])
    lr = np.asarray(0.01, dtype)
    step = nbgraph.function([x, y], Out(cost, borrow=True),
                            updates=[(w, w - lr * gw), (v, v - lr * gv)], mode="GPU")
    step.trust_input = True
    dx, dy = cupy.asarray(xs), cupy.asarray(ys)
    print(f"\nMLP step {n_in}-{hidden}-{n_out}, batch {batch}, {dtype}")
    print(f"{'nbgraph GPU':28s}{timed(lambda: step(dx, dy), sync, repeat) * 1e3:10.3f} ms")
    if importlib.util.find_spec("jax") is not None:
        import jax
        import jax.numpy as jnp
        if any(d.platform == "gpu" for d in jax.devices()):
            params = (jnp.asarray(w.get_value()), jnp.asarray(v.get_value()))

            def loss(p: Any, a: Any, b: Any) -> Any:
                return jnp.mean((jnp.tanh(a @ p[0]) @ p[1] - b) ** 2)

            @jax.jit
            def jstep(p: Any, a: Any, b: Any) -> Any:
                g = jax.grad(loss)(p, a, b)
                return tuple(q - 0.01 * gq for q, gq in zip(p, g, strict=True))

            ja, jb = jnp.asarray(xs), jnp.asarray(ys)
            state = [params]

            def run() -> None:
                state[0] = jstep(state[0], ja, jb)
                state[0][0].block_until_ready()

            print(f"{'JAX jit':28s}{timed(run, sync, repeat) * 1e3:10.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1e6,1e8")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not has_cuda():
        print("bench_gpu: skipped (no GPU: CuPy or a CUDA device is missing)")
        return
    print(f"GPU: {device_name()}")
    for n in (int(float(s)) for s in args.sizes.split(",")):
        for dtype in ("float32", "float64"):
            fused_rows(n, dtype, args.repeat)
    for dtype in ("float32", "float64"):
        mlp_rows(dtype, args.repeat)


if __name__ == "__main__":
    main()
