"""InnerCompiler: what ``function`` lends a linker so that ops with inner graphs (Scan's
step, IfElse's branches) are compiled with the outer function's linker and options."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..config import config
from ..core.graph import Variable
from ..link import registry
from ..link.c_linker import CLinker
from ..link.kernel_linker import fused_prologue
from ..link.linker import PythonLinker
from ..link.scan_loop import StepLoop
from ..link.vm import VM
from ..rewrite.pipeline import resolve
from .base_mode import Mode
from .profile import ProfileStats

DEFAULT = object()  # InnerCompiler's optimizer when not given: the default mode's


class _Same:
    """An optimizer that is not hashable, keyed by identity (the key holds it: no id reuse)."""

    def __init__(self, obj: Any):
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def optimizer_key(optimizer: Any) -> Hashable:
    """What an inner compile's rewrites depend on: the resolved pipeline (equal pipelines,
    such as two ``excluding('fusion')`` of the same mode, compare equal), None for none."""
    pipeline = resolve(optimizer)
    try:
        hash(pipeline)
    except TypeError:
        return _Same(pipeline)
    return pipeline


class InnerCompiler:
    """Compiles an op's inner graph (Scan's step, IfElse's branches) with the outer function's
    linker: the ``compiler`` of ``Op.make_thunk`` (the protocol in core/op.py).

    The op's own mode (``scan(..., mode=)``) wins; otherwise the inner function gets the
    outer function's rewrites (``optimizer``: ``mode.excluding('fusion')`` or
    ``Mode(optimizer=None)`` reach a scan's step) and linker; without ``optimizer``, the
    default mode's (``default_mode()``). With the outer function's ``profile``, inner
    functions are profiled too and listed in it.
    """

    def __init__(self, linker: Any, compile: Callable[..., Any], default_mode: Any,
                 profile: ProfileStats | None = None, optimizer: Any = DEFAULT):
        name = getattr(linker, "name", type(linker).__name__)
        # options such as ``CLinker(cflags=...)`` reach inner graphs: a linker carrying them
        # is shared (linkers keep no per-function state); a plain one is named, so each
        # inner function gets a fresh linker as any function does
        options = tuple(getattr(linker, "cflags", ()))
        self.linker = name if name in registry.LINKERS and not options else linker
        # a profiled function's inner functions are its own (their times go to its profile)
        owner = id(profile) if profile is not None else None
        self.optimizer = default_mode().optimizer if optimizer is DEFAULT else optimizer
        # differently rewritten inner functions are not shared (ops cache them by key)
        self.key: tuple[str, str, Any, str, tuple[str, ...], int | None] = (
            "compiled", name, optimizer_key(self.optimizer), config.device, options, owner)
        self.profile = profile
        self.compile = compile            # nbgraph.function (function.py makes this object)

    def function(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 mode: Any = None) -> Callable[..., list[Any]]:
        if mode is None:
            mode = Mode(self.linker, self.optimizer)
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
