"""Sizes for the random inputs of ``%%symgraph``: one size per unknown dimension *class*.

A type leaves a dimension open (``float64[?,?]``); the graph often ties open dimensions
together: the two sides of a ``dot``, the operands of an elementwise op, a scan's sequence and
its step. ``input_shapes`` unifies dimensions along the graph (union-find over (variable,
axis)), fixes the classes that a static type, a ``--shape`` or an ``--inputs`` value sizes,
and gives every other class ``DEFAULT_DIM``: an MLP's or an RNN's inputs then fit each other
without any ``--shape``. Ops it does not know leave their outputs' dimensions free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..core.graph import Variable, toposort
from ..ops.control import IfElse
from ..ops.elemwise import DimShuffle, Elemwise
from ..ops.linalg import Dot
from ..ops.nnet import CrossentropyCategorical1Hot, LogSoftmax, Softmax
from ..ops.scan.op import Scan

DEFAULT_DIM = 3  # length of a dimension neither a type, --shape nor --inputs fixes
ROW_WISE = (Softmax, LogSoftmax)


class DimClasses:
    """Union-find over dimension classes; a class may carry a fixed size (the first wins)."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.size: dict[int, int] = {}

    def new(self, size: int | None = None) -> int:
        self.parent.append(len(self.parent))
        if size is not None:
            self.size[len(self.parent) - 1] = size
        return len(self.parent) - 1

    def find(self, k: int) -> int:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        self.parent[b] = a
        if a not in self.size and b in self.size:
            self.size[a] = self.size[b]

    def fix(self, k: int, size: int) -> None:
        self.size.setdefault(self.find(k), size)

    def value(self, k: int) -> int | None:
        return self.size.get(self.find(k))


class DimSolver:
    """The dimension classes of every Variable of a graph (``dims[var]``: one per axis)."""

    def __init__(self) -> None:
        self.classes = DimClasses()
        self.dims: dict[Variable, list[int]] = {}

    def of(self, var: Variable) -> list[int]:
        found = self.dims.get(var)
        if found is None:
            shape = getattr(var.type, "shape", ())
            found = self.dims[var] = [self.classes.new(d) for d in shape]
        return found

    def same(self, a: Sequence[int], b: Sequence[int]) -> None:
        for x, y in zip(a, b, strict=False):
            self.classes.union(x, y)

    def walk(self, outputs: Sequence[Variable]) -> None:
        for node in toposort(list(outputs)):
            op, ins, outs = node.op, node.inputs, node.outputs
            if isinstance(op, Elemwise):
                self._elemwise(ins, outs)
            elif isinstance(op, DimShuffle):
                source = self.of(ins[0])
                self.dims[outs[0]] = [source[o] if isinstance(o, int) else self.classes.new(1)
                                      for o in op.new_order]
            elif isinstance(op, ROW_WISE):  # a softmax's output is shaped as its input
                self.dims[outs[0]] = self.of(ins[0])
            elif isinstance(op, CrossentropyCategorical1Hot):  # one label per row
                rows = self.of(ins[0])[0]
                self.classes.union(rows, self.of(ins[1])[0])
                self.dims[outs[0]] = [rows]
            elif isinstance(op, Dot):
                x, y = self.of(ins[0]), self.of(ins[1])
                self.classes.union(x[-1], y[0])
                self.dims[outs[0]] = x[:-1] + y[1:]
            elif isinstance(op, Scan):
                self._scan(op, ins, outs)
            elif isinstance(op, IfElse):
                self._inner(op.inner_inputs, ins[1:], [op.then_outputs, op.else_outputs], outs)
            elif hasattr(op, "inner_inputs") and hasattr(op, "inner_outputs"):  # OpFromGraph
                self._inner(op.inner_inputs, ins, [op.inner_outputs], outs)

    def _elemwise(self, ins: Sequence[Variable], outs: Sequence[Variable]) -> None:
        """Operands aligned from the right share each axis's class, except broadcast ones."""
        shapes = [self.of(v) for v in ins]
        ndim = max((len(dims) for dims in shapes), default=0)
        result = []
        for axis in range(-ndim, 0):
            members = [dims[axis] for dims in shapes
                       if len(dims) >= -axis and self.classes.value(dims[axis]) != 1]
            for other in members[1:]:
                self.classes.union(members[0], other)
            result.append(members[0] if members else self.classes.new(1))
        for out in outs:
            self.dims[out] = list(result)

    def _inner(self, inner_ins: Sequence[Variable], outer_ins: Sequence[Variable],
               branches: Sequence[Sequence[Variable]], outs: Sequence[Variable]) -> None:
        for inner, outer in zip(inner_ins, outer_ins, strict=False):
            self.dims[inner] = self.of(outer)
        for branch in branches:
            self.walk(branch)
            for inner, outer in zip(branch, outs, strict=False):
                self.same(self.of(inner), self.of(outer))

    def _scan(self, op: Scan, ins: Sequence[Variable], outs: Sequence[Variable]) -> None:
        _, seqs, inits, nonseqs = op.split_outer(list(ins))
        inner_seqs, inner_recs, inner_nonseqs = op.split_inner()
        steps = self.classes.new()
        for seq, taps, window in zip(seqs, inner_seqs, op.info.seq_taps, strict=True):
            outer = self.of(seq)
            if len(window) == 1 and window[0] == 0:
                self.classes.union(steps, outer[0])
            for inner in taps:
                self.dims[inner] = outer[1:]
        for init, taps in zip(inits, inner_recs, strict=True):
            outer = self.of(init)
            for inner in taps:
                self.dims[inner] = outer[1:] if len(outer) == inner.ndim + 1 else outer
        for var, inner in zip(nonseqs, inner_nonseqs, strict=True):
            self.dims[inner] = self.of(var)
        self.walk(op.inner_outputs)
        for step_out, taps in zip(op.inner_outputs, inner_recs, strict=False):
            self.same(self.of(step_out), self.of(taps[0]))
        for outer_out, step_out in zip(outs, op.inner_outputs, strict=True):
            self.dims[outer_out] = [steps, *self.of(step_out)]


def input_shapes(outputs: Sequence[Variable], inputs: Sequence[Variable],
                 fixed: Mapping[Variable, tuple[int, ...]]) -> dict[Variable, tuple[int, ...]]:
    """A shape for each of ``inputs``: its static dims, ``fixed`` ones (from ``--shape`` or
    ``--inputs`` values), and for the rest the size their class got, else ``DEFAULT_DIM``.

    >>> x, w = T.dmatrix('x'), T.dmatrix('w')
    >>> input_shapes([T.dot(x, w)], [x, w], {x: (5, 2)})[w]   # doctest: +SKIP
    (2, 3)
    """
    solver = DimSolver()
    for var, shape in fixed.items():
        for k, size in zip(solver.of(var), shape, strict=False):
            solver.classes.fix(k, size)
    solver.walk(outputs)
    return {var: tuple(fixed[var]) if var in fixed else
            tuple(solver.classes.value(k) or DEFAULT_DIM for k in solver.of(var))
            for var in inputs}


def smallest_dim(shapes: Mapping[Any, tuple[int, ...]]) -> int:
    """The smallest size of any dimension (``DEFAULT_DIM`` if none): random integer inputs
    stay below it, so they can index every axis (labels of a softmax, positions)."""
    return min((d for shape in shapes.values() for d in shape if d > 0), default=DEFAULT_DIM)
