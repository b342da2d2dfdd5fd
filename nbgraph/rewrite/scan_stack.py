"""The pieces the scan push-out rewrites (scan_pushout.py) share: a Scan node taken apart into
editable parts and rebuilt (``Loop``), and per-step values turned into whole-loop ones (a
sequence tap's stack of steps, an inner op applied to stacks at once: ``stack_node``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..core.graph import Apply, Variable, ancestors, clone_graph
from ..core.types import TensorType
from ..core.variable import TensorVariable, constant
from ..ops.elemwise import CAReduce, DimShuffle, Elemwise, pad_left
from ..ops.linalg import Dot
from ..ops.math import maximum, minimum
from ..ops.random import RandomVariable
from ..ops.scan.info import seq_span
from ..ops.scan.op import Scan
from ..ops.shape import reshape, shape_i
from ..ops.subtensor import SliceEntry, Subtensor
from .pattern import constant_value


@dataclass
class Seq:
    outer: TensorVariable
    taps: tuple[int, ...]
    inner: list[TensorVariable]
    pushed: bool = False   # a stack computed outside from the loop's sequences


@dataclass
class Rec:
    init: TensorVariable
    taps: tuple[int, ...]
    inner: list[TensorVariable]
    out: TensorVariable
    last_only: bool
    old: int | None      # the old node's output this recurrence gives


@dataclass
class NitSot:
    out: TensorVariable
    old: int | None


@dataclass
class Loop:
    """A Scan node's parts, to edit and rebuild as a new Scan node (``build``)."""

    node: Apply
    seqs: list[Seq]
    recs: list[Rec]
    nitsots: list[NitSot]
    nonseqs: list[tuple[TensorVariable, TensorVariable]]   # (outer, inner)
    _available: TensorVariable | None = None   # steps the sequences give (tap_stack)

    @classmethod
    def of(cls, node: Apply) -> Loop:
        op: Scan = node.op
        info = op.info
        _, seqs, inits, nonseqs = op.split_outer(list(node.inputs))
        in_seqs, in_recs, in_nonseqs = op.split_inner()
        outs = op.inner_outputs
        return cls(
            node,
            [Seq(s, t, list(v)) for s, t, v in zip(seqs, info.seq_taps, in_seqs, strict=True)],
            [Rec(i, t, list(v), outs[k], k in info.last_only, k)
             for k, (i, t, v) in enumerate(zip(inits, info.rec_taps, in_recs, strict=True))],
            [NitSot(outs[info.n_recs + m], info.n_recs + m) for m in range(info.n_nitsot)],
            list(zip(nonseqs, in_nonseqs, strict=True)))

    @property
    def op(self) -> Scan:
        return self.node.op

    @property
    def n_steps(self) -> TensorVariable:
        return self.node.inputs[0]

    def inner_outputs(self) -> list[TensorVariable]:
        return [r.out for r in self.recs] + [m.out for m in self.nitsots]

    def inner_inputs(self) -> list[TensorVariable]:
        return [v for s in self.seqs for v in s.inner] + [v for r in self.recs for v in r.inner] \
            + [i for _, i in self.nonseqs]

    def replace_inner(self, mapping: dict[Variable, TensorVariable]) -> None:
        """Substitute inner Variables (pushed-out values become inner inputs)."""
        memo = clone_graph(self.inner_outputs(), replace=mapping, share_unchanged=True)
        for r in self.recs:
            r.out = memo.get(r.out, r.out)
        for m in self.nitsots:
            m.out = memo.get(m.out, m.out)

    def add_nitsot(self, out: TensorVariable) -> int:
        """Stack ``out`` (an inner value) as a new mapped output; its position among them."""
        for k, m in enumerate(self.nitsots):
            if m.out is out:
                return k
        at = len(self.nitsots) - 1 if self.op.info.until else len(self.nitsots)
        self.nitsots.insert(at, NitSot(out, None))
        return at

    def drop_unused(self) -> None:
        """Forget non-sequences the inner graph no longer reads, and sequences it no longer
        reads once a pushed-out stack is read (its length is the loop's step count, see
        ``tap_stack``, so the step count and its check stay)."""
        used = {id(v) for v in ancestors(self.inner_outputs())}
        self.nonseqs = [(o, i) for o, i in self.nonseqs if id(i) in used]
        read = [s for s in self.seqs if any(id(v) in used for v in s.inner)]
        if any(s.pushed for s in read):
            self.seqs = read

    def build(self) -> tuple[Apply, dict[int, TensorVariable]]:
        """The new Scan node, and for each old output index the new output standing for it."""
        info = dataclasses.replace(
            self.op.info, seq_taps=tuple(s.taps for s in self.seqs),
            rec_taps=tuple(r.taps for r in self.recs), n_nitsot=len(self.nitsots),
            n_nonseq=len(self.nonseqs),
            last_only=tuple(k for k, r in enumerate(self.recs) if r.last_only))
        op = Scan(self.inner_inputs(), self.inner_outputs(), info, self.op.mode)
        node = op.make_node(self.n_steps, *[s.outer for s in self.seqs],
                            *[r.init for r in self.recs], *[o for o, _ in self.nonseqs])
        found: dict[int, TensorVariable] = {}
        for k, r in enumerate(self.recs):
            if r.old is not None:
                found[r.old] = node.outputs[k]
        for m, n in enumerate(self.nitsots):
            if n.old is not None:
                found[n.old] = node.outputs[len(self.recs) + m]
        return node, found

    # -- whole-loop values -----------------------------------------------------------------
    def tap_stack(self, seq: Seq, tap: int) -> TensorVariable:
        """What ``seq``'s tap ``tap`` reads at every step, in step order: the rows of
        ``n_steps`` steps when it is a constant, else of as many steps as the shortest
        sequence gives (a loop told fewer reads the first ones)."""
        lo, _ = seq_span(seq.taps)
        outer = self.oriented(seq)
        given = constant_value(self.n_steps)
        if given is not None and int(given) >= 0:
            return outer[tap - lo:tap - lo + int(given)]
        if self._available is None:
            counts = [shape_i(s.outer, 0) - (hi - lo) for s in self.seqs
                      for lo, hi in [seq_span(s.taps)]]
            least = counts[0] if len(counts) == 1 else minimum(*counts[:2])
            for c in counts[2:]:
                least = minimum(least, c)
            self._available = maximum(least, constant(0, dtype="int64"))
        return outer[tap - lo:tap - lo + self._available]

    def oriented(self, seq: Seq) -> TensorVariable:
        return seq.outer[::-1] if self.op.info.go_backwards else seq.outer


