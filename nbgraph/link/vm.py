"""The VM: run a graph's thunks in a precomputed order over preallocated storage cells.

Each Variable has one storage cell (a one-element list) for the life of the function; a thunk
reads its inputs' cells and writes its outputs' cells. Errors from a thunk are re-raised
naming the node and the shapes and dtypes of what it read: its inputs, or the Variables in
its ``reads`` attribute (a reduction whose kernel computes its fused prologue reads the
prologue's inputs).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from ..core.graph import Apply, Variable
from ..core.source import describe

Cell = list


class ThunkError(Exception):
    """Raised for a failing node whose exception type cannot carry the message itself."""


def thunk_reads(node: Apply, thunk: Callable[[], None]) -> list[Variable]:
    """The Variables whose cells ``thunk`` reads (its node's inputs unless it says)."""
    return list(getattr(thunk, "reads", node.inputs))


def describe_inputs(variables: Sequence[Variable], cells: Sequence[Cell]) -> str:
    lines = []
    for var, cell in zip(variables, cells, strict=True):
        value = cell[0]
        shape = getattr(value, "shape", None)
        dtype = getattr(value, "dtype", type(value).__name__)
        name = var.name or f"uid {var.uid}"
        lines.append(f"    {name}: {var.type.short()}, value shape {shape}, dtype {dtype}")
    return "\n".join(lines)


def node_error(node: Apply, in_cells: Sequence[Cell], err: BaseException,
               reads: Sequence[Variable] | None = None) -> BaseException:
    """``err`` re-made with the node and what it read (``reads``, the Variables behind
    ``in_cells``: the node's inputs by default) with their runtime shapes."""
    variables = node.inputs if reads is None else reads
    built = describe(node)
    where = f" ({built})" if built else ""
    message = (f"{err}\n  while computing node {node.uid}: {node}{where}\n  inputs:\n"
               f"{describe_inputs(variables, in_cells)}")
    try:
        new = type(err)(message)
    except Exception:
        new = ThunkError(message)
    new.node = node  # type: ignore[attr-defined]  # the Graph view highlights this node
    return new


class Commit(Protocol):
    """The last nodes of the run order write into shared variables' buffers (the commit
    tail, from index ``start``); ``prepare()``, called just before it, raises if the tail
    would fail part-way and returns an undo for what it could not vouch for (or None)."""

    start: int

    def prepare(self) -> Callable[[], None] | None: ...


class VM:
    """Runs ``thunks`` (one per node, in order). ``in_cells[i]`` are the cells thunk ``i``
    reads, ``reads[i]`` their Variables (None: the node's inputs), for error messages.
    ``profile`` switches on per-node timing; ``commit`` guards the in-place updates at the
    end of the order, so that a failing call changes no shared variable."""

    def __init__(self, nodes: Sequence[Apply], thunks: Sequence[Callable[[], None]],
                 in_cells: Sequence[Sequence[Cell]], profile: Any = None,
                 reads: Sequence[Sequence[Variable] | None] | None = None,
                 commit: Commit | None = None):
        self.nodes = list(nodes)
        self.thunks = list(thunks)
        self.in_cells = list(in_cells)
        self.reads = list(reads) if reads is not None else [None] * len(self.nodes)
        self.profile = profile
        self.commit = commit
        if commit is not None:  # the loop's pieces, bound once
            self._start, self._prepare = commit.start, commit.prepare
            self._head, self._tail = self.thunks[:commit.start], self.thunks[commit.start:]
        # the loop, chosen once: Function calls ``run`` directly
        self.run: Callable[[], None] = self._run_profiled if profile is not None \
            else self._run_committed if commit is not None \
            else self._run_one if len(self.thunks) == 1 else self._run_all

    def __call__(self) -> None:
        self.run()

    def _run_all(self) -> None:
        i = 0
        try:
            for i, thunk in enumerate(self.thunks):  # noqa: B007  (i is read on error)
                thunk()
        except Exception as err:
            raise node_error(self.nodes[i], self.in_cells[i], err, self.reads[i]) from err

    def _run_one(self) -> None:
        try:
            self.thunks[0]()
        except Exception as err:
            raise node_error(self.nodes[0], self.in_cells[0], err, self.reads[0]) from err

    def _run_committed(self) -> None:
        i = 0
        try:
            for i, thunk in enumerate(self._head):  # noqa: B007  (i is read on error)
                thunk()
        except Exception as err:
            raise node_error(self.nodes[i], self.in_cells[i], err, self.reads[i]) from err
        undo = self._prepare()
        i = self._start
        try:
            for i, thunk in enumerate(self._tail, self._start):  # noqa: B007
                thunk()
        except BaseException as err:  # KeyboardInterrupt too: the updates are undone
            if undo is not None:
                undo()
            if not isinstance(err, Exception):
                raise
            raise node_error(self.nodes[i], self.in_cells[i], err, self.reads[i]) from err

    def _run_profiled(self) -> None:
        clock = time.perf_counter
        record = self.profile.record_node
        undo = None
        for k, (node, thunk, cells, reads) in enumerate(zip(self.nodes, self.thunks,
                                                            self.in_cells, self.reads,
                                                            strict=True)):
            if self.commit is not None and k == self.commit.start:
                undo = self.commit.prepare()
            start = clock()
            try:
                thunk()
            except Exception as err:
                if undo is not None:
                    undo()
                raise node_error(node, cells, err, reads) from err
            record(node, clock() - start)


def make_storage(variables: Sequence[Variable]) -> dict[Variable, Cell]:
    """One cell per Variable: constants hold their data, shared variables their container."""
    storage: dict[Variable, Cell] = {}
    for var in variables:
        if var in storage:
            continue
        container = getattr(var, "container", None)
        if container is not None:
            storage[var] = container
        elif hasattr(var, "data"):
            storage[var] = [var.data]
        else:
            storage[var] = [None]
    return storage


def _cell_only_refs() -> int:
    """What ``sys.getrefcount`` reports for a value held only by its storage cell, read the
    way thunks read it (through a local; interpreters differ in how locals hold references).
    A thunk may write into its last output again when the count says nobody else holds it."""
    cell = [object()]

    def probe() -> int:
        value = cell[0]
        return sys.getrefcount(value)

    return probe()


CELL_ONLY_REFS = _cell_only_refs()
