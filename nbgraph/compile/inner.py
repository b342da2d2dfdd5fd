"""InnerCompiler: what ``function`` lends a linker so that ops with inner graphs (Scan's
step, IfElse's branches) are compiled with the outer function's linker and options."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..config import config
from ..core.graph import Variable
from ..link import registry
from ..link.c_linker import CLinker
from ..link.kernel_linker import fused_prologue
from ..link.linker import PythonLinker
from ..link.scan_loop import StepLoop
from ..link.vm import VM
from .base_mode import Mode
from .profile import ProfileStats


class InnerCompiler:
    """Compiles an op's inner graph (Scan's step, IfElse's branches) with the outer function's
    linker: the ``compiler`` of ``Op.make_thunk`` (the protocol in core/op.py).

    The op's own mode (``scan(..., mode=)``) wins; otherwise the inner function gets the
    default mode's rewrites (``config.mode``) and the outer linker. With the outer
    function's ``profile``, inner functions are profiled too and listed in it.
    """

    def __init__(self, linker: Any, compile: Callable[..., Any], default_mode: Any,
                 profile: ProfileStats | None = None):
        name = getattr(linker, "name", type(linker).__name__)
        # options such as ``CLinker(cflags=...)`` reach inner graphs: a linker carrying them
        # is shared (linkers keep no per-function state); a plain one is named, so each
        # inner function gets a fresh linker as any function does
        options = tuple(getattr(linker, "cflags", ()))
        self.linker = name if name in registry.LINKERS and not options else linker
        # a profiled function's inner functions are its own (their times go to its profile)
        owner = id(profile) if profile is not None else None
        self.key: tuple[str, str, str, str, tuple[str, ...], int | None] = (
            "compiled", name, str(config.mode), config.device, options, owner)
        self.profile = profile
        self.compile = compile            # nbgraph.function (function.py makes this object)
        self.default_mode = default_mode  # get_mode(None), read when a graph is compiled

    def function(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 mode: Any = None) -> Callable[..., list[Any]]:
        if mode is None:
            mode = Mode(self.linker, self.default_mode().optimizer)
        fn = self.compile(list(inputs), list(outputs), mode=mode, on_unused_input="ignore",
                          no_default_updates=True, profile=self.profile is not None)
        fn.trust_input = True  # the op passes arrays of the inner inputs' types
        if self.profile is not None:
            self.profile.add_inner(fn.profile)
        return fn

    def step_loop(self, fn: Any) -> StepLoop | None:
        """``fn`` (from ``function``) as a loop over preallocated rows (core/op.py's
        ``StepLoop``), or None where its thunks cannot run that way: a linker whose values
        live on a device, or one that wraps thunks to check them (DebugMode, NanGuardMode)."""
        vm = getattr(fn, "vm", None)
        linker = fn.maker.mode.linker if vm is not None else None
        kind = registry.LINKERS.get(linker) if isinstance(linker, str) else type(linker)
        if not isinstance(vm, VM) or vm.commit is not None \
                or kind not in (PythonLinker, CLinker):
            return None
        fgraph = fn.maker.fgraph
        outputs = fgraph.outputs
        # cells a thunk writes every step (a prologue fused into a reduction writes none)
        written = {id(o) for node, thunk in zip(vm.nodes, vm.thunks, strict=True)
                   if thunk is not fused_prologue for o in node.outputs}
        prebind = [id(v) in written and all(v is not w for w in outputs[:k])
                   for k, v in enumerate(outputs)]
        return StepLoop(vm.nodes, vm.thunks, vm.in_cells, vm.reads, fn._in_cells,
                        fn._out_cells, prebind, [v.dtype for v in outputs], fn.profile)

    def __repr__(self) -> str:
        return f"InnerCompiler({self.key[1]!r})"
