"""Rewrite-pipeline timings: unrolled MLPs forward + grad (50 layers; 86 layers, about 2,000
Apply nodes), time per pass, and the cost of tracing on a 500-node graph.

Run: ``python benchmarks/bench_rewrite.py``. Prints tables; asserts nothing.
"""

from __future__ import annotations

import time

import nbgraph.tensor as T
from nbgraph.compile.function import function
from nbgraph.compile.mode import Mode
from nbgraph.core.fgraph import FunctionGraph
from nbgraph.core.gradient import grad
from nbgraph.core.shared import shared
from nbgraph.rewrite.pipeline import PIPELINE


def mlp(layers: int, width: int = 16) -> tuple[list, list]:
    """Inputs and [cost, grads] of a tanh MLP with ``layers`` unrolled layers."""
    import numpy as np
    rng = np.random.default_rng(0)
    x, target = T.dmatrix("x"), T.dmatrix("target")
    params = []
    h = x
    for k in range(layers):
        w = shared(rng.normal(scale=0.3, size=(width, width)), name=f"w{k}")
        b = shared(np.zeros(width), name=f"b{k}")
        params += [w, b]
        h = T.tanh(T.dot(h, w) + b)
    cost = T.mean((h - target) ** 2) + 1e-4 * sum(T.sum(w * w) for w in params[::2])
    return [x, target], [cost, *grad(cost, params)]


def best_of(repeat: int, fn) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pass_table(layers: int) -> None:
    inputs, outputs = mlp(layers)
    fgraph = FunctionGraph(inputs + [v for v in _shared(outputs)], outputs)
    nodes = len(fgraph.apply_nodes)
    start = time.perf_counter()
    trace = PIPELINE.apply(fgraph)
    total = time.perf_counter() - start
    print(f"\n{layers}-layer MLP forward + grad: {nodes} nodes -> "
          f"{len(fgraph.apply_nodes)} after rewriting, {total:.3f} s in all")
    print(f"{'pass':<16}{'seconds':>10}{'events':>9}{'records after':>15}")
    for record in trace.passes:
        print(f"{record.name:<16}{record.seconds:>10.4f}{len(record.events):>9}"
              f"{len(record.after.nodes):>15}")


def _shared(outputs: list) -> list:
    from nbgraph.core.graph import graph_inputs
    from nbgraph.core.shared import SharedVariable
    return [v for v in graph_inputs(outputs) if isinstance(v, SharedVariable)]


def tracing_cost(layers: int) -> None:
    inputs, outputs = mlp(layers)
    all_inputs = inputs + _shared(outputs)
    nodes = len(FunctionGraph(all_inputs, outputs).apply_nodes)

    def rewrite(trace: bool) -> None:
        PIPELINE.apply(FunctionGraph(all_inputs, outputs), trace=trace)

    with_trace = best_of(5, lambda: rewrite(True))
    without = best_of(5, lambda: rewrite(False))
    # the Python linker: C kernels' compile (cached on disk) would hide the rewrite cost
    compile_time = best_of(3, lambda: function(inputs, outputs, mode=Mode("py", "fast_run")))
    cost = with_trace - without
    print(f"\ntracing on a {nodes}-node graph: rewrite {with_trace:.4f} s traced, "
          f"{without:.4f} s untraced; tracing costs {cost * 1e3:.1f} ms = "
          f"{100 * cost / compile_time:.1f}% of the {compile_time:.3f} s compile")


if __name__ == "__main__":
    pass_table(50)
    pass_table(86)      # about 2,000 Apply nodes
    tracing_cost(21)    # about 500 Apply nodes
