"""Modes: which rewrites run and which linker executes the graph (FAST_RUN, FAST_COMPILE, ...).

``Mode(linker=, optimizer=)``; ``including``/``excluding`` take pass names or ``pass/rule``
names. DebugMode and NanGuardMode live in their own modules and are found here by name.
"""

from __future__ import annotations

import copy
from typing import Any

from ..config import config


class Mode:
    """``Mode(linker='py', optimizer='fast_run')``: how ``function`` compiles.

    ``linker`` is 'py' (Python VM over each op's NumPy ``perform``), 'c'/'cvm' (compiled
    kernels where possible) or a linker object. ``optimizer`` names a rewrite pipeline
    ('fast_run', 'fast_compile', None for no rewrites) or is a Pipeline value.

    >>> mode = Mode(optimizer="fast_run").excluding("fuse_elemwise", "stabilize/log1p")
    >>> f = nbgraph.function([x], T.log(1 + x), mode=mode)
    """

    def __init__(self, linker: Any = "py", optimizer: Any = "fast_run"):
        self.linker = linker
        self.optimizer = optimizer

    def _with(self, optimizer: Any) -> Mode:
        other = copy.copy(self)
        other.optimizer = optimizer
        return other

    def including(self, *names: str) -> Mode:
        """This mode with more passes or rules (unsafe ones included) switched on."""
        return self._with(_pipeline(self.optimizer).including(*names))

    def excluding(self, *names: str) -> Mode:
        """This mode with passes or ``pass/rule`` rules switched off."""
        return self._with(_pipeline(self.optimizer).excluding(*names))

    def requiring(self, *names: str) -> Mode:  # Theano's spelling of including
        return self.including(*names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(linker={self.linker!r}, optimizer={self.optimizer!r})"


def _pipeline(optimizer: Any) -> Any:
    from .rewrite.pipeline import PIPELINE, resolve  # lazy: pipeline imports every rule set
    found = resolve(optimizer)
    return PIPELINE.only() if found is None else found


# FAST_RUN compiles elementwise and reduction kernels (falls back to Python without a compiler)
FAST_RUN = Mode("c", "fast_run")
FAST_COMPILE = Mode("py", "fast_compile")

PREDEFINED: dict[str, Mode] = {
    "FAST_RUN": FAST_RUN,
    "FAST_COMPILE": FAST_COMPILE,
    "PY": Mode("py", "fast_run"),
}


def _debug_modes() -> dict[str, Mode]:
    from .debugmode import DebugMode  # lazy: they import this module
    from .nanguardmode import NanGuardMode
    return {"DebugMode": DebugMode(), "DEBUG_MODE": DebugMode(),
            "NanGuardMode": NanGuardMode()}


def get_mode(mode: Any) -> Mode:
    """A Mode from a Mode, a name ('FAST_RUN', 'DebugMode', ...) or None (``config.mode``)."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        if mode == "GPU" or (mode == "FAST_RUN" and config.device.startswith("cuda")):
            from ..gpu.transfer import gpu_mode  # lazy: gpu builds on compile
            return gpu_mode()
        if mode in PREDEFINED:
            return PREDEFINED[mode]
        debug = _debug_modes()
        if mode in debug:
            return debug[mode]
        names = sorted(PREDEFINED) + ["GPU"] + sorted(debug)
        raise ValueError(f"unknown mode {mode!r}; choose one of {names}")
    raise TypeError(f"mode must be a Mode or a name, not {type(mode).__name__}")
