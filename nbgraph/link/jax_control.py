"""JAX translations of the ops that run inner graphs or carry state: Scan -> ``lax.scan``,
IfElse -> ``lax.cond``, RandomVariable -> ``jax.random`` with the key kept in the stream's
state vector. ``control_translations(run)`` binds them to the evaluator of inner graphs.

Imported only by the JAX linker. JAX draws from its own generator (threefry), so samples
differ from the Python and C linkers' PCG64 streams; their distributions are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core.graph import Apply, Variable
from ..ops.control import IfElse
from ..ops.random import RandomVariable
from ..ops.scan.info import seq_span, window
from ..ops.scan.op import Scan
from .jax_math import Translation, is_concrete, static, static_ints

# evaluates an inner graph: (inner inputs, inner outputs, their values) -> output values
RunGraph = Callable[[Sequence[Variable], Sequence[Variable], Sequence[Any]], list[Any]]


# -- scan --------------------------------------------------------------------------------
def _scan(run: RunGraph, node: Apply, n_steps: Any, *outer: Any) -> tuple:
    """The loop as ``lax.scan``: sequence taps are pre-sliced stacks, each recurrence carries
    its window of past steps (tap ``k`` reads ``window[size + k]``)."""
    op: Scan = node.op
    info = op.info
    _, seqs, inits, nonseqs = op.split_outer([n_steps, *outer])
    if info.go_backwards:
        seqs = [s[::-1] for s in seqs]
    n = op.n_steps_of(node, int(static(node, n_steps, "n_steps")), seqs)
    xs = [s[k - lo:k - lo + n] for s, taps, (lo, _) in
          zip(seqs, info.seq_taps, map(seq_span, info.seq_taps), strict=True) for k in taps]
    sizes = [window(taps) for taps in info.rec_taps]
    for k, (init, size) in enumerate(zip(inits, sizes, strict=True)):
        if len(init) < size:
            raise ValueError(f"{op} (node {node.uid}): initial state {k} has {len(init)} "
                             f"steps, taps {info.rec_taps[k]} need {size}")
    carry = [jnp.asarray(init[:size]).astype(node.outputs[k].dtype)
             for k, (init, size) in enumerate(zip(inits, sizes, strict=True))]
    out_dtypes = [o.dtype for o in node.outputs]

    def step(windows: list[Any], x_t: list[Any]) -> tuple[list[Any], list[Any]]:
        args = list(x_t)
        for buf, taps, size in zip(windows, info.rec_taps, sizes, strict=True):
            args.extend(buf[size + k] for k in taps)
        args.extend(nonseqs)
        outs = [jnp.asarray(v).astype(d) for v, d in
                zip(run(op.inner_inputs, op.inner_outputs, args), out_dtypes, strict=True)]
        slid = [jnp.concatenate([buf[1:], out[None]]) for buf, out
                in zip(windows, outs[:info.n_recs], strict=True)]
        return slid, outs

    _, stacked = lax.scan(step, carry, xs, length=n)
    return tuple(stacked)


# -- ifelse ------------------------------------------------------------------------------
def _ifelse(run: RunGraph, node: Apply, condition: Any, *outer: Any) -> tuple:
    op: IfElse = node.op
    dtypes = [o.dtype for o in node.outputs]

    def branch(outputs: Sequence[Variable]) -> Callable[[tuple], tuple]:
        def compute(values: tuple) -> tuple:
            results = run(op.inner_inputs, outputs, list(values))
            return tuple(jnp.asarray(v).astype(d) for v, d in zip(results, dtypes, strict=True))
        return compute

    if is_concrete(condition):  # known while tracing: only the taken side is built
        return branch(op.then_outputs if bool(np.asarray(condition)) else op.else_outputs)(
            outer)
    try:
        return tuple(lax.cond(condition != 0, branch(op.then_outputs), branch(op.else_outputs),
                              tuple(outer)))
    except TypeError as err:  # lax.cond needs both sides to have one shape
        raise TypeError(f"JAX linker: the branches of {op} (node {node.uid}) give values of "
                        f"different shapes or dtypes, which lax.cond cannot select between: "
                        f"{err}") from None


# -- random draws ------------------------------------------------------------------------
# The state is the stream's uint64 vector; word 1 holds the JAX key's two 32-bit halves.
# Each draw splits the key: one half draws, the other is stored back for the next call.
def _key_of(state: Any) -> Any:
    word = state[1]
    halves = jnp.stack([(word >> 32).astype("uint32"), (word & 0xFFFFFFFF).astype("uint32")])
    return jax.random.wrap_key_data(halves)


def _state_with(state: Any, key: Any) -> Any:
    halves = jax.random.key_data(key).astype("uint64")
    return state.at[1].set((halves[0] << 32) | halves[1])


def _float(dtype: str) -> str:
    return dtype if np.dtype(dtype).kind == "f" else "float64"


def _choice(key: Any, shape: tuple, op: RandomVariable, node: Apply, a: Any,
            p: Any = None) -> Any:
    population = int(static(node, a, "choice's population size")) if np.ndim(a) == 0 else a
    return jax.random.choice(key, population, shape, replace=op.replace, p=p)


def _permutation(key: Any, shape: tuple, op: RandomVariable, node: Apply, n: Any) -> Any:
    # one independent shuffle of range(n) per row: argsort of uniform keys
    count = int(static(node, n, "the permutation length"))
    return jnp.argsort(jax.random.uniform(key, (*shape[:-1], count)), axis=-1)


def _multinomial(key: Any, shape: tuple, op: RandomVariable, node: Apply, n: Any,
                 pvals: Any) -> Any:
    return jax.random.multinomial(key, n, pvals, shape=shape)


# dist -> (key, sample shape, op, node, *params) -> sample
DRAWS: dict[str, Callable[..., Any]] = {
    "uniform": lambda key, shape, op, node, low, high: jax.random.uniform(
        key, shape, _float(op.dtype), low, high),
    "normal": lambda key, shape, op, node, avg, std: avg + std * jax.random.normal(
        key, shape, _float(op.dtype)),
    # MRG's truncate=True: within two standard deviations
    "truncated_normal": lambda key, shape, op, node, avg, std: avg + std * (
        jax.random.truncated_normal(key, -2.0, 2.0, shape, _float(op.dtype))),
    "binomial": lambda key, shape, op, node, n, p: jax.random.binomial(
        key, jnp.asarray(n, "float64"), jnp.asarray(p, "float64"), shape),
    "random_integers": lambda key, shape, op, node, low, high: jax.random.randint(
        key, shape, low, high + 1, op.dtype),
    "choice": _choice,
    "permutation": _permutation,
    "multinomial": _multinomial,
}


def _sample_shape(node: Apply, size: Any, params: tuple) -> tuple[int, ...]:
    op: RandomVariable = node.op
    if op.has_size:
        shape = static_ints(node, size, "the sample size")
        if len(shape) == op.ndim - 1:  # permutation and multinomial add the items' axis
            count = np.shape(params[-1])[-1] if op.dist == "multinomial" else \
                int(static(node, params[0], "the permutation length"))
            shape = (*shape, int(count))
        return shape
    if op.dist == "multinomial":
        return tuple(np.shape(params[-1]))
    return tuple(np.broadcast_shapes(*[np.shape(p) for p in params]))


def _random(node: Apply, state: Any, size: Any, *params: Any) -> tuple:
    op: RandomVariable = node.op
    state = jnp.asarray(state)
    next_key, draw_key = jax.random.split(_key_of(state))
    shape = _sample_shape(node, size, params)
    sample = DRAWS[op.dist](draw_key, shape, op, node, *params)
    return _state_with(state, next_key), jnp.asarray(sample).astype(op.dtype)


def control_translations(run: RunGraph) -> dict[type, Translation]:
    """Scan, IfElse and RandomVariable translations; ``run`` evaluates inner graphs."""
    return {
        Scan: lambda node, *args: _scan(run, node, *args),
        IfElse: lambda node, *args: _ifelse(run, node, *args),
        RandomVariable: _random,
    }
