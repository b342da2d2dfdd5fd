"""JAX translations of the ops that run inner graphs: Scan -> ``lax.scan``, IfElse ->
``lax.cond``, OpFromGraph -> its graph inlined. ``control_translations(run)`` binds them to
the evaluator of inner graphs. (Random draws: jax_random.py.)

Imported only by the JAX linker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jax import lax

from ..core.graph import Apply, Variable
from ..ops.control import IfElse
from ..ops.opfromgraph import OpFromGraph
from ..ops.scan.info import seq_span, window
from ..ops.scan.op import Scan
from .jax_math import StaticValueError, Translation, is_concrete, static, without_reverses

# evaluates an inner graph: (inner inputs, inner outputs, their values) -> output values
RunGraph = Callable[[Sequence[Variable], Sequence[Variable], Sequence[Any]], list[Any]]


# -- scan --------------------------------------------------------------------------------
def _scan(run: RunGraph, node: Apply, n_steps: Any, *outer: Any) -> tuple:
    """The loop as ``lax.scan``: sequence taps are pre-sliced stacks, each recurrence carries
    its window of past steps (tap ``k`` reads ``window[size + k]``)."""
    op: Scan = node.op
    info = op.info
    if info.until:  # the number of steps, so the stacks' length, is known only at run time
        raise StaticValueError(
            f"JAX linker: {op} (node {node.uid}) stops on scan_module.until, so its outputs' "
            f"length is computed at run time, but XLA needs static shapes; compile this "
            f"function with another linker")
    _, seqs, inits, nonseqs = op.split_outer([n_steps, *outer])
    if info.go_backwards:
        seqs = [without_reverses(s, (slice(None, None, -1),))[0] for s in seqs]
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

    last, stacked = lax.scan(step, carry, xs, length=n)
    # a last_only output (a gradient accumulator) is its last value only: the final window's
    # last row, which is the initial window's last when there are no steps
    return tuple(last[k][-1:] if k in info.last_only else out
                 for k, out in enumerate(stacked))


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


# -- OpFromGraph -------------------------------------------------------------------------
def _op_from_graph(run: RunGraph, node: Apply, *outer: Any) -> tuple:
    """The inner graph inlined into the traced program (XLA fuses across it)."""
    op: OpFromGraph = node.op
    dtypes = [o.dtype for o in node.outputs]
    results = run(op.inner_inputs, op.outputs, list(outer))
    return tuple(jnp.asarray(v).astype(d) for v, d in zip(results, dtypes, strict=True))


def control_translations(run: RunGraph) -> dict[type, Translation]:
    """Scan, IfElse and OpFromGraph translations; ``run`` evaluates inner graphs."""
    return {
        Scan: lambda node, *args: _scan(run, node, *args),
        IfElse: lambda node, *args: _ifelse(run, node, *args),
        OpFromGraph: lambda node, *args: _op_from_graph(run, node, *args),
    }
