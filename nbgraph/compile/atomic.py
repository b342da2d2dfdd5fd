"""Atomic calls: a call that raises leaves every shared variable as it was (issue 13).

Only nodes that write into a shared variable's own buffer (an in-place update) can change it
before the call ends; ``function`` stores every other update after the last node. So those
nodes run last, as one *commit tail*, and before the tail's first write ``CommitGuard``
either checks that no later tail node can fail (linkers whose thunks fail before writing
anything: the check is a few shape comparisons) or copies the buffers the tail overwrites, to
put them back if the tail raises (wrapping linkers that check after a write: NanGuardMode,
DebugMode, or a linker that does not say).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Variable
from ..link.vm import Cell, node_error
from ..ops.blas import Gemm
from ..ops.elemwise import Elemwise, check_broadcast
from ..rewrite.inplace import readers


def destroyed_inputs(fgraph: FunctionGraph, node: Apply) -> list[int]:
    """The input indices of ``node`` whose buffer is a graph input it overwrites (a shared
    variable it updates in place)."""
    inputs = set(fgraph.inputs)
    sources = (getattr(node.op, "destroy_map", {}) or {}).values()
    return sorted({i for ins in sources for i in ins if root(node.inputs[i]) in inputs})


def root(var: Variable) -> Variable:
    """The buffer ``var`` lives in: through each producer that computed it in place (the
    second gemm of Theano's update chain ``gemm(gemm(W, ...), ...)`` overwrites W too)."""
    while var.owner is not None:
        sources = (getattr(var.owner.op, "destroy_map", {}) or {}).get(var.index)
        if not sources:
            break
        var = var.owner.inputs[sources[0]]
    return var


def cannot_fail(fgraph: FunctionGraph, node: Apply) -> bool:
    """Whether an in-place update ``node`` fits its buffer whatever the inputs: an Elemwise
    whose other inputs are broadcastable in every dimension (``a * 0.5``)."""
    dests = destroyed_inputs(fgraph, node)
    if not isinstance(node.op, Elemwise) or len(dests) != 1:
        return False
    return all(all(var.type.broadcastable) for k, var in enumerate(node.inputs)
               if k != dests[0])


def _tail_is_free(fgraph: FunctionGraph, tail: Sequence[Apply]) -> bool:
    """Whether no tail node reads (directly or through a view) a buffer another tail node
    overwrites: then the tail may run in any order."""
    members = set(tail)
    for node in tail:
        if any(v.owner in members for v in node.inputs):
            return False   # a chain: the order is the data's
        for i in destroyed_inputs(fgraph, node):
            found, _ = readers(fgraph, node.inputs[i], node)
            if any(reader in members and reader is not node for reader, _ in found):
                return False
    return True


def commit_last(fgraph: FunctionGraph, nodes: Sequence[Apply]) -> tuple[list[Apply], int]:
    """``nodes`` with the in-place updates of shared variables moved to the end, and the
    index where they start.

    Moving them is safe: such a node's output is only the update (the inplace pass checked
    that nothing else reads it), and every reader of the buffer it overwrites already runs
    before it, among the others or earlier in the tail. When the tail nodes do not read each
    other's buffers, those that could fail go first: the first needs no check."""
    tail = [node for node in nodes if destroyed_inputs(fgraph, node)]
    chosen = set(tail)
    head = [node for node in nodes if node not in chosen]
    if len(tail) > 1 and _tail_is_free(fgraph, tail):
        tail.sort(key=lambda node: cannot_fail(fgraph, node))  # stable: False first
    return head + tail, len(head)


def _elemwise_check(node: Apply, cells: list[Cell], dest: int) -> Callable[[], None]:
    """Raise (naming the node) unless the inputs broadcast to the overwritten input's shape,
    which is what the node's thunk checks before it writes. Only the dimensions an input's
    type does not declare broadcastable are compared (a constant like ``0.5`` has none)."""
    dest_cell = cells[dest]
    others = []
    for k, (var, cell) in enumerate(zip(node.inputs, cells, strict=True)):
        axes = tuple(ax for ax, b in enumerate(var.type.broadcastable) if not b)
        if k != dest and axes:
            others.append((cell, axes))

    def slow_check() -> None:
        values = [np.asarray(c[0]) for c in cells]
        shape = values[dest].shape
        try:
            out = np.broadcast_shapes(*(v.shape for v in values))
        except ValueError as err:
            raise ValueError(f"{node.op} at node {node.uid}: inputs of shapes "
                             f"{[v.shape for v in values]} do not broadcast") from err
        if out != shape:
            raise ValueError(f"{node.op} at node {node.uid}: the result's shape {out} is "
                             f"not that of the buffer it updates, {shape}")
        check_broadcast(node, values, out)

    def check() -> None:
        shape = dest_cell[0].shape
        for cell, axes in others:
            got = cell[0].shape
            if got != shape:
                try:
                    fits = all(got[ax] == shape[ax] for ax in axes)
                except IndexError:
                    fits = False
                if not fits:
                    slow_check()
                    return

    return check


def _gemm_check(node: Apply, cells: list[Cell]) -> Callable[[], None]:
    z_cell, _, x_cell, y_cell, _ = cells

    def check() -> None:
        z, x, y = z_cell[0], x_cell[0], y_cell[0]
        if x.shape[1] != y.shape[0] or z.shape != (x.shape[0], y.shape[1]):
            raise ValueError(f"gemm at node {node.uid}: z has shape {z.shape}, dot(x, y) of "
                             f"shapes {x.shape} and {y.shape}")

    return check


def _shape_check(node: Apply, cells: list[Cell], dests: list[int]
                 ) -> Callable[[], None] | None:
    """A check that ``node`` will not fail, for the ops the inplace pass makes destructive;
    None for any other op (its buffers are copied instead)."""
    if isinstance(node.op, Elemwise) and len(dests) == 1:
        return _elemwise_check(node, cells, dests[0])
    if isinstance(node.op, Gemm):
        return _gemm_check(node, cells)
    return None


class CommitGuard:
    """What the VM calls just before the commit tail: ``prepare()`` raises if a tail node
    after the first would fail, and returns an undo for the buffers it could not vouch for
    (None when nothing was copied)."""

    def __init__(self, fgraph: FunctionGraph, tail: Sequence[Apply], start: int,
                 storage: dict[Variable, Cell], fails_before_writing: bool):
        self.start = start  # the tail's first index in the run order
        self.checks: list[tuple[Apply, Callable[[], None], list[Cell]]] = []
        self.saved: list[Cell] = []  # the cells whose buffers are copied before the tail
        for k, node in enumerate(tail):
            dests = destroyed_inputs(fgraph, node)
            # a chain's later link checks against the shared variable's buffer: its own
            # input is not computed yet
            cells = [storage[root(v) if i in dests else v] for i, v in enumerate(node.inputs)]
            # the first node of the tail fails before writing, so has nothing to undo
            if fails_before_writing and (k == 0 or cannot_fail(fgraph, node)):
                continue
            check = _shape_check(node, cells, dests) if fails_before_writing else None
            if check is not None:
                self.checks.append((node, check, cells))
            else:
                self.saved += [cells[i] for i in dests if all(cells[i] is not c
                                                              for c in self.saved)]
        self.needed = bool(self.checks or self.saved)
        self._check_calls = [check for _, check, _ in self.checks]

    def prepare(self) -> Callable[[], None] | None:
        try:
            for check in self._check_calls:
                check()
        except Exception as err:
            self._raise_for(err)
        if not self.saved:
            return None
        # a read-only buffer is never written in place: nothing to copy
        copies = [(buffer, buffer.copy()) for buffer in (cell[0] for cell in self.saved)
                  if getattr(getattr(buffer, "flags", None), "writeable", True)]

        def undo() -> None:
            for buffer, copy in copies:
                buffer[...] = copy

        return undo

    def _raise_for(self, err: Exception) -> None:
        """Re-raise ``err`` naming the tail node whose check failed (the first that fails
        again: checks only read)."""
        for node, check, cells in self.checks:
            try:
                check()
            except Exception as again:
                raise node_error(node, cells, again) from again
        raise err
