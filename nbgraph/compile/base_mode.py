"""Mode: the pair (linker, rewrite pipeline) that ``function`` compiles with. DebugMode,
NanGuardMode and MonitorMode subclass it; compile/mode.py finds every mode by name."""

from __future__ import annotations

import copy
import warnings
from typing import Any

from ..config import NbgraphWarning, config
from ..rewrite.pipeline import PIPELINE, resolve
from .optimizer_names import translate


class Mode:
    """``Mode(linker='py', optimizer='fast_run')``: how ``function`` compiles.

    ``linker`` is 'py' (Python VM over each op's NumPy ``perform``), 'c'/'cvm' (compiled
    kernels where possible) or a linker object. ``optimizer`` names a rewrite pipeline
    ('fast_run', 'fast_compile', None for no rewrites) or is a Pipeline value.

    >>> mode = Mode(optimizer="fast_run").excluding("fuse_elemwise", "stabilize/log1p")
    >>> f = nbgraph.function([x], T.log(1 + x), mode=mode)

    ``call_time`` / ``fn_time`` (Theano's): seconds spent in calls, and of those in the VM, of
    the *profiled* functions compiled with this mode (``profile=True``, or every function with
    ``config.profile``); unprofiled calls are not timed, so that they read no clock.
    """

    _call_time = 0.0
    _fn_time = 0.0

    def _timing(self, name: str) -> float:
        seconds: float = getattr(self, f"_{name}")
        if not seconds and not config.profile:
            warnings.warn(f"Mode.{name} counts the calls of profiled functions only (compile "
                          f"with profile=True, or set config.profile=True / "
                          f"THEANO_FLAGS=profile=True); none has run with this mode",
                          NbgraphWarning, stacklevel=3)
        return seconds

    call_time = property(lambda self: self._timing("call_time"),
                         lambda self, value: setattr(self, "_call_time", value),
                         doc="Seconds in calls of this mode's profiled functions.")
    fn_time = property(lambda self: self._timing("fn_time"),
                       lambda self, value: setattr(self, "_fn_time", value),
                       doc="Seconds of ``call_time`` spent in the VM (running the nodes).")

    def __init__(self, linker: Any = "py", optimizer: Any = "fast_run"):
        self.linker = linker
        self.optimizer = optimizer

    def _with(self, optimizer: Any) -> Mode:
        other = copy.copy(self)
        other.optimizer = optimizer
        return other

    def including(self, *names: str) -> Mode:
        """This mode with more passes or rules (unsafe ones included) switched on; Theano's
        optimizer names (``'fusion'``, ``'local_log_softmax'``, ...) work as aliases."""
        return self._with(resolved_pipeline(self.optimizer).including(*_ours(names)))

    def excluding(self, *names: str) -> Mode:
        """This mode with passes or ``pass/rule`` rules switched off (Theano's names too)."""
        return self._with(resolved_pipeline(self.optimizer).excluding(*_ours(names)))

    def requiring(self, *names: str) -> Mode:  # Theano's spelling of including
        return self.including(*names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(linker={self.linker!r}, optimizer={self.optimizer!r})"


def _ours(names: tuple[str, ...]) -> tuple[str, ...]:
    known = {"unsafe"} | {n for p in PIPELINE.passes for n in (p.name, *p.full_names())}
    return translate(names, known)


def resolved_pipeline(optimizer: Any) -> Any:
    """The Pipeline an optimizer names (None: no rewrites)."""
    found = resolve(optimizer)
    return PIPELINE.only() if found is None else found
