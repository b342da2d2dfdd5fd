"""Modes: which rewrites run and which linker executes the graph."""

from __future__ import annotations

from typing import Any

from ..config import config


class Mode:
    """``Mode(linker='py', optimizer='fast_run')``: how ``function`` compiles.

    ``linker`` is 'py' (Python VM over each op's NumPy ``perform``) or 'c'/'cvm' (compiled
    kernels where possible). ``optimizer`` names a rewrite pipeline ('fast_run',
    'fast_compile', None for no rewrites) or is a Pipeline value.
    """

    def __init__(self, linker: str = "py", optimizer: Any = "fast_run"):
        self.linker = linker
        self.optimizer = optimizer

    def including(self, *names: str) -> Mode:
        return Mode(self.linker, _pipeline(self.optimizer).including(*names))

    def excluding(self, *names: str) -> Mode:
        return Mode(self.linker, _pipeline(self.optimizer).excluding(*names))

    def __repr__(self) -> str:
        return f"Mode(linker={self.linker!r}, optimizer={self.optimizer!r})"


def _pipeline(optimizer: Any) -> Any:
    from .rewrite.pipeline import resolve  # lazy: pipeline imports every rule set
    return resolve(optimizer)


PREDEFINED: dict[str, Mode] = {
    "FAST_RUN": Mode("py", "fast_run"),
    "FAST_COMPILE": Mode("py", "fast_compile"),
    "PY": Mode("py", "fast_run"),
}


def get_mode(mode: Any) -> Mode:
    """A Mode from a Mode, a name ('FAST_RUN', ...) or None (``config.mode``)."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        if mode in PREDEFINED:
            return PREDEFINED[mode]
        raise ValueError(f"unknown mode {mode!r}; choose one of {sorted(PREDEFINED)}")
    raise TypeError(f"mode must be a Mode or a name, not {type(mode).__name__}")
