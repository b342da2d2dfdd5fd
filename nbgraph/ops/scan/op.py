"""The Scan op: a loop that runs one inner graph per step (compiled by the linker's
InnerCompiler when a function runs it, and then, where the compiler offers a ``step_loop``,
run over preallocated rows without a function call per step; evaluated op by op in
``perform``, the reference).

Outer inputs are ``[n_steps, *sequences, *initial windows, *non_sequences]``; outer outputs
are the recurrent outputs then the mapped (nit-sot) outputs, each stacked along axis 0. A
recurrent output with taps ``(-2, -1)`` has an initial window of 2 steps: at step ``t`` the
tap ``k`` reads ``y[t + k]``, where ``y[-2], y[-1]`` are the window. A sequence tap ``k``
reads ``seq[t + k - min(taps, 0)]``, as in Theano.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from ...core.gradient import grad
from ...core.graph import Apply, Variable, clone_graph
from ...core.inner_graph import REFERENCE, InnerGraphOp
from ...core.op import InnerCompiler, StepLoop
from ...core.types import TensorType
from ...core.variable import TensorVariable, as_tensor_variable
from ..join import concatenate
from .grad import scan_grad
from .info import ScanInfo, seq_span, window


class Scan(InnerGraphOp):
    """Theano's Scan: ``outputs = loop(inner graph)``; built by ``nbgraph.scan``.

    Each Scan is its own op (equality is identity): two loops never merge.
    """

    # the step functions and their loops, and the loops with residual outputs added
    # (grad.residual_stacks), not pickled
    COMPILED = ("_fns", "_loops", "wider")

    def __init__(self, inner_inputs: list[TensorVariable], inner_outputs: list[TensorVariable],
                 info: ScanInfo, mode: Any = None):
        n_in = sum(map(len, info.seq_taps)) + sum(map(len, info.rec_taps)) + info.n_nonseq
        if len(inner_inputs) != n_in or len(inner_outputs) != info.n_recs + info.n_nitsot:
            raise ValueError(f"Scan: the inner graph has {len(inner_inputs)} inputs and "
                             f"{len(inner_outputs)} outputs, the loop structure needs {n_in} "
                             f"and {info.n_recs + info.n_nitsot}")
        self.inner_inputs = list(inner_inputs)
        self.inner_outputs = list(inner_outputs)
        self.info = info
        self.mode = mode
        self._fns: dict[Hashable, Callable[..., list[Any]]] = {}
        self._loops: dict[Hashable, StepLoop | None] = {}
        self.wider: dict[tuple[int, ...], Scan] = {}

    @property
    def op_name(self) -> str | None:
        return self.info.name

    # -- layout ------------------------------------------------------------------------------
    def split_outer(self, inputs: list[Any]) -> tuple[Any, list, list, list]:
        info = self.info
        seqs = inputs[1:1 + info.n_seqs]
        inits = inputs[1 + info.n_seqs:1 + info.n_seqs + info.n_recs]
        return inputs[0], list(seqs), list(inits), list(inputs[1 + info.n_seqs + info.n_recs:])

    def split_inner(self) -> tuple[list[list[TensorVariable]], list[list[TensorVariable]],
                                   list[TensorVariable]]:
        """Inner inputs grouped: per sequence (one per tap), per recurrence, non-sequences."""
        rest = list(self.inner_inputs)
        seqs = []
        for taps in self.info.seq_taps:
            seqs.append(rest[:len(taps)])
            rest = rest[len(taps):]
        recs = []
        for taps in self.info.rec_taps:
            recs.append(rest[:len(taps)])
            rest = rest[len(taps):]
        return seqs, recs, rest

    # -- the contract ----------------------------------------------------------------------
    def make_node(self, n_steps: Any, *outer: Any) -> Apply:
        info = self.info
        steps = as_tensor_variable(n_steps)
        if steps.ndim != 0 or steps.dtype != "int64":
            raise TypeError(f"{self}: n_steps must be an int64 scalar, got {steps.type}")
        values = [as_tensor_variable(v) for v in outer]
        if len(values) != info.n_seqs + info.n_recs + info.n_nonseq:
            raise TypeError(f"{self}: expected {info.n_seqs + info.n_recs + info.n_nonseq} "
                            f"outer inputs after n_steps, got {len(values)}")
        _, seqs, inits, nonseqs = self.split_outer([steps, *values])
        inner_seqs, inner_recs, inner_nonseqs = self.split_inner()
        for k, (seq, taps) in enumerate(zip(seqs, inner_seqs, strict=True)):
            _check_stack(self, f"sequence {k}", seq, taps[0])
        for k, (init, taps) in enumerate(zip(inits, inner_recs, strict=True)):
            _check_stack(self, f"initial state {k}", init, taps[0])
        for k, (var, inner) in enumerate(zip(nonseqs, inner_nonseqs, strict=True)):
            if var.dtype != inner.dtype or var.ndim != inner.ndim:
                raise TypeError(f"{self}: non-sequence {k} is {var.type}, the inner graph "
                                f"expects {inner.type}")
        outs = [TensorType(o.dtype, shape=(1 if k in info.last_only else None,
                                           *o.type.shape))()
                for k, o in enumerate(self.inner_outputs)]
        return Apply(self, [steps, *values], outs)

    def step_function(self, compiler: InnerCompiler) -> Callable[..., list[Any]]:
        """The inner graph as a function from ``compiler``, made on first use (per compiler
        key: every function compiled the same way shares it)."""
        fn = self._fns.get(compiler.key)
        if fn is None:
            fn = compiler.function(self.inner_inputs, self.inner_outputs, self.mode)
            self._fns[compiler.key] = fn
        return fn

    def n_steps_of(self, node: Apply, n_steps: int, seqs: list[np.ndarray]) -> int:
        available = [len(s) - (hi - lo) for s, (lo, hi)
                     in zip(seqs, map(seq_span, self.info.seq_taps), strict=True)]
        if n_steps < 0:
            if not available:
                raise ValueError(f"{self} (node {node.uid}): n_steps is required without "
                                 f"sequences")
            return max(min(available), 0)
        if available and n_steps > max(min(available), 0):  # 0 steps need no elements
            raise ValueError(f"{self} (node {node.uid}): n_steps={n_steps}, but the sequences "
                             f"give only {min(available)} steps (lengths "
                             f"{[len(s) for s in seqs]}, taps {list(self.info.seq_taps)})")
        return int(n_steps)

    def make_thunk(self, node: Apply, in_cells: list[list[Any]], out_cells: list[list[Any]],
                   compiler: InnerCompiler | None = None) -> Callable[[], None]:
        """The loop with the step compiled by the linker's ``compiler`` (on the first run):
        over preallocated rows where the compiler offers a ``step_loop``, else ``perform``
        calling the compiled step function once per step."""
        compiler = REFERENCE if compiler is None else compiler
        perform, step, loop_of = self.perform, self.step_function, self.step_loop
        run_loop = self.run_loop

        def thunk() -> None:
            inputs = [cell[0] for cell in in_cells]
            loop = loop_of(compiler)
            if loop is None:
                perform(node, inputs, out_cells, step(compiler))
            else:
                run_loop(node, inputs, out_cells, loop)

        return thunk

    def step_loop(self, compiler: InnerCompiler) -> StepLoop | None:
        """The compiled step as a loop over preallocated rows (``StepLoop`` in core/op.py),
        made on first use per compiler key; None where the compiler has none."""
        if compiler.key not in self._loops:
            make = getattr(compiler, "step_loop", None)
            self._loops[compiler.key] = None if make is None \
                else make(self.step_function(compiler))
        return self._loops[compiler.key]

    def layout(self, node: Apply, inputs: list[Any], rings: bool
               ) -> tuple[int, list[Any], list[Any], list[Any], list[int], list[int]]:
        """``(n, seqs, nonseqs, bufs, windows, rows)``: the number of steps, the sequences (in
        step order), and each recurrence's buffer, where step ``t`` is row
        ``(t + window) % rows``: a stack of all steps, or for a last_only output a ring of
        window + 1 rows (the modulo never wraps on a stack). ``rings``: a last_only buffer is
        a ``_Ring`` of references (the reference step returns fresh arrays) instead."""
        info = self.info
        n_steps, seqs, inits, nonseqs = self.split_outer(inputs)
        if info.go_backwards:
            seqs = [s[::-1] for s in seqs]
        n = self.n_steps_of(node, int(n_steps), seqs)
        windows = [window(taps) for taps in info.rec_taps]
        rows = [size + 1 if k in info.last_only else size + n
                for k, size in enumerate(windows)]
        bufs: list[Any] = []
        for k, (init, size) in enumerate(zip(inits, windows, strict=True)):
            if len(init) < size:
                raise ValueError(f"{self} (node {node.uid}): initial state {k} has "
                                 f"{len(init)} steps, taps {info.rec_taps[k]} need {size}")
            dtype = node.outputs[k].dtype
            if rings and k in info.last_only:
                bufs.append(_Ring(init, size, dtype))
                continue
            buf = np.empty((rows[k], *init.shape[1:]), dtype=dtype)
            buf[:size] = init[:size]
            bufs.append(buf)
        return n, seqs, nonseqs, bufs, windows, rows

    def run_loop(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]],
                 loop: StepLoop) -> None:
        """``perform``'s loop run by the compiled ``loop``: each step reads its taps' rows and
        writes its outputs' rows in place."""
        info = self.info
        n, seqs, nonseqs, bufs, windows, rows = self.layout(node, inputs, rings=False)
        slots: list[tuple[Any, int, int]] = []
        for seq, taps in zip(seqs, info.seq_taps, strict=True):
            lo = seq_span(taps)[0]
            slots += [(seq, k - lo, max(len(seq), 1)) for k in taps]
        for buf, taps, size, m in zip(bufs, info.rec_taps, windows, rows, strict=True):
            slots += [(buf, size + k, m) for k in taps]
        dests: list[tuple[Any, int, int] | None] = [
            (buf, size, m) for buf, size, m in zip(bufs, windows, rows, strict=True)]
        dests += [None] * info.n_nitsot

        def bad_shape(k: int, got: tuple, expected: tuple) -> Exception:
            return ValueError(_shape_message(self, node, k, got, expected))

        n, arrays = loop.run(n, slots, nonseqs, dests, info.until, bad_shape)
        for k, (size, m) in enumerate(zip(windows, rows, strict=True)):
            output_storage[k][0] = arrays[k][(n + size - 1) % m][None].copy() \
                if k in info.last_only else arrays[k][size:size + n]
        self._store_mapped(node, output_storage, arrays[info.n_recs:], n)

    def _store_mapped(self, node: Apply, output_storage: list[list[Any]], mapped: list[Any],
                      n: int) -> None:
        info = self.info
        for m in range(info.n_nitsot):
            if mapped[m] is None:  # no steps: an empty stack of unknown-size steps
                shape = [0 if s is None else s for s in self.inner_outputs[info.n_recs + m]
                         .type.shape]
                mapped[m] = np.empty((0, *shape), dtype=node.outputs[info.n_recs + m].dtype)
            output_storage[info.n_recs + m][0] = mapped[m][:n]

    def perform(self, node: Apply, inputs: list[Any], output_storage: list[list[Any]],
                fn: Callable[..., list[Any]] | None = None) -> None:
        """The loop over ``fn``, the step function: the compiled one from ``make_thunk``, else
        the inner graph evaluated op by op (the reference, without the compile layer)."""
        info = self.info
        fn = self.step_function(REFERENCE) if fn is None else fn
        n, seqs, nonseqs, bufs, windows, rows = self.layout(node, inputs, rings=True)
        spans = [seq_span(taps) for taps in info.seq_taps]
        mapped: list[Any] = [None] * info.n_nitsot
        for t in range(n):
            args: list[Any] = []
            for seq, taps, (lo, _) in zip(seqs, info.seq_taps, spans, strict=True):
                args.extend(seq[t + k - lo, ...] for k in taps)
            for buf, taps, size, m in zip(bufs, info.rec_taps, windows, rows, strict=True):
                args.extend(buf[(t + size + k) % m, ...] for k in taps)
            args.extend(nonseqs)
            outs = fn(*args)
            for k, (buf, size, m) in enumerate(zip(bufs, windows, rows, strict=True)):
                _store(self, node, buf, (t + size) % m, outs[k], k)
            for m in range(info.n_nitsot):
                value = outs[info.n_recs + m]
                if mapped[m] is None:
                    dtype = node.outputs[info.n_recs + m].dtype
                    mapped[m] = np.empty((n, *np.shape(value)), dtype=dtype)
                _store(self, node, mapped[m], t, value, info.n_recs + m)
            if info.until and outs[-1]:  # scan_module.until: this step was the last
                n = t + 1
                break
        for k, (buf, size, m) in enumerate(zip(bufs, windows, rows, strict=True)):
            last = (n + size - 1) % m
            output_storage[k][0] = np.array(buf.rows[last])[None] if k in info.last_only \
                else buf[size:size + n]
        self._store_mapped(node, output_storage, mapped, n)

    def L_op(self, inputs: list[TensorVariable], outputs: list[TensorVariable],
             output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
        if self.info.last_only:  # differentiate the same loop keeping every step
            return grad_through_full_stacks(self, inputs, output_grads)
        return scan_grad(self, inputs, outputs, output_grads)


def grad_through_full_stacks(op: Scan, inputs: list[TensorVariable],
                             output_grads: list[TensorVariable]) -> list[TensorVariable | None]:
    """The gradient of a loop with ``last_only`` outputs, through the loop that keeps every
    step: a last_only output is the last row of (initial window, then all steps).

    It is taken with respect to stand-ins for ``inputs``, then put back: an op's gradient is
    the partial derivative in each input, and some inputs are computed from others."""
    info = op.info
    full = Scan(op.inner_inputs, op.inner_outputs, dataclasses.replace(info, last_only=()),
                op.mode)
    stand_ins = [v.type(v.name) for v in inputs]
    stacks = full.make_node(*stand_ins).outputs
    _, _, inits, _ = op.split_outer(stand_ins)
    known: dict[Variable, Any] = {}
    for k, (stack, g) in enumerate(zip(stacks, output_grads, strict=True)):
        if g is None or not isinstance(g.type, TensorType):
            continue
        if k in info.last_only:
            size = window(info.rec_taps[k])
            stack = concatenate([inits[k][:size], stack])[-1:]
        known[stack] = g
    grads = grad(None, stand_ins, known_grads=known, disconnected_inputs="ignore",
                 return_disconnected="none")
    memo = clone_graph([g for g in grads if g is not None],
                       replace=dict(zip(stand_ins, inputs, strict=True)), share_unchanged=True)
    return [None if g is None else memo.get(g, g) for g in grads]


def _check_stack(op: Scan, what: str, outer: TensorVariable, inner: TensorVariable) -> None:
    if outer.dtype != inner.dtype or outer.ndim != inner.ndim + 1:
        raise TypeError(f"{op}: {what} is {outer.type}; the inner graph needs a stack of "
                        f"{inner.type} steps (dtype {inner.dtype}, {inner.ndim + 1} dimensions)")


class _Ring:
    """A last_only recurrence: its last ``size + 1`` steps held by reference (the step
    function returns fresh arrays), so a step stores nothing but a pointer; indexed like the
    stack it replaces (``ring[i, ...]``, ``ring[i] = value``)."""

    def __init__(self, init: np.ndarray, size: int, dtype: str):
        self.rows: list[Any] = [np.asarray(init[j, ...], dtype) for j in range(size)] + [None]
        self.shape = (size + 1, *init.shape[1:])
        self.dtype = np.dtype(dtype)

    def __getitem__(self, index: tuple[int, Any]) -> Any:
        return self.rows[index[0]]

    def __setitem__(self, index: int, value: Any) -> None:
        self.rows[index] = np.asarray(value, self.dtype)


def _shape_message(op: Scan, node: Apply, k: int, got: tuple, expected: tuple) -> str:
    return (f"{op} (node {node.uid}): output {k} has shape {got} at one step and {expected} "
            f"at another (or in its initial state); every step must give the same shape")


def _store(op: Scan, node: Apply, buf: np.ndarray, index: int, value: Any, k: int) -> None:
    if np.shape(value) != buf.shape[1:]:
        raise ValueError(_shape_message(op, node, k, np.shape(value), buf.shape[1:]))
    buf[index] = value
