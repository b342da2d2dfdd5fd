"""The loop the kernel linkers (C, CUDA) share: plan a graph's kernels, build them as one
module, then give each node its thunk. Subclasses say how to plan, load and call kernels;
this module knows no target language and loads nothing itself.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..codegen.c_render import CStyleRenderer
from ..codegen.kernel import Kernel
from ..codegen.plan import plan
from ..core.fgraph import FunctionGraph
from ..core.graph import Apply, Variable
from ..core.op import InnerCompiler
from ..ops.elemwise import DimShuffle
from .c_op import has_c_code
from .linker import PythonLinker, python_source

Thunk = Callable[[], None]
Cells = list[list[Any]]
Operands = Callable[[Sequence[Variable]], Cells]   # Variables -> the cells a kernel reads


class Profile(Protocol):
    """What a linker records into ``profile=True`` statistics: each compile phase's time."""

    def record_phase(self, phase: str, seconds: float) -> None: ...


def fused_prologue() -> None:
    """The thunk of a prologue fused into its reduction: the reduction's kernel computes it."""


class KernelLinker(ABC):
    """Compiled kernels for the elementwise and reduction nodes ``plan`` picks (a reduction's
    elementwise prologue folded into it), a BLAS thunk for Dot/Gemm where the subclass has
    one, a view for DimShuffle, and the op's own thunk for every other node.

    Subclasses supply ``load_module`` and the kernel, BLAS and view thunks; they may refine
    the plan, where kernels read their operands (``operand_cells``), the op thunks, and what
    graph outputs get (``host_outputs``).
    """

    name: str
    renderer: CStyleRenderer
    python_without_kernels = False  # a graph with no kernel runs on the Python linker
    blas_note = ""                  # the first line of a BLAS node's source, naming the library

    def make_thunks(self, fgraph: FunctionGraph, nodes: list[Apply],
                    storage: dict[Variable, list], profile: Profile | None,
                    compiler: InnerCompiler) -> tuple[list[Thunk], dict[Apply, str]]:
        """One thunk per node of ``nodes`` over ``storage``, and each node's source text.

        ``compiler`` compiles the inner graphs of ops that have them (Scan, IfElse)."""
        start = time.perf_counter()
        kernels, absorbed = self.plan(fgraph, nodes)
        module = None
        if kernels:
            module = self.load_module(list(kernels.values()), profile, start)
            if module is None:  # no compiler: every node runs its ``perform``
                return PythonLinker().make_thunks(fgraph, nodes, storage, profile, compiler)
        elif self.python_without_kernels and not any(has_c_code(n.op) for n in nodes):
            return PythonLinker().make_thunks(fgraph, nodes, storage, profile, compiler)
        operands = self.operand_cells(storage)
        prologue_of = {red: pro for pro, red in absorbed.items()}
        index = {node: k for k, node in enumerate(kernels)}
        outputs: set[Variable] = set(fgraph.outputs)
        thunks: list[Thunk] = []
        sources: dict[Apply, str] = {}
        for node in nodes:
            if node in absorbed:
                thunks.append(fused_prologue)
                sources[node] = self.renderer.render_kernel(kernels[absorbed[node]])
                continue
            out_cells = [storage[v] for v in node.outputs]
            pro = prologue_of.get(node)
            if node in kernels:
                kern = kernels[node]
                sources[node] = self.renderer.render_kernel(kern)
                if kern.reduce is None:
                    thunk = self.elemwise_thunk(node, kern, module, index[node],
                                                operands(node.inputs), out_cells)
                else:
                    thunk = self.reduce_thunk(node, pro, kern, module, index[node],
                                              operands((pro or node).inputs), out_cells)
                thunk = self.host_outputs(node, thunk, out_cells, outputs)
            else:
                thunk, sources[node] = self.node_thunk(node, storage, operands, out_cells,
                                                       outputs, compiler)
            if pro is not None:  # errors name what the kernel reads
                thunk.reads = list(pro.inputs)  # type: ignore[attr-defined]  # see vm.py
            thunks.append(thunk)
        return thunks, sources

    def node_thunk(self, node: Apply, storage: dict[Variable, list], operands: Operands,
                   out_cells: Cells, outputs: set[Variable], compiler: InnerCompiler
                   ) -> tuple[Thunk, str]:
        """(thunk, source) of a node without a kernel: BLAS, a DimShuffle view, an indexing
        thunk, or the op's own thunk (which alone reads ``storage`` as it is and keeps its
        outputs as made)."""
        in_cells = [storage[v] for v in node.inputs]
        source = python_source(node)
        blas = self.blas_thunk(node, operands, out_cells)
        if blas is not None:
            return self.host_outputs(node, blas, out_cells, outputs), self.blas_note + source
        if isinstance(node.op, DimShuffle):
            view = self.view_thunk(node, in_cells, out_cells)
            return self.host_outputs(node, view, out_cells, outputs), source
        index = self.index_thunk(node, in_cells, out_cells)
        if index is not None:
            return self.host_outputs(node, index, out_cells, outputs), source
        return self.op_thunk(node, in_cells, out_cells, compiler), source

    # -- what each linker supplies ---------------------------------------------------------
    def plan(self, fgraph: FunctionGraph, nodes: Sequence[Apply]
             ) -> tuple[Mapping[Apply, Kernel], dict[Apply, Apply]]:
        """(node -> kernel, fused prologue -> its reduction): ``codegen.plan.plan``."""
        return plan(fgraph, nodes)

    @abstractmethod
    def load_module(self, kernels: list[Kernel], profile: Profile | None, start: float
                    ) -> Any:
        """Render and build ``kernels`` (records the ``codegen`` phase, from ``start``, then
        the build's); None when they cannot be built (the graph then runs in Python)."""

    def operand_cells(self, storage: dict[Variable, list]) -> Operands:
        """Where kernels and BLAS thunks read Variables: their storage cells."""
        return lambda variables: [storage[v] for v in variables]

    @abstractmethod
    def elemwise_thunk(self, node: Apply, kern: Kernel, module: Any, k: int,
                       in_cells: Cells, out_cells: Cells) -> Thunk:
        """The thunk calling elementwise kernel ``kern`` (number ``k`` of ``module``)."""

    @abstractmethod
    def reduce_thunk(self, node: Apply, prologue: Apply | None, kern: Kernel, module: Any,
                     k: int, in_cells: Cells, out_cells: Cells) -> Thunk:
        """The thunk calling reduction kernel ``kern``; ``in_cells`` are the prologue's inputs
        when ``prologue`` is fused into it, else the reduction's."""

    @abstractmethod
    def blas_thunk(self, node: Apply, operands: Operands, out_cells: Cells) -> Thunk | None:
        """A BLAS thunk for a Dot/Gemm node, or None (then the node runs as any other)."""

    @abstractmethod
    def view_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells) -> Thunk:
        """A DimShuffle as a view of its input."""

    def index_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells) -> Thunk | None:
        """A faster thunk for an indexing node (Subtensor, IncSubtensor, ...), or None."""
        return None

    def op_thunk(self, node: Apply, in_cells: Cells, out_cells: Cells,
                 compiler: InnerCompiler) -> Thunk:
        """The op's own thunk (its ``perform``; inner graphs compiled by ``compiler``)."""
        return node.op.make_thunk(node, in_cells, out_cells, compiler=compiler)

    def host_outputs(self, node: Apply, thunk: Thunk, out_cells: Cells,
                     outputs: set[Variable]) -> Thunk:
        """``thunk`` (a kernel, BLAS or view thunk) made to leave the graph outputs among
        ``node``'s outputs as host arrays: it already does where kernels run on the host."""
        return thunk