def step_var(like: TensorVariable, name: str) -> TensorVariable:
    """A fresh inner input standing for one step of ``like``."""
    return TensorType(like.dtype, shape=like.type.shape)(name)


def pure(node: Apply) -> bool:
    """Computing the node elsewhere, once or for all steps at once, gives the same values:
    no draw, nothing overwritten."""
    return not isinstance(node.op, RandomVariable) and not getattr(node.op, "destroy_map", None)


def can_stack(node: Apply, stacked: list[bool]) -> bool:
    """``stack_node`` knows how to apply ``node`` to whole-loop stacks (``stacked``: which
    inputs are per step; the others are the same at every step)."""
    op = node.op
    if isinstance(op, Elemwise):
        return True
    if isinstance(op, (DimShuffle, CAReduce)):
        return type(op) in (DimShuffle, CAReduce)
    if isinstance(op, Subtensor):
        return not any(stacked[1:])
    if isinstance(op, Dot):
        a, b = node.inputs
        if stacked == [True, False]:
            return a.ndim in (1, 2)
        return stacked == [False, True] and a.ndim == 2 and b.ndim == 1
    return False


def stack_node(node: Apply, inputs: list[TensorVariable], stacked: list[bool]
               ) -> list[TensorVariable]:
    """``node`` applied to all steps at once: per-step inputs come as stacks (steps on axis 0),
    the others as they are; the outputs are stacks."""
    op = node.op
    if isinstance(op, Elemwise):
        nd = node.outputs[0].ndim + 1
        return list(op.make_node(*[x if s else pad_left(x, nd)
                                   for x, s in zip(inputs, stacked, strict=True)]).outputs)
    x = inputs[0]
    if isinstance(op, DimShuffle):
        order = (0, *["x" if o == "x" else int(o) + 1 for o in op.new_order])
        return [DimShuffle(x.type.broadcastable, order)(x)]
    if isinstance(op, CAReduce):
        axis = range(node.inputs[0].ndim) if op.axis is None else op.axis
        return [CAReduce(op.scalar_op, [a + 1 for a in axis], op.dtype)(x)]
    if isinstance(op, Subtensor):
        return [Subtensor((SliceEntry(None, None, None), *op.idx_list))(x, *inputs[1:])]
    return [_stack_dot(node, inputs, stacked)]


def _stack_dot(node: Apply, inputs: list[TensorVariable], stacked: list[bool]) -> TensorVariable:
    """dot(a_t, W) for every t as one matrix product: the steps' rows side by side."""
    a, b = inputs
    op = node.op
    if stacked == [False, True]:   # W @ v_t for all t: (V @ W.T).T per step is V @ W.T
        return op(b, DimShuffle(a.type.broadcastable, (1, 0))(a))
    if node.inputs[0].ndim == 1:
        return op(a, b)
    n, rows = shape_i(a, 0), shape_i(a, 1)
    flat = op(reshape(a, [n * rows, shape_i(a, 2)]), b)
    return reshape(flat, [n, rows, *([shape_i(b, 1)] if b.ndim == 2 else [])])

