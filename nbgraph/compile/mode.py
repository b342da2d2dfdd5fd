"""Modes: which rewrites run and which linker executes the graph (FAST_RUN, FAST_COMPILE, ...).

``Mode(linker=, optimizer=)``; ``including``/``excluding`` take pass names or ``pass/rule``
names. The Mode class is in base_mode.py; DebugMode and NanGuardMode live in their own modules
and are found here by name; modes of upper layers ('GPU', FAST_RUN on ``device='cuda'``) are
registered by them. Theano's ``theano.compile.mode`` path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import config
from ..rewrite.pipeline import PIPELINE
from .base_mode import Mode
from .debugmode import DebugMode
from .nanguardmode import NanGuardMode

# FAST_RUN compiles elementwise and reduction kernels (falls back to Python without a compiler)
FAST_RUN = Mode("c", "fast_run")
FAST_COMPILE = Mode("py", "fast_compile")

PREDEFINED: dict[str, Mode] = {
    "FAST_RUN": FAST_RUN,
    "FAST_COMPILE": FAST_COMPILE,
    "PY": Mode("py", "fast_run"),
    # XLA fuses and reuses buffers itself: our fusion and in-place passes would only hide ops
    "JAX": Mode("jax", PIPELINE.excluding("fuse_elemwise", "inplace")),
}


# modes an upper layer builds, by name, and what FAST_RUN means on a device (a device name
# starting with the key: 'cuda', 'cuda0'); ``nbgraph.gpu`` registers both when imported
MODE_FACTORIES: dict[str, Callable[[], Mode]] = {}
DEVICE_MODES: dict[str, Callable[[], Mode]] = {}


def register_mode(name: str | None, factory: Callable[[], Mode], device: str | None = None
                  ) -> None:
    """Make ``get_mode(name)`` return ``factory()``, and FAST_RUN do so on ``device``.

    >>> register_mode("GPU", gpu_mode, device="cuda")   # what nbgraph.gpu does on import
    """
    if name is not None:
        MODE_FACTORIES[name] = factory
    if device is not None:
        DEVICE_MODES[device] = factory


def _device_mode(device: str) -> Mode | None:
    """FAST_RUN's mode on ``device``, None on the CPU."""
    if device.startswith("cpu"):
        return None
    for kind, factory in DEVICE_MODES.items():
        if device.startswith(kind):
            return factory()
    raise ValueError(f"config.device={device!r}: no mode is registered for it (import "
                     f"nbgraph.gpu; known devices: {['cpu', *sorted(DEVICE_MODES)]})")


_FROM_FLAGS: dict[tuple[str, Any], Mode] = {}


def _debug_modes() -> dict[str, Mode]:
    return {"DebugMode": DebugMode(), "DEBUG_MODE": DebugMode(),
            "NanGuardMode": NanGuardMode()}


def get_default_mode() -> Mode:
    """The mode ``function`` uses when given none (``config.mode``), as Theano's."""
    return get_mode(None)


def get_mode(mode: Any) -> Mode:
    """A Mode from a Mode, a name ('FAST_RUN', 'DebugMode', ...) or None (``config.mode``)."""
    if mode is None:
        mode = config.mode
        if mode == "Mode" or (mode == "FAST_RUN" and config.device.startswith("cpu")
                              and (config.optimizer, config.linker) != ("fast_run", "c")):
            # Theano's THEANO_FLAGS=optimizer=None / linker=py change the default mode
            optimizer = None if config.optimizer in ("None", "") else config.optimizer
            # one Mode per setting, as Theano's instantiated_default_mode: its call_time
            # sums the calls of every function compiled with it
            key = (config.linker, optimizer)
            if key not in _FROM_FLAGS:
                _FROM_FLAGS[key] = Mode(config.linker, optimizer)
            return _FROM_FLAGS[key]
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str):
        if mode in MODE_FACTORIES:
            return MODE_FACTORIES[mode]()
        on_device = _device_mode(config.device) if mode == "FAST_RUN" else None
        if on_device is not None:
            return on_device
        if mode in PREDEFINED:
            return PREDEFINED[mode]
        debug = _debug_modes()
        if mode in debug:
            return debug[mode]
        names = sorted(PREDEFINED) + sorted(MODE_FACTORIES) + sorted(debug)
        raise ValueError(f"unknown mode {mode!r}; choose one of {names}")
    raise TypeError(f"mode must be a Mode or a name, not {type(mode).__name__}")
