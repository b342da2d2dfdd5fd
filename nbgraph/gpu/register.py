"""What ``nbgraph.gpu`` adds to the layers below it when imported, so that they never import
it: the 'cuda' linker, the 'GPU' mode (also FAST_RUN on ``device='cuda'``) and
``shared(..., device='cuda')``. CuPy itself is imported only when a GPU is used.
"""

from __future__ import annotations

from ..compile.mode import register_mode
from ..core.shared import register_shared_constructor
from ..link.registry import register_linker
from .cuda_linker import CudaLinker
from .transfer import gpu_mode
from .types import gpu_shared


def register_gpu() -> None:
    """Fill the tables of ``link.registry``, ``compile.mode`` and ``core.shared``
    (idempotent: entries are replaced, never duplicated)."""
    register_linker(("cuda", "gpu"), CudaLinker)  # running it needs CuPy and a GPU
    register_mode("GPU", gpu_mode, device="cuda")
    register_shared_constructor("cuda", gpu_shared)
