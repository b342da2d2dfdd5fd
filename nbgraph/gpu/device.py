"""Finding CuPy and a CUDA device, lazily: importing nbgraph never imports CuPy, and asking for
the GPU without one raises ``GpuUnavailableError`` naming what is missing."""

from __future__ import annotations

import functools
import importlib.util
from typing import Any

import numpy as np


class GpuUnavailableError(RuntimeError):
    """The GPU was asked for (device='cuda', mode='GPU', a CUDA linker) but cannot be used."""


def has_cupy() -> bool:
    return importlib.util.find_spec("cupy") is not None


@functools.cache
def _probe() -> tuple[Any, str | None]:
    """(cupy module or None, why not): imported and asked for a device once per process."""
    if not has_cupy():
        return None, ("CuPy is not installed; install the GPU extra (pip install "
                      "'nbgraph[gpu]', i.e. cupy-cuda13x) on a machine with an NVIDIA GPU")
    try:
        import cupy
    except Exception as err:  # a broken CUDA install surfaces here
        return None, f"CuPy is installed but failed to import ({err})"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:
        return None, f"CuPy found no usable CUDA driver or device ({err})"
    if count < 1:
        return None, "CuPy is installed but no CUDA GPU was found (getDeviceCount() == 0)"
    return cupy, None


def has_cuda() -> bool:
    """Whether CuPy imports and sees at least one CUDA device."""
    return _probe()[0] is not None


def require_cupy(what: str = "the GPU") -> Any:
    """The cupy module, or ``GpuUnavailableError`` saying why ``what`` cannot run."""
    cupy, why = _probe()
    if cupy is None:
        raise GpuUnavailableError(f"{what} needs CuPy and a CUDA GPU: {why}. Everything else "
                                  f"(device='cpu', the C and Python linkers) keeps working.")
    return cupy


@functools.cache
def device_properties() -> dict[str, int]:
    """Multiprocessor count and thread limits of the current device (for grid sizing)."""
    cupy = require_cupy()
    attrs = cupy.cuda.Device().attributes
    return {"sm_count": int(attrs["MultiProcessorCount"]),
            "max_threads": int(attrs["MaxThreadsPerBlock"]),
            "max_grid": int(attrs["MaxGridDimX"])}


def device_name() -> str:
    cupy = require_cupy()
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def is_device_array(value: Any) -> bool:
    """A CuPy ndarray (checked without importing CuPy)."""
    return type(value).__module__.startswith("cupy") and hasattr(value, "device")


def to_device(value: Any, dtype: Any = None) -> Any:
    """``value`` as a CuPy array (no copy if it already is one of ``dtype``)."""
    if is_device_array(value) and (dtype is None or value.dtype == dtype):
        return value
    cupy = require_cupy()
    return cupy.asarray(value, dtype=dtype)


def to_host(value: Any) -> Any:
    """``value`` as a NumPy array (a device-to-host copy for CuPy arrays)."""
    if is_device_array(value):
        return value.get()
    return value if isinstance(value, np.ndarray) else np.asarray(value)
