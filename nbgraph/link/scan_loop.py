"""A loop's steps over preallocated storage (Scan's compiled path): the inner function's
thunks, bound once, called in a generated flat loop, without the VM or Function per step.

At each step the inner input cells get views of the rows the step reads (sequence elements,
recurrence taps) and each inner output cell gets a view of the row the step writes, so a
kernel that reuses its output array (``array_calls``: one held only by its cell) computes in
place. An output the step left elsewhere (a fresh array, a view of an input, an output
returned twice) is copied into its row; only then is its shape checked, since a row written
in place has the row's shape. Shapes are checked in full on the first step.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.graph import Apply, Variable
from .generated import exec_generated
from .kernel_linker import fused_prologue
from .vm import node_error

Slot = tuple[Any, int, int]   # (array, offset, rows): step t's row is (t + offset) % rows
Cell = list


class StepLoop:
    """Runs ``n`` steps of a compiled inner graph: its ``thunks`` (one per node, in order) over
    its storage cells. ``in_cells``/``out_cells`` are the cells of the inner inputs/outputs;
    ``prebind[k]`` says output ``k``'s cell is written by a thunk every step (not an input's
    or a constant's cell, not a repeat of an earlier output), so it may be bound to the row.
    """

    def __init__(self, nodes: Sequence[Apply], thunks: Sequence[Callable[[], None]],
                 thunk_cells: Sequence[Sequence[Cell]],
                 reads: Sequence[Sequence[Variable] | None], in_cells: Sequence[Cell],
                 out_cells: Sequence[Cell], prebind: Sequence[bool], dtypes: Sequence[str],
                 profile: Any = None):
        self.nodes, self.thunks = list(nodes), list(thunks)
        self.thunk_cells, self.reads = list(thunk_cells), list(reads)
        self.in_cells, self.out_cells = list(in_cells), list(out_cells)
        self.prebind, self.dtypes = list(prebind), [np.dtype(d) for d in dtypes]
        self.profile = profile
        self._loops: dict[int, Callable[..., int]] = {}
        # (file, line) of a generated loop -> the index of the thunk called there
        self._lines: dict[tuple[str, int], int] = {}

    def run(self, n: int, slots: Sequence[Slot], fixed: Sequence[Any],
            dests: Sequence[Slot | None], until: bool,
            bad_shape: Callable[[int, tuple, tuple], Exception]) -> tuple[int, list[Any]]:
        """Run up to ``n`` steps. The first ``len(slots)`` inner inputs read rows of their
        slot's array, the rest are ``fixed``; output ``k`` goes to row of ``dests[k]``, or
        (None) to row ``t`` of an array of ``n`` steps made on the first step. With ``until``,
        the last output stops the loop after the step where it is true. ``bad_shape(k, got,
        expected)`` makes the error for an output of the wrong shape. Returns the number of
        steps run and each output's array (None where no step ran)."""
        for cell, value in zip(self.in_cells[len(slots):], fixed, strict=True):
            cell[0] = value
        arrays: list[Any] = [None if d is None else d[0] for d in dests]
        if n == 0:
            return 0, arrays
        places = self._first(n, slots, list(dests), arrays, bad_shape)
        steps = 1 if until and self.out_cells[-1][0] else n
        if steps > 1:
            args = [x for slot in slots for x in slot]
            for (array, offset, rows) in places:
                args += [array, offset, rows, array.shape[1:]]
            try:
                steps = self._loop(len(slots), until)(1, n, *args)
            except _ShapeError as err:
                raise bad_shape(err.k, err.got, err.expected) from None
        for cell in self.in_cells[:len(slots)] + self.out_cells:
            cell[0] = None  # hold no view of the buffers the op returns
        return steps, arrays

    def _first(self, n: int, slots: Sequence[Slot], dests: list[Slot | None],
               arrays: list[Any], bad_shape: Callable[[int, tuple, tuple], Exception]
               ) -> list[Slot]:
        """Step 0, checking every output's shape and making the arrays of those without."""
        for cell, (array, offset, rows) in zip(self.in_cells, slots, strict=False):
            cell[0] = array[offset % rows, ...]
        for cell, dest, bind in zip(self.out_cells, dests, self.prebind, strict=True):
            if bind and dest is not None:
                cell[0] = dest[0][dest[1] % dest[2], ...]
        clock = time.perf_counter
        for i, thunk in enumerate(self.thunks):
            start = clock()
            try:
                thunk()
            except Exception as err:
                raise node_error(self.nodes[i], self.thunk_cells[i], err,
                                 self.reads[i]) from err
            if self.profile is not None:
                self.profile.record_node(self.nodes[i], clock() - start)
        if self.profile is not None:
            self.profile.record_call()
        places = []
        for k, cell in enumerate(self.out_cells):
            value = cell[0]
            dest = dests[k]
            if dest is None:
                arrays[k] = np.empty((n, *np.shape(value)), self.dtypes[k])
                dest = (arrays[k], 0, n)
            array, offset, rows = dest
            if np.shape(value) != array.shape[1:]:
                raise bad_shape(k, np.shape(value), array.shape[1:])
            array[offset % rows, ...] = value  # a no-op copy where the kernel wrote it
            places.append(dest)
        return places

    def _loop(self, n_slots: int, until: bool) -> Callable[..., int]:
        key = n_slots * 2 + until
        loop = self._loops.get(key)
        if loop is None:
            source, lines = self._source(n_slots, until)
            scope = exec_generated(source, {}, "scan step loop")
            where = scope["make"].__code__.co_filename
            self._lines.update(((where, line), i) for line, i in lines.items())
            profile = self.profile
            loop = scope["make"](
                self.in_cells[:n_slots], self.out_cells, self.thunks, self.nodes,
                weakref.ref, _store_row, self._locate, time.perf_counter,
                profile.record_node if profile is not None else None,
                profile.record_call if profile is not None else None)
            self._loops[key] = loop
        return loop

    def _source(self, n_slots: int, until: bool) -> tuple[str, dict[int, int]]:
        """The loop's Python text: one line per binding, thunk call and copy (no loops over
        nodes at run time), and which thunk each call's line calls (it names a failing node).
        """
        n_out, profiled = len(self.out_cells), self.profile is not None
        args = [f"A{j}, k{j}, m{j}" for j in range(n_slots)]
        args += [f"D{k}, q{k}, r{k}, S{k}" for k in range(n_out)]
        head = ["def make(I, O, T, N, ref, store, locate, clock, rec, call):",
                *[f"    i{j} = I[{j}]" for j in range(n_slots)],
                *[f"    o{k} = O[{k}]" for k in range(n_out)],
                *[f"    th{i} = T[{i}]; n{i} = N[{i}]" for i in range(len(self.thunks))],
                f"    def loop(t, n, {', '.join(args)}):",
                "        try:", "            while t < n:"]
        body = [f"i{j}[0] = A{j}[(t + k{j}) % m{j}, ...]" for j in range(n_slots)]
        for k in range(n_out):
            if self.prebind[k]:
                body += [f"o{k}[0] = D{k}[(t + q{k}) % r{k}, ...]", f"w{k} = ref(o{k}[0])"]
        lines = head + ["                " + line for line in body]
        calls: dict[int, int] = {}
        for i, thunk in enumerate(self.thunks):
            if thunk is fused_prologue and not profiled:
                continue  # its reduction's kernel computes it
            calls[len(lines) + 1] = i
            call = f"s = clock(); th{i}(); rec(n{i}, clock() - s)" if profiled else f"th{i}()"
            lines.append("                " + call)
        for k in range(n_out):
            test = f"if v is not w{k}():" if self.prebind[k] else "if True:"
            lines += [f"                v = o{k}[0]", f"                {test}",
                      f"                    store({k}, v, D{k}, (t + q{k}) % r{k}, S{k})"]
        if profiled:
            lines.append("                call()")
        if until:  # v: the last output, the stop condition
            lines.append("                if v:\n                    return t + 1")
        lines += ["                t += 1", "            return n",
                  "        except Exception as err:",
                  "            new = locate(err)",
                  "            if new is err:", "                raise",
                  "            raise new from err", "    return loop"]
        return "\n".join(lines) + "\n", calls

    def _locate(self, err: Exception) -> BaseException:
        """``err`` re-made naming the node whose thunk raised it (``err`` itself where none
        did: a wrong shape, which ``run`` words)."""
        if isinstance(err, _ShapeError):
            return err
        tb = err.__traceback__
        i = None if tb is None else \
            self._lines.get((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        if i is None:
            return err
        return node_error(self.nodes[i], self.thunk_cells[i], err, self.reads[i])


def _store_row(k: int, value: Any, array: np.ndarray, row: int, expected: tuple) -> None:
    """Copy output ``k``'s value, which the step left outside its row, into the row."""
    if np.shape(value) != expected:
        raise _ShapeError(k, np.shape(value), expected)
    array[row, ...] = value


class _ShapeError(ValueError):
    """An output of the wrong shape after the first step (``StepLoop.run`` words it)."""

    def __init__(self, k: int, got: tuple, expected: tuple):
        super().__init__(k, got, expected)
        self.k, self.got, self.expected = k, got, expected
