"""``fn.memory()``: what each node's output costs, and the peak of live memory in run order.

Read off the storage cells after a call, so sizes are the real ones. The VM keeps every
intermediate value between calls (buffers are reused, not reallocated), which is ``held``;
``peak`` is what the same run order needs at most if each value were freed after its last
reader: the cost reverse mode cannot avoid, since forward activations stay live until the
backward nodes that read them. A view or an in-place output shares its input's buffer and
costs nothing of its own, but keeps that buffer alive while it is; where the linker gave
it a buffer of its own after all (read off the values), it costs that buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.graph import Variable


@dataclass(frozen=True, slots=True)
class NodeMemory:
    """One node in run order: the bytes its outputs add, and what stays live once it ran
    (values it read for the last time freed)."""

    uid: int
    op: str
    nbytes: int
    live_after: int
    backward: bool = False     # made by ``grad`` (its tag names a forward node)


@dataclass(frozen=True, slots=True)
class Buffer:
    """One output that owns bytes: made by run step ``born``, live through step ``dies``
    (its last reader's, or the last step for a graph ``output``), read at steps ``readers``."""

    uid: int
    index: int
    op: str
    nbytes: int
    born: int
    dies: int
    readers: tuple[int, ...]
    output: bool


@dataclass(frozen=True)
class MemoryReport:
    """``nodes`` in run order; ``held`` (bytes the VM keeps), ``peak`` and the node
    ``peak_uid`` after which it is reached, with the uids whose values are live then."""

    nodes: tuple[NodeMemory, ...]
    held: int
    peak: int
    peak_uid: int | None
    live_at_peak: tuple[int, ...]
    inputs: int
    buffers: tuple[Buffer, ...] = ()   # each owned value's lifetime: the drawing's rows

    def by_uid(self) -> dict[int, int]:
        return {n.uid: n.nbytes for n in self.nodes}

    def summary(self, top: int = 10) -> str:
        lines = [f"inputs and shared variables: {format_bytes(self.inputs)}",
                 f"intermediate values the function keeps: {format_bytes(self.held)}",
                 f"peak live in run order (freeing after last use): {format_bytes(self.peak)}"
                 + (f", after node {self.peak_uid}" if self.peak_uid is not None else ""),
                 f"{'uid':>6}  {'bytes':>10}  {'live after':>10}  op"]
        for n in sorted(self.nodes, key=lambda n: -n.nbytes)[:top]:
            lines.append(f"{n.uid:>6}  {format_bytes(n.nbytes):>10}  "
                         f"{format_bytes(n.live_after):>10}  {n.op}")
        return "\n".join(lines)


def format_bytes(n: int) -> str:
    """``1.5 KiB``: bytes in B, KiB, MiB or GiB (one decimal past B)."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _nbytes(cell: Any) -> int:
    return int(getattr(cell[0], "nbytes", 0) or 0) if cell and cell[0] is not None else 0


def _shares(out: Any, read: Any) -> bool:
    """Whether an output the op declares a view or in-place result of ``read`` really lives
    in its buffer: a linker may give it its own (the C linker computes an in-place
    elementwise or Gemm over an intermediate into a buffer it reuses every call, so that the
    producer keeps reusing its own). Values other than NumPy arrays are taken at the op's
    word."""
    a, b = (c[0] if c else None for c in (out, read))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return bool(np.may_share_memory(a, b))
    return True


def value_bytes(fn: Any) -> dict[int, int]:
    """Node uid -> bytes its outputs' values take after the last call, views and in-place
    outputs included (``memory`` counts those as owning nothing: their buffer is another's)."""
    storage = fn.storage_map
    return {node.uid: sum(_nbytes(storage.get(out)) for out in node.outputs)
            for node in fn.vm.nodes}


def memory(fn: Any) -> MemoryReport:
    """The memory report of ``fn`` (a compiled Function), from its last call's values."""
    nodes = fn.vm.nodes
    storage = fn.storage_map
    fgraph = fn.maker.fgraph
    if nodes and all(storage[out][0] is None for node in nodes for out in node.outputs):
        raise RuntimeError("memory(): call the function once first (sizes are read from "
                           "the values of its last call)")
    last_use: dict[Variable, int] = {}
    readers: dict[Variable, list[int]] = {}
    for i, node in enumerate(nodes):
        for var in node.inputs:
            last_use[var] = i
            readers.setdefault(var, []).append(i)
    keep = set(fgraph.outputs) | set(fgraph.inputs)
    own: dict[Variable, int] = {}          # bytes a node's output owns (views own none)
    base: dict[Variable, Variable] = {}    # the variable whose buffer a value lives in
    for node in nodes:
        aliases = dict(getattr(node.op, "view_map", {}) or {}) | \
            dict(getattr(node.op, "destroy_map", {}) or {})
        for k, out in enumerate(node.outputs):
            source = aliases.get(k)
            read = node.inputs[source[0]] if source else None
            if read is not None and _shares(storage.get(out), storage.get(read)):
                # a view or an in-place output lives in its input's buffer
                own[out], base[out] = 0, base.get(read, read)
            else:
                own[out], base[out] = _nbytes(storage.get(out)), out
    live = 0
    peak, peak_uid = 0, None
    at_peak: tuple[int, ...] = ()
    holding: dict[Variable, set[Variable]] = {}  # buffer -> its live values (aliases too)
    records = []

    def release(var: Variable) -> int:
        """Bytes freed when ``var`` dies: its buffer's, once no alias of it is alive."""
        buffer = base.get(var, var)
        holders = holding.get(buffer)
        if holders is None or var not in holders or buffer in keep:
            return 0
        holders.discard(var)
        if holders:
            return 0
        del holding[buffer]
        return own.get(buffer, 0)

    for i, node in enumerate(nodes):
        added = sum(own[out] for out in node.outputs)
        for out in node.outputs:
            holding.setdefault(base[out], set()).add(out)
        live += added
        if live > peak:
            peak, peak_uid = live, node.uid
            at_peak = tuple(dict.fromkeys(v.owner.uid for v in holding
                                          if v.owner is not None and own.get(v)))
        for var in node.inputs:
            if last_use.get(var) == i and var not in keep:
                live -= release(var)
        for out in node.outputs:          # an output nobody reads dies at once
            if out not in last_use and out not in keep:
                live -= release(out)
        records.append(NodeMemory(node.uid, str(node.op), added, live,
                                  getattr(node.tag, "grad_of", None) is not None))
    inputs = sum(_nbytes(storage.get(v)) for v in fgraph.inputs)
    # a buffer lives until the last reader of any value in it (its views and in-place results)
    sharing: dict[Variable, list[Variable]] = {}
    for var, buffer in base.items():
        sharing.setdefault(buffer, []).append(var)
    buffers = tuple(
        Buffer(node.uid, k, str(node.op), own[out], i,
               len(nodes) - 1 if any(a in keep for a in sharing[out])
               else max(last_use.get(a, i) for a in sharing[out]),
               tuple(sorted({r for a in sharing[out] for r in readers.get(a, ())})),
               out in keep)
        for i, node in enumerate(nodes) for k, out in enumerate(node.outputs) if own[out])
    return MemoryReport(tuple(records), sum(own.values()), peak, peak_uid, at_peak, inputs,
                        buffers)
