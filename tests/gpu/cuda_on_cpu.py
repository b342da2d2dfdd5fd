"""The CUDA linker's kernels on the CPU, for tests on machines without a GPU.

A module's CUDA source is built with g++ against ``cuda_on_cpu.h`` (threads, blocks and
``__syncthreads`` on host threads) into a shared library, and each kernel is called the way
CuPy's ``RawKernel`` is: ``kernel(grid, block, args)``. ``on_cpu()`` swaps the CUDA linker's
four touch points with CuPy for this, so that its own thunks (grid and block sizes, argument
order, element strides, the split of long reductions over blocks) run unchanged:

- ``cuda_linker.load`` (NVRTC) -> ``load_on_cpu`` (g++);
- ``require_cupy`` (in ``cuda_linker`` and in ``device``, where ``to_device`` calls it) ->
  NumPy, which has every array call the thunks make (empty, asarray, broadcast_to, ...);
- ``cuda_linker.device_properties`` -> a description of a device (an H200 by default).

Arrays stay NumPy arrays ("device pointers" are their data addresses), so a host view with any
strides reaches the kernels as it is. What this cannot check is CUDA's own math library and
NVRTC: the functions are glibc's, the compiler g++ (with -ffp-contract=off, like --fmad=false).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from nbgraph.gpu import cuda_linker, device
from nbgraph.link.cache import build, canonical_source

CXX = shutil.which("g++")
HEADER = Path(__file__).with_name("cuda_on_cpu.h")
# -x c++: the cache writes the source as mod.c; the kernels are C++ (extern "C", templates)
FLAGS = ("-x", "c++", "-std=c++14", "-O1", "-ffp-contract=off", "-pthread")
CACHE = os.path.join(tempfile.gettempdir(), "nbgraph-cuda-on-cpu")
H200 = {"sm_count": 132, "max_threads": 1024, "max_grid": 2**31 - 1}
_GLOBAL = re.compile(r"__global__\s+void\s+(\w+)\s*\(")
_MODULES: dict[str, CpuModule] = {}   # canonical source -> loaded library


class CpuKernel:
    """One ``__global__`` function, called like CuPy's ``RawKernel``."""

    def __init__(self, lib: ctypes.CDLL, name: str):
        self.name = name
        self._launch = getattr(lib, f"nbg_launch_{name}")
        self._launch.restype = ctypes.c_int
        self._launch.argtypes = [ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint),
                                 ctypes.POINTER(ctypes.c_void_p)]

    def __call__(self, grid: Sequence[int], block: Sequence[int], args: Sequence[Any]) -> None:
        """Run the kernel over ``grid`` blocks of ``block`` threads (1 to 3 dims each)."""
        values = [_argument(a) for a in args]   # each argument's bytes, alive for the call
        pointers = (ctypes.c_void_p * len(values))(*[v.ctypes.data for v in values])
        err = self._launch(_dim3(grid), _dim3(block), pointers)
        if err:
            raise RuntimeError(f"launching {self.name} on grid {tuple(grid)}, block "
                               f"{tuple(block)} failed with error {err}")


class CpuModule:
    """A built CUDA module: ``get_function(name)`` as on CuPy's ``RawModule``."""

    def __init__(self, lib: ctypes.CDLL):
        self._lib = lib

    def get_function(self, name: str) -> CpuKernel:
        return CpuKernel(self._lib, name)


def load_on_cpu(source: str, profile: Any = None) -> CpuModule:
    """The module for a CUDA ``source``, built once per source (and cached on disk by hash).

    The header is pasted in front (so its text is part of the key) and an ``NBG_KERNEL``
    entry point added for every ``__global__`` function; uid-derived names are renumbered
    as the C linker does, so a rebuilt graph finds its library.
    """
    if CXX is None:
        raise RuntimeError("running CUDA kernels on the CPU needs g++")
    text = canonical_source(source)
    module = _MODULES.get(text)
    if module is None:
        names = _GLOBAL.findall(text)
        full = "\n".join([HEADER.read_text(), text, *(f"NBG_KERNEL({n})" for n in names), ""])
        lib = ctypes.CDLL(build(full, CACHE, CXX, FLAGS).path)
        module = _MODULES[text] = CpuModule(lib)
    return module


@contextlib.contextmanager
def on_cpu(properties: dict[str, int] | None = None) -> Iterator[None]:
    """Inside, the CUDA linker compiles and runs its kernels on the CPU (see the module doc).

    ``properties``: the device the grid sizes are computed for (``H200`` by default).
    """
    props = dict(properties or H200)
    swaps = [(cuda_linker, "load", load_on_cpu), (cuda_linker, "require_cupy", _numpy),
             (device, "require_cupy", _numpy),
             (cuda_linker, "device_properties", lambda: props)]
    with contextlib.ExitStack() as stack:
        for module, name, value in swaps:   # patch.object raises if a name has moved
            stack.enter_context(mock.patch.object(module, name, value))
        yield


def _numpy(what: str = "the GPU") -> Any:
    return np


def _argument(arg: Any) -> np.ndarray:
    """The bytes of one kernel argument: an array's data address, or a typed scalar."""
    if isinstance(arg, np.ndarray):
        return np.array(arg.ctypes.data, dtype=np.uintp)
    if isinstance(arg, np.generic):
        return np.array(arg)
    # stricter than CuPy: a Python int has no width the kernel's parameter could be checked by
    raise TypeError(f"kernel arguments are arrays or NumPy scalars, not {type(arg).__name__}")


def _dim3(sizes: Sequence[int]) -> Any:
    if not 1 <= len(sizes) <= 3:
        raise ValueError(f"grid and block sizes have 1 to 3 dims, not {tuple(sizes)}")
    return (ctypes.c_uint * 3)(*sizes, *[1] * (3 - len(sizes)))
