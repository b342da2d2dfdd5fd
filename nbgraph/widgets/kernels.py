"""What really runs: a compiled function's graph as its linker built it, one box per kernel.

Fusion happens twice. The rewrite pass ``fusion`` makes ``Elemwise{Composite{...}}`` loops (a
node of the optimized graph already); the kernel linkers then fold a reduction's elementwise
prologue into the reduction's own kernel (``codegen.plan``). The second fusion leaves the
graph alone, so the views read it from the function's VM (a fused prologue's thunk is
``link.kernel_linker.fused_prologue``) and show it as a trace step of its own (``link_pass``),
as one box, and as one Profile row.

After a call, every record's type reads the concrete shapes its cells hold
(``float64[64,20]``), as jaxprs show them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from typing import Any

import numpy as np

from ..core.graph import Apply
from ..core.records import Snapshot
from ..link.kernel_linker import fused_prologue
from ..ops.elemwise import CAReduce, Elemwise
from ..rewrite.trace import PassRecord, Trace, fused_pass, snapshot

LINK_PASS = "link: fuse prologues into reductions"
LINK_RULE = "link/fuse_prologue_into_reduction"


def fused_groups(fn: Any) -> dict[Apply, tuple[Apply, ...]]:
    """Reduction node -> (its fused prologue, the reduction), for each reduction whose kernel
    computes its elementwise prologue while it reduces."""
    vm = getattr(fn, "vm", None)
    if vm is None:
        return {}
    groups: dict[Apply, tuple[Apply, ...]] = {}
    reading = [(node, thunk) for node, thunk in zip(vm.nodes, vm.thunks, strict=True)
               if hasattr(thunk, "reads")]  # a reduction that reads its prologue's inputs
    for pro, thunk in zip(vm.nodes, vm.thunks, strict=True):
        if thunk is not fused_prologue:
            continue
        for node, _ in reading:
            if any(out in node.inputs for out in pro.outputs):
                groups[node] = (pro, node)
                break
    return groups


def kernel_choices(fn: Any) -> list[tuple[str, int]]:
    """(``#12 Kernel{softplus → Sum}``, 12) per fused kernel, in run order: what the Graph
    view offers to open one at a time."""
    return [(f"#{red.uid} {kernel_label(members)}", red.uid)
            for red, members in fused_groups(fn).items()]


def scalar_ops(node: Apply) -> list[str]:
    """The scalar operations a kernel node computes, in order: ``['exp', 'mul']`` for
    ``Elemwise{Composite{(exp(i0) * i1)}}``, ``['Sum']`` for a sum."""
    op = node.op
    if isinstance(op, Elemwise):
        steps = getattr(op.scalar_op, "steps", None)
        if steps is None:
            return [op.scalar_op.name]
        return [step.spec.name for step in steps if step.spec is not None]
    if isinstance(op, CAReduce):
        return [str(op).split("{", 1)[0]]
    return [str(op)]


def kernel_label(nodes: tuple[Apply, ...]) -> str:
    """``Kernel{softplus → Sum}``: what one compiled kernel computes, in order."""
    ops = [name for node in nodes for name in scalar_ops(node)]
    return "Kernel{" + " → ".join(ops) + "}"


def fused_loop_labels(fn: Any) -> dict[int, str]:
    """A short label per fused loop (``Elemwise{Composite{...}}``) that lists its ops in
    order, ``Composite{exp → mul}``: the whole expression is in the Code tab, and a long one
    would widen the drawing. (A reduction with its prologue is ``link_pass``'s ``Kernel``.)"""
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    fused = {node.uid for members in fused_groups(fn).values() for node in members}
    return {node.uid: "Composite{" + " → ".join(scalar_ops(node)) + "}"
            for node in (fgraph.toposort() if fgraph is not None else ())
            if node.uid not in fused and isinstance(node.op, Elemwise)
            and getattr(node.op.scalar_op, "steps", None)}


def link_pass(fn: Any, opened: Collection[int] = ()) -> PassRecord | None:
    """The trace step for the fusion the linker did (None when it fused nothing); the
    kernels whose reduction's uid is in ``opened`` are left out (drawn as their nodes)."""
    groups = {red: members for red, members in fused_groups(fn).items()
              if red.uid not in opened}
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    if not groups or fgraph is None:
        return None
    uids = {red.uid: tuple(n.uid for n in members) for red, members in groups.items()}
    labels = {red.uid: kernel_label(members) for red, members in groups.items()}
    return fused_pass(LINK_PASS, snapshot(fgraph), uids, labels, LINK_RULE)


def full_trace(fn: Any) -> Trace | None:
    """``fn.trace`` with the linker's fusion appended as its last step."""
    trace = getattr(fn, "trace", None)
    step = link_pass(fn)
    if step is None:
        return trace
    return Trace((trace.passes if trace is not None else ()) + (step,))


def _value_type(value: Any) -> str | None:
    if not isinstance(value, (np.ndarray, np.generic)):
        return None
    return f"{value.dtype}[{','.join(str(d) for d in np.shape(value))}]"


def concrete_types(fn: Any) -> dict[int, str]:
    """Record uid -> ``dtype[d0,d1]`` of what its cells held after the last call (only the
    records whose every output holds an array)."""
    storage = getattr(fn, "storage_map", None)
    fgraph = getattr(getattr(fn, "maker", None), "fgraph", None)
    if storage is None or fgraph is None:
        return {}
    found = {}
    for var in fgraph.inputs:
        text = _value_type(storage.get(var, [None])[0])
        if text is not None:
            found[var.uid] = text
    for node in fgraph.toposort():
        texts = [_value_type(storage.get(out, [None])[0]) for out in node.outputs]
        if all(t is not None for t in texts):
            found[node.uid] = ", ".join(t for t in texts if t is not None)
        for var in node.inputs:
            text = _value_type(storage.get(var, [None])[0]) if var.owner is None else None
            if text is not None:
                found[var.uid] = text
    return found


def running_snapshot(fn: Any, kernels: bool = True, opened: Collection[int] = ()) -> Snapshot:
    """The graph that runs: kernels as the linker built them (fused loops labelled by their
    ops; ``kernels=False`` opens each kernel into its nodes, ``opened`` those whose
    reduction has one of its uids), concrete types after a call."""
    step = link_pass(fn, opened) if kernels else None
    snap = step.after if step is not None else snapshot(fn.maker.fgraph)
    types, labels = concrete_types(fn), fused_loop_labels(fn)
    nodes = tuple(replace(rec, type=types.get(rec.uid, rec.type),
                          label=labels.get(rec.uid, rec.label)) for rec in snap.nodes)
    return Snapshot(nodes, snap.outputs)
