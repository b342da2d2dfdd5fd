"""JAX translations of the random ops: RandomStreams' RandomVariable and MRG_RandomStreams'
ops (MRGUniform, MultinomialFromUniform, ChoiceFromUniform).

Each runs the op's own NumPy ``perform`` on the host through ``jax.pure_callback``, with the
stream's state as an ordinary input and its advanced state as an output. Why not
``jax.random``: the state is a NumPy ``RandomState`` (627 packed words) or MRG31k3p's int32
rows, and a seed must give the same numbers on every linker (Theano's seeding, Theano's MRG
samples); only the host generators do that. The cost: one host round trip per draw on an
accelerator, and XLA cannot fuse through a draw. The sample's shape must be known while
tracing (``static``).

Imported only by the JAX linker.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..core.graph import Apply
from ..ops.random import RandomVariable
from ..ops.rng_mrg import ChoiceFromUniform, MRGUniform, MultinomialFromUniform
from .jax_math import Translation, static, static_ints


def _on_host(node: Apply, shapes: list[tuple[int, ...]], args: list[Any]) -> tuple:
    """``node.op.perform`` on the host, its outputs of the given static shapes."""
    out_types = [jax.ShapeDtypeStruct(s, o.dtype) for s, o in zip(shapes, node.outputs,
                                                                   strict=True)]

    def host(*values: Any) -> tuple:
        cells: list[list[Any]] = [[None] for _ in node.outputs]
        node.op.perform(node, [np.asarray(v) for v in values], cells)
        return tuple(np.asarray(c[0], dtype=o.dtype) for c, o in zip(cells, node.outputs,
                                                                    strict=True))

    return tuple(jax.pure_callback(host, tuple(out_types), *args))


def _sample_shape(node: Apply, size: Any, params: tuple) -> tuple[int, ...]:
    """The shape ``RandomVariable.perform`` draws, worked out while tracing."""
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
    if op.dist == "permutation":
        return (int(static(node, params[0], "the permutation length")),)
    return tuple(np.broadcast_shapes(*[np.shape(p) for p in params]))


def _random(node: Apply, state: Any, size: Any, *params: Any) -> tuple:
    shape = _sample_shape(node, size, params)
    return _on_host(node, [tuple(jnp.shape(state)), shape], [state, size, *params])


def _mrg_uniform(node: Apply, rstate: Any, size: Any) -> tuple:
    shape = static_ints(node, size, "the sample size")
    return _on_host(node, [tuple(jnp.shape(rstate)), shape], [rstate, size])


def _multinomial(node: Apply, pvals: Any, unis: Any, n: Any) -> tuple:
    return _on_host(node, [tuple(jnp.shape(pvals))], [pvals, unis, n])


def _choice(node: Apply, pvals: Any, unis: Any, n: Any) -> tuple:
    picks = int(static(node, n, "the number of picks"))
    return _on_host(node, [(jnp.shape(pvals)[0], picks)], [pvals, unis, n])


RANDOM_TRANSLATIONS: dict[type, Translation] = {
    RandomVariable: _random,
    MRGUniform: _mrg_uniform,
    MultinomialFromUniform: _multinomial,
    ChoiceFromUniform: _choice,
}
