"""Slices whose bounds are computed at run time but whose length is known while tracing:
the tutorials' minibatch ``data[i * bs:(i + 1) * bs]``. XLA needs static shapes, so such a
slice becomes ``lax.dynamic_slice`` of the static length.

``slice_length`` finds the length by writing both bounds as integer affine forms of the same
leaves (``i * 3`` and ``(i + 1) * 3``: stop - start = 3). The run-time check in jax_math
(``_windows``) then makes sure the slice is exactly NumPy's: dynamic_slice would shift a
start past the end back in, where NumPy gives a shorter slice.

Imported only by the JAX linker.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.graph import Constant, Variable
from ..ops.composite import Composite
from ..ops.elemwise import Elemwise

# an integer affine form: {id(leaf): coefficient}, the constant term under None
Form = dict[int | None, int]

_DEPTH = 64  # bounds are short integer expressions; deeper graphs are treated as leaves


def _leaf(var: Variable) -> Form:
    return {id(var): 1}


def _sum(forms: list[Form], signs: list[int]) -> Form:
    out: Form = {}
    for form, sign in zip(forms, signs, strict=True):
        for key, coef in form.items():
            out[key] = out.get(key, 0) + sign * coef
    return {k: c for k, c in out.items() if c != 0}


def _combine(name: str, forms: list[Form | None]) -> Form | None:
    """The form of a scalar op applied to affine forms, or None when it is not affine."""
    if any(f is None for f in forms):
        return None
    args: list[Form] = [f for f in forms if f is not None]
    if name == "add":
        return _sum(args, [1] * len(args))
    if name == "sub":
        return _sum(args, [1, -1])
    if name == "neg":
        return _sum(args, [-1])
    if name == "identity" or (name.startswith("Cast{") and "int" in name):
        return args[0]  # a wrapping cast is caught by the run-time check of the length
    if name == "mul":
        varying = [f for f in args if set(f) - {None}]
        if len(varying) > 1:
            return None
        scale = int(np.prod([f.get(None, 0) for f in args if f not in varying], dtype=object))
        base = varying[0] if varying else {None: 1}
        return {k: c * scale for k, c in base.items() if c * scale != 0}
    return None


def _composite(op: Composite, inputs: list[Form]) -> list[Form | None]:
    values: list[Form | None] = list(inputs)
    for step in op.steps:
        if step.spec is None:
            value = np.asarray(step.value)
            values.append({None: int(value)} if value.dtype.kind in "iub" else None)
        else:
            values.append(_combine(step.spec.name, [values[a] for a in step.args]))
    return [values[o] for o in op.outputs]


def affine(var: Variable, depth: int = 0) -> Form:
    """``var`` (an integer scalar) as an affine form; anything else is a leaf of its own."""
    if isinstance(var, Constant):
        data = np.asarray(var.data)
        if data.ndim == 0 and data.dtype.kind in "iub":
            return {None: int(data)} if int(data) else {}
        return _leaf(var)
    node = var.owner
    if node is None or depth > _DEPTH or not isinstance(node.op, Elemwise) \
            or getattr(var, "ndim", None) != 0:
        return _leaf(var)
    forms = [affine(i, depth + 1) for i in node.inputs]
    sop = node.op.scalar_op
    if isinstance(sop, Composite):
        found = _composite(sop, forms)[node.outputs.index(var)]
    else:
        found = _combine(getattr(sop, "name", ""), list(forms))
    return _leaf(var) if found is None else found


def slice_length(start: Variable, stop: Variable) -> int | None:
    """``stop - start`` when it is the same number for every value of the leaves."""
    diff = _sum([affine(stop), affine(start)], [1, -1])
    if set(diff) - {None}:
        return None
    return diff.get(None, 0)


def window_bounds(shape: tuple[int, ...], windows: dict[int, tuple[Any, int]]
                  ) -> tuple[list[Any], list[int]]:
    """The start indices and sizes of ``lax.dynamic_slice`` for ``windows``
    ({axis: (start, length)}): the whole of every other axis."""
    starts = [windows[a][0] if a in windows else 0 for a in range(len(shape))]
    sizes = [windows[a][1] if a in windows else n for a, n in enumerate(shape)]
    return starts, sizes
