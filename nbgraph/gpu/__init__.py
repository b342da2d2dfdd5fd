"""nbgraph on the GPU: CUDA rendering of fused kernels, the CuPy linker, device types and
transfers. Importing this package (``import nbgraph`` does) never imports CuPy and registers
the 'cuda' linker, the 'GPU' mode and ``shared(device='cuda')`` with the layers below (see
``register``); asking to *run* on the GPU without CuPy or a device raises
``GpuUnavailableError`` saying which is missing.
"""

from __future__ import annotations

from typing import Any

from ..codegen.cuda_render import CudaRenderer
from .cuda_linker import render_source
from .device import GpuUnavailableError, device_name, has_cuda, has_cupy
from .register import register_gpu
from .transfer import gpu_mode
from .types import GpuFromHost, GpuSharedVariable, GpuTensorType, HostFromGpu, gpu_shared

__all__ = ["CudaRenderer", "GpuFromHost", "GpuSharedVariable", "GpuTensorType",
           "GpuUnavailableError", "HostFromGpu", "device_name", "gpu_mode", "gpu_shared",
           "has_cuda", "has_cupy", "render_cuda"]


def render_cuda(fn: Any) -> str:
    """The CUDA source of a compiled function's fused elementwise and reduction nodes.

    Works on any ``Function`` (compiled for the CPU too) and needs no GPU.

    >>> f = nbgraph.function([x], T.exp(x) * 2)
    >>> print(nbgraph.gpu.render_cuda(f))     # extern "C" __global__ void k0_contig(...)
    """
    fgraph = fn.maker.fgraph if hasattr(fn, "maker") else fn
    source, _ = render_source(fgraph, fgraph.toposort())
    return source


register_gpu()
